#!/usr/bin/env node
import { execute } from "@oclif/core";
import { rewriteSingleDashFlags } from "../dist/cli/single-dash.js";

// `cortex submit code-review -file x -instruction y` works as typed (see src/cli/single-dash.ts).
await execute({ dir: import.meta.url, args: rewriteSingleDashFlags(process.argv.slice(2)) });
