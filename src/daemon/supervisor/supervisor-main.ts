/**
 * The supervisor `cortex up` starts detached: it runs `cortex daemon`, and when the daemon
 * dies (OOM, crash, kill -9) starts it again after a capped exponential backoff. It stops
 * restarting when asked to (SIGTERM from `cortex down`, which it forwards to the daemon) or
 * when the daemon exits 0 (it was told to stop). State for `cortex ps` is in supervisor.json.
 *
 * A separate small process rather than a loop inside the daemon: whatever kills the daemon
 * (the V8 heap limit, SIGKILL) cannot take down what restarts it.
 */
import { openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { execa, type Subprocess } from "execa";
import { HEALTHY_RUN_MS, restartDelayMs } from "./backoff.js";
import { logFileStdio } from "./log-file-stdio.js";
import {
  type SupervisorConfig,
  type SupervisorState,
  supervisorPidPath,
  writeSupervisorState,
} from "./supervisor-state.js";

/** A first daemon that exits with an error this fast failed to start (config, port taken): not restarted. */
const STARTUP_FAILURE_MS = 5_000;
/** Quick crashes in a row after which the supervisor gives up (the log says why). */
const MAX_CRASHES_IN_A_ROW = 10;

const config = JSON.parse(process.argv[2] ?? "{}") as SupervisorConfig;
const out = openSync(config.daemonLog, "a");
const state: SupervisorState = { pid: process.pid, daemonPid: 0, restarts: 0 };
let child: Subprocess | undefined;
let startedAt = 0;
let crashes = 0;
let timer: NodeJS.Timeout | undefined;

/** One JSON line in the daemon log, shaped like the daemon's own (pino) lines. */
function log(level: "info" | "warn" | "error", msg: string, extra: Record<string, unknown> = {}): void {
  const levels = { info: 30, warn: 40, error: 50 } as const;
  const line = {
    level: levels[level],
    time: Date.now(),
    pid: process.pid,
    name: "supervisor",
    ...extra,
    msg,
  };
  writeSync(out, `${JSON.stringify(line)}\n`);
}

function startDaemon(): void {
  const args = [...config.nodeArgs, config.runScript, "daemon", ...config.daemonArgs];
  const c = execa(process.execPath, args, {
    ...logFileStdio(out),
    env: process.env,
    // Exits are read from the "exit" event below; the daemon's own SIGTERM drain has no
    // deadline here (`cortex down` has its own), and a supervisor that dies leaves it running.
    reject: false,
    forceKillAfterDelay: false,
    cleanup: false,
  });
  if (c.pid === undefined) {
    log("error", "could not spawn the daemon process; giving up");
    finish(1);
    return;
  }
  child = c;
  startedAt = Date.now();
  writeFileSync(config.pidFile, `${c.pid}\n`);
  state.daemonPid = c.pid;
  writeSupervisorState(config.homeRoot, state);
  c.on("exit", (code, signal) => onExit(code, signal));
}

function onExit(code: number | null, signal: NodeJS.Signals | null): undefined {
  child = undefined;
  const ranMs = Date.now() - startedAt;
  state.daemonPid = 0;
  state.lastExit = { code, signal, atMs: Date.now() };
  writeSupervisorState(config.homeRoot, state);
  if (state.stopping) return finish(0);
  if (code === 0) {
    log("info", "daemon exited cleanly; not restarting it", { code });
    return finish(0);
  }
  // Killed by a signal (OOM killer, V8's abort, kill -9) is a crash at any age.
  if (signal === null && state.restarts === 0 && ranMs < STARTUP_FAILURE_MS) {
    log("error", "daemon failed at startup; not restarting it (see the lines above)", { code, signal });
    return finish(1);
  }
  crashes = ranMs >= HEALTHY_RUN_MS ? 1 : crashes + 1;
  if (crashes > MAX_CRASHES_IN_A_ROW) {
    log(
      "error",
      `daemon crashed ${MAX_CRASHES_IN_A_ROW} times in a row; giving up (run \`cortex up\` again)`,
    );
    return finish(1);
  }
  const delayMs = restartDelayMs(crashes);
  log("warn", `daemon died (${signal ?? `exit code ${code}`}); restarting it in ${delayMs} ms`, {
    code,
    signal,
    ranMs,
    restarts: state.restarts + 1,
  });
  timer = setTimeout(() => {
    timer = undefined;
    state.restarts += 1;
    startDaemon();
  }, delayMs);
}

function stop(): void {
  if (state.stopping) return;
  state.stopping = true;
  writeSupervisorState(config.homeRoot, state);
  if (timer !== undefined) clearTimeout(timer);
  // The daemon drains on SIGTERM; its exit then ends the supervisor.
  if (child !== undefined) child.kill("SIGTERM");
  else finish(0);
}

function finish(code: number): never {
  rmSync(supervisorPidPath(config.homeRoot), { force: true });
  process.exit(code);
}

process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("SIGHUP", () => undefined);
writeFileSync(supervisorPidPath(config.homeRoot), `${process.pid}\n`);
startDaemon();
