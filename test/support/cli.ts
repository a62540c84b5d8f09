/**
 * Runs the built CLI (bin/run.cjs → dist/) as a subprocess, the way a user types it.
 * `npm test` builds first (pretest), so dist/ is current.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa, type Subprocess } from "execa";
import { packageRoot } from "../../src/config/package-root.js";
import { freePort } from "./free-port.js";

// From the package root, so this also works when compiled elsewhere (the benchmark's build).
export const CLI_BIN = resolve(packageRoot(), "bin/run.cjs");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (when it is). */
  json: unknown;
}

export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
  cwd?: string,
): Promise<CliResult> {
  const r = await execa(process.execPath, [CLI_BIN, ...args], {
    env,
    // Only the variables given: a NATS_URL in the test's own environment must not pick the backend.
    extendEnv: false,
    stdin: "ignore",
    ...(cwd ? { cwd } : {}),
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    reject: false,
    stripFinalNewline: false,
  });
  if (r.timedOut) {
    throw new Error(`cortex ${args.join(" ")} did not finish in ${timeoutMs} ms\n${r.stdout}\n${r.stderr}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

/** A long-running CLI process (daemon, worker start) with its output kept for debugging. */
export interface CliProcess {
  /** An execa subprocess: a ChildProcess with execa's extras. */
  child: Subprocess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = execa(process.execPath, [CLI_BIN, ...args], {
    env,
    extendEnv: false,
    stdin: "ignore",
    // Output is read below as it comes; tests send their own signals and read the exit code.
    buffer: false,
    reject: false,
    forceKillAfterDelay: false,
    cleanup: false,
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += String(d);
  });
  child.stderr?.on("data", (d) => {
    out += String(d);
  });
  // Killed if the test process ends first; the hook goes once the child has exited.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((r) =>
    child.on("exit", (code) => {
      process.removeListener("exit", killOnExit);
      r(code);
    }),
  );
  return { child, output: () => out, exited };
}

/**
 * Environment for one isolated stack: its own CORTEX_HOME (the caller removes it, see
 * removeHome), free ports, and NATS/Redis when given. Without them the CLI gets no NATS_URL
 * or REDIS_URL at all, so it picks the embedded backend the way a user's shell does.
 */
export async function stackEnv(opts: {
  natsUrl?: string;
  redisUrl?: string;
  extra?: NodeJS.ProcessEnv;
}): Promise<NodeJS.ProcessEnv> {
  const [grpc, http, safety, sched, orch, gw] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CORTEX_HOME: mkdtempSync(join(tmpdir(), "cortex-home-")),
    ...(opts.natsUrl === undefined ? {} : { NATS_URL: opts.natsUrl }),
    ...(opts.redisUrl === undefined ? {} : { REDIS_URL: opts.redisUrl }),
    CORTEX_GRPC_PORT: String(grpc),
    CORTEX_HTTP_PORT: String(http),
    CORTEX_SAFETY_PORT: String(safety),
    // A free port per process: tests start several processes (daemon --only, worker start) on
    // one env; `ps` reports the bound address. The all-in-one daemon also answers on the aliases.
    CORTEX_METRICS_PORT: "0",
    CORTEX_SCHEDULER_METRICS_PORT: String(sched),
    CORTEX_ORCHESTRATOR_METRICS_PORT: String(orch),
    CORTEX_GATEWAY_METRICS_PORT: String(gw),
    CORTEX_LOG_LEVEL: "info",
    // Nothing listens there: a developer's own Ollama never leaks into a test.
    OLLAMA_URL: "http://127.0.0.1:9",
    NO_COLOR: "1",
    ...opts.extra,
  };
}

/** Removes a stack's CORTEX_HOME (data, logs, pid file) once nothing runs there any more. */
export function removeHome(env: NodeJS.ProcessEnv): void {
  if (env.CORTEX_HOME) rmSync(env.CORTEX_HOME, { recursive: true, force: true });
}
