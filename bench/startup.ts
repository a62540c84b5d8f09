/** Start-up cost of the CLI against a bare `node -e 0`, median wall time of several runs. */
import { execaSync } from "execa";
import { CLI_BIN } from "../test/support/cli.js";
import { median } from "./stats.js";

function wallMs(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = execaSync(process.execPath, args, { env, extendEnv: false, stdio: "ignore", reject: false });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")} exited ${r.exitCode}`);
  return ms;
}

export interface StartupFigures {
  node_e0_ms: number;
  version_ms: number;
  ps_ms: number;
  version_ratio: number;
  ps_ratio: number;
}

export function measureStartup(env: NodeJS.ProcessEnv, runs = 7): StartupFigures {
  const time = (args: string[]) => median(Array.from({ length: runs }, () => wallMs(args, env)));
  time(["-e", "0"]); // warm the page cache
  const node = time(["-e", "0"]);
  const version = time([CLI_BIN, "--version"]);
  const ps = time([CLI_BIN, "ps"]);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    node_e0_ms: r(node),
    version_ms: r(version),
    ps_ms: r(ps),
    version_ratio: Math.round((version / node) * 100) / 100,
    ps_ratio: Math.round((ps / node) * 100) / 100,
  };
}
