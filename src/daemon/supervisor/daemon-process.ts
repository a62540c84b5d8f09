import { spawn } from "node:child_process";
import { openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { CortexHome } from "./home.js";
import { isAlive, readPid } from "./stack-file.js";

/** Starts `cortex daemon` detached, its output appended to the daemon log. */
export function spawnDaemon(opts: {
  runScript: string;
  home: CortexHome;
  env: NodeJS.ProcessEnv;
  args?: string[];
}): number {
  const out = openSync(opts.home.daemonLog, "a");
  const child = spawn(process.execPath, [opts.runScript, "daemon", ...(opts.args ?? [])], {
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
