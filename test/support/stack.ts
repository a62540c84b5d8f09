/**
 * One isolated stack for an end-to-end test file: a fresh CORTEX_HOME and free ports, real
 * nats-server and redis-server from the harness on the nats backend (none on embedded), and
 * helpers that drive the built CLI.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import { type TestBackend, testBackend } from "./backend.js";
import { type CliResult, removeHome, runCli, stackEnv } from "./cli.js";
import { type NatsHandle, startNats } from "./nats-server.js";
import { type RedisHandle, type StartRedisOptions, startRedis } from "./redis-server.js";

export interface TestStack {
  backend: TestBackend;
  /** The harness's servers; only on the nats backend. */
  nats?: NatsHandle;
  redis?: RedisHandle;
  env: NodeJS.ProcessEnv;
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
  client(): GatewayClient;
  stop(): Promise<void>;
}

export interface TestStackOptions {
  /** timeouts.yaml content to use instead of the shipped one. */
  timeoutsYaml?: string;
  /** safety.yaml content to use instead of the shipped one. */
  safetyYaml?: string;
  extraEnv?: NodeJS.ProcessEnv;
  /** Overrides the project's backend (the faults project runs both). */
  backend?: TestBackend;
  redis?: StartRedisOptions;
}

/** Short timeouts so fault tests finish in seconds. */
export function fastTimeouts(
  opts: { echoTimeout?: number; retries?: number; dispatch?: number; scan?: number } = {},
): string {
  return `workflows: {}
topics:
  job.echo:
    timeout_seconds: ${opts.echoTimeout ?? 4}
    max_retries: ${opts.retries ?? 2}
  job.chat.simple:
    timeout_seconds: 10
    max_retries: 2
reconciler:
  dispatch_timeout_seconds: ${opts.dispatch ?? 20}
  running_timeout_seconds: 30
  scan_interval_seconds: ${opts.scan ?? 1}
`;
}

/** A daemon `down` could not stop (or a test that never reached it) must not outlive the test. */
function killLeftoverDaemon(env: NodeJS.ProcessEnv): void {
  // The supervisor first, or it would start another daemon.
  for (const file of ["supervisor.pid", "daemon.pid"]) {
    try {
      const pid = Number(readFileSync(join(String(env.CORTEX_HOME), file), "utf8").trim());
      if (pid > 0) process.kill(pid, "SIGKILL");
    } catch {
      // no pid file or already gone
    }
  }
}

export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const backend = opts.backend ?? testBackend();
  const [nats, redis] =
    backend === "nats" ? await Promise.all([startNats(), startRedis(opts.redis)]) : [undefined, undefined];
  const env = await stackEnv({ natsUrl: nats?.url, redisUrl: redis?.url, extra: opts.extraEnv ?? {} });
  if (opts.timeoutsYaml) {
    const path = join(String(env.CORTEX_HOME), "timeouts.yaml");
    writeFileSync(path, opts.timeoutsYaml);
    env.TIMEOUT_CONFIG_PATH = path;
  }
  if (opts.safetyYaml) {
    const path = join(String(env.CORTEX_HOME), "safety.yaml");
    writeFileSync(path, opts.safetyYaml);
    env.SAFETY_CONFIG_PATH = path;
  }
  const clients: GatewayClient[] = [];
  process.once("exit", () => killLeftoverDaemon(env));
  return {
    backend,
    nats,
    redis,
    env,
    cli: (args, timeoutMs) => runCli(args, env, timeoutMs),
    client: () => {
      const c = createGatewayClient({ address: `127.0.0.1:${env.CORTEX_GRPC_PORT}`, timeoutMs: 5000 });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await runCli(["down", "--timeout", "10"], env).catch(() => undefined);
      killLeftoverDaemon(env);
      await Promise.all([nats?.stop(), redis?.stop()]);
      removeHome(env);
    },
  };
}
