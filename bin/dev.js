#!/usr/bin/env node
// Runs the CLI from the TypeScript sources (needs a TypeScript loader such as tsx on PATH).
import { execute } from "@oclif/core";

await execute({ development: true, dir: import.meta.url });
