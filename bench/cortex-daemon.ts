/** The cortex stack under test: a real daemon (the built CLI) and a gateway client connected to it. */

import { readFileSync, rmSync } from "node:fs";
import { execa, type Subprocess } from "execa";
import { createGatewayClient, type GatewayClient } from "../src/client/gateway-client.js";
import { ENV_VARS, loadEnv } from "../src/config/env.js";
import { CortexError, ErrorCode } from "../src/core/errors.js";
import { daemonNodeArgs } from "../src/daemon/supervisor/daemon-process.js";
import { CLI_BIN, stackEnv } from "../test/support/cli.js";

export interface CortexDaemon {
  client: GatewayClient;
  env: NodeJS.ProcessEnv;
  pid: number;
  /** The separate echo worker process (`--split-workers`), when there is one. */
  workerPid?: number;
  /** Peak resident set size so far (VmHWM), MB. */
  peakRssMb(): number;
  rssMb(): number;
  stop(): Promise<void>;
}

function procStatusMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : 0;
  } catch {
    return 0;
  }
}

/** Where the daemon keeps its bus and store: the bench's own servers, or inside itself. */
export type DaemonBackend = { kind: "nats"; natsUrl: string; redisUrl: string } | { kind: "embedded" };

/**
 * A daemon that does not read CORTEX_BACKEND would fall back to NATS_URL / REDIS_URL's
 * defaults, 127.0.0.1:4222 / 6379: whatever servers run there, never the bench's own.
 */
function assertBackendSwitch(): void {
  if (!(ENV_VARS as readonly string[]).includes("CORTEX_BACKEND"))
    throw new CortexError(
      ErrorCode.ConfigInvalid,
      "--backend embedded needs a daemon that reads CORTEX_BACKEND; this build's environment has none",
      { hint: "Run the bench with --backend nats, or on a build with the embedded backend switch." },
    );
}

async function daemonEnv(backend: DaemonBackend): Promise<NodeJS.ProcessEnv> {
  const extra: NodeJS.ProcessEnv = {
    // The daemon's default log level (info) unless the caller sets one: what users run.
    ...(process.env.CORTEX_LOG_LEVEL ? { CORTEX_LOG_LEVEL: process.env.CORTEX_LOG_LEVEL } : {}),
    ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
  };
  if (backend.kind === "nats") return stackEnv({ ...backend, extra });
  assertBackendSwitch();
  // A fresh CORTEX_HOME (stackEnv makes one) holds the SQLite file; no server addresses at all.
  const { NATS_URL: _nats, REDIS_URL: _redis, ...env } = await stackEnv({ natsUrl: "", redisUrl: "", extra });
  return { ...env, CORTEX_BACKEND: "embedded" };
}

export async function startCortexDaemon(
  backend: DaemonBackend,
  concurrency: number,
  profileDir?: string,
  splitWorkers = false,
): Promise<CortexDaemon> {
  const env = await daemonEnv(backend);
  // A V8 CPU profile of the daemon, written when it exits (open it in Chrome DevTools or speedscope).
  // The same node options `cortex up` gives the daemon, plus the profiler when asked.
  const nodeArgs = [
    ...daemonNodeArgs(loadEnv(env).CORTEX_DAEMON_HEAP_MB, env),
    ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
  ];
  const spawnCli = (args: string[]): Subprocess => {
    const c = execa(process.execPath, [...nodeArgs, CLI_BIN, ...args], {
      env,
      extendEnv: false,
      stdio: ["ignore", "ignore", "inherit"],
      // stop() sends SIGTERM and waits for the drain, however long; the exit hook below kills.
      reject: false,
      forceKillAfterDelay: false,
      cleanup: false,
    });
    process.once("exit", () => c.kill("SIGKILL"));
    return c;
  };
  // --split-workers: the echo workers run as their own process (`cortex worker start`), so
  // the stack can use a second core; the daemon keeps the gateway, scheduler and safety kernel.
  const child = splitWorkers
    ? spawnCli(["daemon", "--only", "safety,scheduler,gateway"])
    : spawnCli(["daemon", "--concurrency", String(concurrency)]);
  const worker = splitWorkers
    ? spawnCli(["worker", "start", "echo", "--concurrency", String(concurrency)])
    : undefined;
  const client = createGatewayClient({ address: `127.0.0.1:${env.CORTEX_GRPC_PORT}`, timeoutMs: 30_000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const st = await client.getStatus().catch(() => undefined);
    const ready = st?.components.every((c) => c.state === "running") && (st?.components.length ?? 0) > 0;
    const workers = ready ? await client.listWorkers().catch(() => undefined) : undefined;
    if (workers?.pools.some((p) => p.pool === "echo" && p.liveWorkers > 0)) break;
    if (Date.now() > deadline)
      throw new CortexError(
        ErrorCode.StackUnreachable,
        "the bench's cortex daemon did not become ready in 30 s",
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid ?? 0;
  return {
    client,
    env,
    pid,
    peakRssMb: () => procStatusMb(pid, "VmHWM"),
    rssMb: () => procStatusMb(pid, "VmRSS"),
    ...(worker?.pid === undefined ? {} : { workerPid: worker.pid }),
    async stop() {
      client.close();
      await Promise.all(
        [child, worker].map(async (c) => {
          if (c === undefined || c.exitCode !== null) return;
          c.kill("SIGTERM");
          await new Promise((r) => c.once("exit", r));
        }),
      );
      if (env.CORTEX_HOME) rmSync(env.CORTEX_HOME, { recursive: true, force: true });
    },
  };
}
