/**
 * A corrupt job record at the gateway (issue 14, finding 4): GetJob answers DATA_LOSS naming
 * the job and the field (not "Error serializing response"), ListJobs leaves it out, and
 * cortex_store_decode_failures_total counts it. Real Redis and gRPC; the in-process bus.
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/memory-bus.js";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import { CortexError, ErrorCode } from "../../src/core/errors.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

let redis: RedisHandle;
let raw: Redis;
let bus: MemoryBus;
let store: RedisJobStore;
let gateway: GatewayServer;
let client: GatewayClient;
const registry = new Registry();

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  bus = new MemoryBus({ logger });
  store = await createRedisStore({ url: redis.url, prefix: uniquePrefix(), logger });
  gateway = new GatewayServer({
    bus,
    store,
    logger,
    metrics: registry,
    config: { grpcPort: 0, httpPort: 0, poolTopics: { "job.echo": "echo" }, redisUrl: redis.url },
  });
  await gateway.start();
  client = createGatewayClient({ address: `127.0.0.1:${gateway.ports().grpc}`, timeoutMs: 5_000 });
});

afterAll(async () => {
  client?.close();
  await gateway?.stop();
  await store?.close();
  await bus?.close();
  await raw?.quit();
  await redis?.stop();
});

describe("gateway reads past a corrupt record", () => {
  it("GetJob answers DATA_LOSS with the job id, field and a hint; ListJobs skips it; the metric counts it", async () => {
    const good = await client.submitJob({ topic: "job.echo", prompt: "ok" });
    const bad = await client.submitJob({ topic: "job.echo", prompt: "bad" });
    // What a 2^31 step_index stored by an older build looks like.
    await raw.hset(store.keys.meta(bad.jobId), "step_index", "2147483648");

    const err = await client.getJob(bad.jobId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CortexError);
    expect((err as CortexError).code).toBe(ErrorCode.DecodeFailed);
    expect((err as CortexError).message).toContain(bad.jobId);
    expect((err as CortexError).message).toContain("step_index");
    expect((err as CortexError).hint).toMatch(/Fix or delete/);

    const page = await client.listJobs({ limit: 50 });
    expect(page.jobs.map((j) => j.jobId)).toContain(good.jobId);
    expect(page.jobs.map((j) => j.jobId)).not.toContain(bad.jobId);

    const text = await registry.getSingleMetricAsString("cortex_store_decode_failures_total");
    const value = Number(/cortex_store_decode_failures_total (\d+)/.exec(text)?.[1]);
    expect(value).toBeGreaterThanOrEqual(1);
  });
});
