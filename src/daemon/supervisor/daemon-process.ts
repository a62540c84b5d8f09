import { spawn } from "node:child_process";
import { openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { CortexHome } from "./home.js";
import { isAlive, readPid } from "./stack-file.js";

/** Young-generation semi-space of the daemon (MB): V8's default (16) triples into 48 MB of RSS. */
const DAEMON_SEMI_SPACE_MB = 8;

/**
 * Node options for a daemon process: a V8 old-space cap (`heapMb`) and a smaller young
 * generation, each unless NODE_OPTIONS already sets it. Without a cap V8 sizes the heap from
 * the machine's memory and lets a busy daemon's garbage pile up to ~2x its live set.
 */
export function daemonNodeArgs(heapMb: number, env: NodeJS.ProcessEnv = process.env): string[] {
  const options = env.NODE_OPTIONS ?? "";
  return [
    ["--max-old-space-size", heapMb],
    ["--max-semi-space-size", DAEMON_SEMI_SPACE_MB],
  ]
    .filter(([flag]) => !options.includes(String(flag)))
    .map(([flag, mb]) => `${flag}=${mb}`);
}

/** Starts `cortex daemon` detached, its output appended to the daemon log. */
export function spawnDaemon(opts: {
  runScript: string;
  home: CortexHome;
  env: NodeJS.ProcessEnv;
  heapMb: number;
  args?: string[];
}): number {
  const out = openSync(opts.home.daemonLog, "a");
  const nodeArgs = daemonNodeArgs(opts.heapMb, opts.env);
  const child = spawn(process.execPath, [...nodeArgs, opts.runScript, "daemon", ...(opts.args ?? [])], {
    detached: true,
    stdio: ["ignore", out, out],
    env: opts.env,
  });
  child.unref();
  if (child.pid === undefined) throw new Error("could not spawn the daemon process");
  writeFileSync(opts.home.pidFile, `${child.pid}\n`);
  return child.pid;
}

export function runningDaemonPid(home: CortexHome): number | undefined {
  const pid = readPid(home.pidFile);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/** Sends SIGTERM (the daemon drains), then SIGKILL after `timeoutMs`. Resolves when gone. */
export async function stopProcess(pid: number, timeoutMs: number): Promise<"exited" | "killed" | "absent"> {
  if (!isAlive(pid)) return "absent";
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return "absent";
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return "exited";
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
  return "killed";
}

export function removePidFile(home: CortexHome): void {
  rmSync(home.pidFile, { force: true });
}

export function tailFile(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .slice(-lines - 1)
      .join("\n");
  } catch {
    return "";
  }
}
