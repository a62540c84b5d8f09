#!/usr/bin/env node
// CommonJS on purpose: Node's ESM loader alone costs a sizeable share of a `node -e 0`, and
// `cortex --version` should cost no more than that. The rest of the CLI is ESM, imported below.
"use strict";
const { pathToFileURL } = require("node:url");
const { runFastPath } = require("../dist/cli/fast-path.cjs");

const argv = process.argv.slice(2);

// `cortex --version` is answered from package.json without loading oclif (src/cli/fast-path.cts).
if (!runFastPath(argv, require.resolve("../package.json"))) {
  runOclif().catch((err) => {
    // oclif's execute() reports its own errors; this is only for a failed import.
    process.exitCode = 1;
    console.error(err);
  });
}

async function runOclif() {
  // Importing @oclif/core checks the Node version against its own engines with semver, a
  // tenth of a command's start-up; cortex's engines (package.json) are stricter anyway.
  const skipEngineCheck = process.env.OCLIF_DISABLE_ENGINE_WARNING === undefined;
  if (skipEngineCheck) process.env.OCLIF_DISABLE_ENGINE_WARNING = "1";
  const [{ execute }, { rewriteSingleDashFlags }] = await Promise.all([
    import("@oclif/core"),
    import("../dist/cli/single-dash.js"),
  ]);
  // Not inherited by the daemon and the servers that commands spawn.
  if (skipEngineCheck) delete process.env.OCLIF_DISABLE_ENGINE_WARNING;
  // `cortex submit code-review -file x -instruction y` works as typed (see src/cli/single-dash.ts).
  await execute({ dir: pathToFileURL(__filename).href, args: rewriteSingleDashFlags(argv) });
}
