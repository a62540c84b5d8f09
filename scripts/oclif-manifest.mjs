#!/usr/bin/env node
// Writes oclif.manifest.json from the built commands in dist/ (what `oclif manifest` does,
// without the oclif dev CLI and its dependency tree). With a manifest, oclif finds a
// command and prints --help from this file instead of importing every command module at
// start-up. `npm run build` (scripts/build.mjs) runs it after tsc, so it always matches dist/.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Plugin } from "@oclif/core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const path = join(root, "oclif.manifest.json");
// No manifest beats a stale one: without it oclif finds commands by importing them (slow, but
// right). So the old one goes first, and a failure below leaves none.
rmSync(path, { force: true });
const plugin = new Plugin({
  root,
  type: "core",
  isRoot: true,
  ignoreManifest: true,
  // A command that fails to import must fail the build, not vanish from the manifest.
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
});
await plugin.load();
if (!plugin.valid) throw new Error(`oclif could not load the cortex plugin at ${root}`);
// Renamed into place: a CLI starting meanwhile (tests in parallel) never reads half a file.
const tmp = `${path}.${process.pid}.tmp`;
writeFileSync(tmp, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
renameSync(tmp, path);
console.log(`wrote ${Object.keys(plugin.manifest.commands).length} commands to oclif.manifest.json`);
