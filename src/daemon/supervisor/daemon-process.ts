import { openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { RESTART_MAX_MS } from "./backoff.js";
import type { CortexHome } from "./home.js";
import { logFileStdio } from "./log-file-stdio.js";
import { isAlive, readPid } from "./stack-file.js";
import { type SupervisorConfig, supervisorPidPath } from "./supervisor-state.js";

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

/**
 * Starts the supervisor detached (see supervisor-main.ts), which starts `cortex daemon` and
 * restarts it when it dies; resolves with the daemon's pid once the supervisor wrote it.
 */
export async function spawnDaemon(opts: {
  runScript: string;
  home: CortexHome;
  env: NodeJS.ProcessEnv;
  heapMb: number;
  args?: string[];
}): Promise<number> {
  rmSync(opts.home.pidFile, { force: true });
  const out = openSync(opts.home.daemonLog, "a");
  const config: SupervisorConfig = {
    runScript: opts.runScript,
    nodeArgs: daemonNodeArgs(opts.heapMb, opts.env),
    daemonArgs: opts.args ?? [],
    homeRoot: opts.home.root,
    pidFile: opts.home.pidFile,
    daemonLog: opts.home.daemonLog,
  };
  const script = fileURLToPath(new URL("./supervisor-main.js", import.meta.url));
  const child = execa(process.execPath, [script, JSON.stringify(config)], {
    detached: true,
    ...logFileStdio(out),
    env: opts.env,
    extendEnv: false,
    // The supervisor outlives this CLI; its exit, whatever the code, is not this process's error.
    reject: false,
  });
  child.unref();
  const supervisor = child.pid;
  if (supervisor === undefined) throw cannotStart(opts.home, "the supervisor process could not be spawned");
  writeFileSync(supervisorPidPath(opts.home.root), `${supervisor}\n`);
  const deadline = Date.now() + SUPERVISOR_START_MS;
  while (Date.now() < deadline) {
    const pid = readPid(opts.home.pidFile);
    if (pid !== undefined) return pid;
    if (!isAlive(supervisor)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw cannotStart(opts.home, "the supervisor did not start the daemon");
}

/** How long the supervisor may take to start the daemon. */
const SUPERVISOR_START_MS = 10_000;

function cannotStart(home: CortexHome, why: string): CortexError {
  return new CortexError(ErrorCode.StackUnreachable, `could not start the daemon: ${why}`, {
    hint: `See ${home.daemonLog}, then run \`cortex up\` again.`,
  });
}

/** The supervisor of this home, when it runs. */
export function runningSupervisorPid(home: CortexHome): number | undefined {
  const pid = readPid(supervisorPidPath(home.root));
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/**
 * The daemon a running supervisor is about to restart (it is in its backoff), once it has;
 * undefined when no supervisor runs. `cortex up` must not start a second stack beside it.
 */
export async function restartingDaemonPid(home: CortexHome): Promise<number | undefined> {
  const deadline = Date.now() + RESTART_MAX_MS + SUPERVISOR_START_MS;
  while (Date.now() < deadline) {
    const supervisor = runningSupervisorPid(home);
    if (supervisor === undefined) return undefined;
    const pid = runningDaemonPid(home);
    if (pid !== undefined) return pid;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** A start that failed: the supervisor must not keep restarting a daemon that cannot start. */
export async function abandonStart(home: CortexHome): Promise<void> {
  const supervisor = runningSupervisorPid(home);
  if (supervisor !== undefined) await stopProcess(supervisor, 5_000);
  const pid = runningDaemonPid(home);
  if (pid !== undefined) await stopProcess(pid, 5_000);
}

/** Waits up to `timeoutMs` for pid to exit, without signalling it. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
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
