#!/usr/bin/env node
import { runFastPath } from "../dist/cli/fast-path.js";

const argv = process.argv.slice(2);

// `cortex --version` is answered from package.json without loading oclif (src/cli/fast-path.ts).
if (!runFastPath(argv, new URL("../package.json", import.meta.url))) {
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
  await execute({ dir: import.meta.url, args: rewriteSingleDashFlags(argv) });
}
