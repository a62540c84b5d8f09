/**
 * Faults of the nats backend's processes under 500 jobs each, through the built CLI: the
 * daemon (`cortex daemon --only safety,scheduler,gateway`) and two `cortex worker start echo`
 * processes on one real nats-server and one redis-server (appendonly on). The cases share the
 * stack and run in order; each tallies only its own jobs.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import { type CliProcess, spawnCli } from "../support/cli.js";
import { waitForReady, waitForWorkers } from "../support/daemon-wait.js";
import { faultInvariants, loadWithFault } from "../support/fault-load.js";
import { fastTimeouts, startTestStack, type TestStack } from "../support/stack.js";

const RECOVERY_BOUND_MS = 60_000;
const CASE_TIMEOUT_MS = 100_000;
const DAEMON_ARGS = ["daemon", "--only", "safety,scheduler,gateway"];
const WORKER_ARGS = ["worker", "start", "echo", "--concurrency", "8"];
const ok = { lost: 0, stuck: 0, runTwiceWithinRunning: true };

let stack: TestStack;
let client: GatewayClient;
let daemon: CliProcess;
const workers: CliProcess[] = [];

async function killed(proc: CliProcess): Promise<void> {
  proc.child.kill("SIGKILL");
  await proc.exited;
}

beforeAll(async () => {
  stack = await startTestStack({
    timeoutsYaml: fastTimeouts({ echoTimeout: 5, dispatch: 10 }),
    redis: { appendonly: true },
  });
  daemon = spawnCli(DAEMON_ARGS, stack.env);
  // Patient enough to ride out a short outage, as a client should be; what is still refused is counted.
  client = createGatewayClient({
    address: `127.0.0.1:${stack.env.CORTEX_GRPC_PORT}`,
    timeoutMs: 5_000,
    submitRetry: { attempts: 6, maxMs: 1_000 },
  });
  await waitForReady(client, daemon, 30_000);
  workers.push(spawnCli(WORKER_ARGS, stack.env), spawnCli(WORKER_ARGS, stack.env));
  await waitForWorkers(client, "echo", 2, 30_000);
}, 60_000);

afterAll(async () => {
  client?.close();
  for (const p of [daemon, ...workers]) p?.child.kill("SIGKILL");
  await stack?.stop();
});

describe("faults on the nats backend, 500 jobs each", () => {
  it(
    "kill -9 of a worker process",
    async () => {
      const t = await loadWithFault(client, {
        name: "kill -9 worker (nats)",
        // Longer jobs, so the killed worker has some in hand.
        context: { sleep_ms: 200 },
        recoveryBoundMs: RECOVERY_BOUND_MS,
        fault: async () => {
          const victim = workers.shift();
          if (victim) await killed(victim);
          workers.push(spawnCli(WORKER_ARGS, stack.env));
        },
      });
      expect(faultInvariants(t)).toEqual(ok);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    "kill -9 of the daemon, started again",
    async () => {
      const t = await loadWithFault(client, {
        name: "kill -9 daemon (nats)",
        recoveryBoundMs: RECOVERY_BOUND_MS,
        fault: async () => {
          await killed(daemon);
          daemon = spawnCli(DAEMON_ARGS, stack.env);
        },
      });
      expect(faultInvariants(t)).toEqual(ok);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    "a nats-server restart",
    async () => {
      const t = await loadWithFault(client, {
        name: "nats-server restart",
        recoveryBoundMs: RECOVERY_BOUND_MS,
        fault: async () => stack.nats?.restart(),
      });
      expect(faultInvariants(t)).toEqual(ok);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    "a redis-server restart (appendonly yes)",
    async () => {
      const t = await loadWithFault(client, {
        name: "redis-server restart (appendonly)",
        recoveryBoundMs: RECOVERY_BOUND_MS,
        fault: async () => stack.redis?.restart(),
      });
      expect(faultInvariants(t)).toEqual(ok);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    "SIGSTOP of the daemon for 20 s, then SIGCONT",
    async () => {
      const t = await loadWithFault(client, {
        name: "SIGSTOP daemon 20 s (nats)",
        recoveryBoundMs: RECOVERY_BOUND_MS,
        fault: async () => {
          const pid = daemon.child.pid ?? 0;
          process.kill(pid, "SIGSTOP");
          try {
            await sleep(20_000);
          } finally {
            process.kill(pid, "SIGCONT");
          }
        },
      });
      expect(faultInvariants(t)).toEqual(ok);
    },
    CASE_TIMEOUT_MS,
  );
});
