#!/usr/bin/env node
// `npm run build`: tsc into dist/, the .d.ts of the package's public entry points (only those:
// not every module's types can be named, see tsconfig.types.json), then oclif.manifest.json from
// what tsc wrote. The manifest is written even when tsc reports type errors (tsc still emits), so
// it never describes an older dist/; then the web dashboard (web/, Vite) into dist/web. The exit
// code is the first failed step's.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tscBin = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" }).status ?? 1;

const tsc = run([tscBin, "-p", "tsconfig.build.json"]);
const types = run([tscBin, "-p", "tsconfig.types.json"]);
const manifest = run([join(root, "scripts", "oclif-manifest.mjs")]);
const web = run([
  join(dirname(createRequire(import.meta.url).resolve("vite/package.json")), "bin", "vite.js"),
  "build",
  "--config",
  join(root, "web", "vite.config.ts"),
  "--logLevel",
  "warn",
]);
process.exitCode = [tsc, types, manifest, web].find((code) => code !== 0) ?? 0;
