/**
 * Runs the built CLI (bin/run.cjs → dist/) as a subprocess, the way a user types it.
 * `npm test` builds first (pretest), so dist/ is current.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
  cwd?: string,
): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(cwd ? { cwd } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`cortex ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolveRun({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

/** A long-running CLI process (daemon, worker start) with its output kept for debugging. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
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
