/**
 * A node of a 3-node JetStream cluster killed -9 under 500 jobs: a real gateway, scheduler and
 * echo worker in this process on one NatsBus connected to all three nodes, R3 streams, and
 * the node that bus is connected to killed (it stays down: two of three keep a quorum).
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import type { PoolsConfig, TimeoutsConfig } from "../../src/config/index.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { Scheduler } from "../../src/daemon/scheduler/index.js";
import type { JobStore } from "../../src/store/job-store.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import { echoHandler } from "../../src/workers/echo.js";
import type { JobHandler } from "../../src/workers/handler.js";
import { WorkerRuntime } from "../../src/workers/runtime.js";
import { topicSettingsFromTimeout } from "../../src/workers/runtime-options.js";
import { faultInvariants, loadWithFault } from "../support/fault-load.js";
import { type NatsClusterHandle, startNatsCluster } from "../support/nats-cluster.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const TOPIC = "job.echo";
const BUS_NAME = "faults-cluster";

const pools: PoolsConfig = { topics: { [TOPIC]: "echo" } };
const timeouts: TimeoutsConfig = {
  workflows: {},
  topics: { [TOPIC]: { timeout_seconds: 10, max_retries: 2 } },
  reconciler: { dispatch_timeout_seconds: 20, running_timeout_seconds: 30, scan_interval_seconds: 1 },
};
const allowAll = { check: async () => ({ decision: "ALLOW" as const, reason: "" }) };

let cluster: NatsClusterHandle;
let redis: RedisHandle;
const stops: (() => Promise<unknown>)[] = [];
/** Handler runs that returned a result, per job: a second view of "run twice" besides the records. */
const runs = new Map<string, number>();

const countingEcho: JobHandler = async (job, signal) => {
  const result = await echoHandler(job, signal);
  runs.set(job.jobId, (runs.get(job.jobId) ?? 0) + 1);
  return result;
};

async function startStack(): Promise<GatewayClient> {
  const bus = await connectNatsBus({
    url: cluster.url,
    name: BUS_NAME,
    logger,
    streamReplicas: 3,
    reconnectWaitMs: 250,
  });
  stops.push(() => bus.close());
  await bus.provision();
  const store: JobStore = await createRedisStore({ url: redis.url, prefix: uniquePrefix() });
  stops.push(() => store.close());
  const scheduler = new Scheduler({
    bus,
    store,
    safety: allowAll,
    pools,
    timeouts,
    metrics: new Registry(),
    logger,
    registryWarmupMs: 0,
  });
  await scheduler.start();
  stops.push(() => scheduler.stop());
  const gateway = new GatewayServer({
    bus,
    store,
    logger,
    config: { grpcHost: "127.0.0.1", grpcPort: 0, httpPort: 0, poolTopics: pools.topics },
  });
  await gateway.start();
  stops.push(() => gateway.stop());
  const worker = new WorkerRuntime({
    bus,
    store,
    timeouts,
    kind: "echo",
    pool: "echo",
    topics: [TOPIC],
    handler: countingEcho,
    // As the daemon's workers component does: an ack wait of the topic's timeout (10 s). With
    // the runtime's default (30 s), a pull batch delivered to the killed node's connection
    // waited past the reconciler's 20 s dispatch timeout and was dispatched again (attempt 2).
    topicSettings: { [TOPIC]: topicSettingsFromTimeout({ timeoutSeconds: 10 }) },
    concurrency: 16,
    heartbeatIntervalMs: 1_000,
    logger,
  });
  await worker.start();
  stops.push(() => worker.drain(1_000));
  // Patient enough to ride out a stream leader election (seconds), as a client should be.
  const client = createGatewayClient({
    address: `127.0.0.1:${gateway.ports().grpc}`,
    timeoutMs: 5_000,
    submitRetry: { attempts: 30, maxMs: 1_000 },
  });
  stops.push(async () => client.close());
  return client;
}

/** The name of the node a connection of that name is on, from each live node's /connz. */
async function connectedNode(connName: string): Promise<string> {
  for (const node of cluster.nodes) {
    const res = await fetch(`${node.monitorUrl}/connz?limit=1024`).catch(() => undefined);
    if (!res?.ok) continue;
    const body = (await res.json()) as { connections?: { name?: string }[] };
    if (body.connections?.some((c) => c.name === connName)) return node.name;
  }
  return "";
}

beforeAll(async () => {
  [cluster, redis] = await Promise.all([startNatsCluster(3), startRedis()]);
}, 60_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await Promise.allSettled([cluster?.stop(), redis?.stop()]);
});

describe("faults in a 3-node JetStream cluster", () => {
  it("kill -9 of the node the bus is connected to, under 500 jobs", async () => {
    const client = await startStack();
    let victim = "";
    const t = await loadWithFault(client, {
      name: "cluster node kill -9",
      context: { sleep_ms: 10 },
      recoveryBoundMs: 60_000,
      fault: async () => {
        victim = await connectedNode(BUS_NAME);
        const node = cluster.nodes.find((n) => n.name === victim);
        if (!node) throw new Error(`no node holds connection ${BUS_NAME} ("${victim}")`);
        await node.kill9();
      },
    });
    const handlerRanTwice = [...runs.values()].filter((n) => n > 1).length;
    console.log(`cluster: killed ${victim}; handler ran twice for ${handlerRanTwice} jobs`);
    expect(faultInvariants(t)).toEqual({ lost: 0, stuck: 0, runTwiceWithinRunning: true });
    expect(handlerRanTwice).toBeLessThanOrEqual(t.runningAtFault);
  }, 120_000);
});
