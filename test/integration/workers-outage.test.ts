/**
 * Outages never use up attempts: a worker runtime against a real nats-server and a real
 * redis-server that is shut down and started again on the same port mid-load. The test
 * plays the scheduler (test/support/fake-scheduler.ts).
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import { storeUnavailable } from "../../src/core/errors.js";
import { isTerminal, JobState } from "../../src/core/states.js";
import type { JobRecord, JobStore } from "../../src/store/job-store.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import { echoHandler } from "../../src/workers/echo.js";
import type { JobHandler } from "../../src/workers/handler.js";
import { WorkerRuntime, type WorkerRuntimeOptions } from "../../src/workers/runtime.js";
import { dispatchJob } from "../support/fake-scheduler.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.LOG_LEVEL ?? "silent" });
const prefix = uniquePrefix();
const JOBS = 200;
const OUTAGE_MS = 7_000;

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: JobStore;
const runtimes: WorkerRuntime[] = [];

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  bus = await connectNatsBus({ url: nats.url, name: "workers-outage-test", logger });
  store = await createRedisStore({ url: redis.url, prefix });
  await bus.provision();
});

afterAll(async () => {
  await Promise.allSettled(runtimes.splice(0).map((r) => r.drain(1_000)));
  await bus?.close();
  await store?.close();
  await Promise.allSettled([nats?.stop(), redis?.stop()]);
});

async function startRuntime(opts: Partial<WorkerRuntimeOptions> & Pick<WorkerRuntimeOptions, "topics">) {
  const runtime = new WorkerRuntime({
    bus,
    store,
    kind: "echo",
    pool: "echo",
    handler: echoHandler,
    heartbeatIntervalMs: 1_000,
    ackWaitMs: 5_000,
    logger,
    ...opts,
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

/** A Redis restart that keeps the data: SHUTDOWN SAVE, down for `ms`, then the same port again. */
async function restartRedis(ms: number): Promise<void> {
  const admin = new Redis(redis.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  await admin.connect();
  await admin.call("SHUTDOWN", "SAVE").catch(() => {});
  admin.disconnect();
  await new Promise((resolve) => setTimeout(resolve, ms));
  await redis.restart();
}

async function jobsOf(ids: readonly string[]): Promise<JobRecord[]> {
  return (await store.getJobs(ids)).filter((j): j is JobRecord => j !== undefined);
}

async function waitAllTerminal(ids: readonly string[], timeoutMs: number): Promise<JobRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await jobsOf(ids).catch(() => []);
    const ended = jobs.filter((j) => isTerminal(j.state));
    if (ended.length === ids.length || Date.now() > deadline) return jobs;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Dispatches `JOBS` jobs, half ending before the RUNNING mark (250 ms), half marked RUNNING first. */
async function dispatchMany(topic: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i += 20) {
    const batch = Array.from({ length: 20 }, (_, k) =>
      dispatchJob({ bus, store, prefix }, topic, { n: i + k, sleep_ms: (i + k) % 2 === 0 ? 50 : 400 }),
    );
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

async function untilSucceeded(ids: readonly string[], count: number): Promise<void> {
  while ((await jobsOf(ids)).filter((j) => j.state === JobState.Succeeded).length < count) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** All ended SUCCEEDED on their first attempt, none TIMEOUT, within 10 s of the server's return. */
async function expectAllOnce(ids: readonly string[], backAt: number): Promise<void> {
  const jobs = await waitAllTerminal(ids, 20_000);
  const recoveredMs = Date.now() - backAt;
  const byState = (s: JobState) => jobs.filter((j) => j.state === s).length;
  const notOnce = jobs.filter((j) => j.attempts !== 1).map((j) => `${j.jobId}:${j.state}:${j.attempts}`);
  expect({
    found: jobs.length,
    succeeded: byState(JobState.Succeeded),
    timeout: byState(JobState.Timeout),
  }).toEqual({
    found: JOBS,
    succeeded: JOBS,
    timeout: 0,
  });
  expect(notOnce).toEqual([]);
  expect(recoveredMs).toBeLessThan(10_000);
}

describe("a store outage under load", () => {
  it(`a ${OUTAGE_MS / 1000} s Redis restart under ${JOBS} jobs: all SUCCEEDED, attempts 1, done within 10 s of its return`, async () => {
    const topic = "job.test.outage";
    const ids = await dispatchMany(topic);
    await startRuntime({ topics: [topic], concurrency: 16 });
    // Let some finish, then take Redis away with jobs in flight.
    await untilSucceeded(ids, 30);
    await restartRedis(OUTAGE_MS);
    await expectAllOnce(ids, Date.now());
  }, 60_000);

  it("an outage hand-back of a job marked RUNNING resumes the same attempt", async () => {
    const topic = "job.test.outage-running";
    let failures = 0;
    // Redis gone just as the end is written: RUNNING was recorded, the end was not.
    const flaky: JobStore = Object.create(store, {
      finishAttempt: {
        value: (req: Parameters<JobStore["finishAttempt"]>[0]) =>
          failures++ < 2
            ? Promise.reject(storeUnavailable(redis.url, new Error("connection reset")))
            : store.finishAttempt(req),
      },
    });
    const slow: JobHandler = (job, signal) => echoHandler({ ...job, context: { sleep_ms: 400 } }, signal);
    await startRuntime({ topics: [topic], store: flaky, handler: slow });
    const jobId = await dispatchJob({ bus, store, prefix }, topic, { n: 1 });
    const [job] = await waitAllTerminal([jobId], 15_000);
    expect(failures).toBe(3);
    // Two hand-backs, three deliveries, one attempt.
    expect(job).toMatchObject({ state: JobState.Succeeded, attempts: 1 });
  }, 20_000);
});

describe("a bus outage under load", () => {
  it(`a 5 s nats-server restart under ${JOBS} jobs: all SUCCEEDED, attempts 1, done within 10 s of its return`, async () => {
    const topic = "job.test.bus-outage";
    const ids = await dispatchMany(topic);
    await startRuntime({ topics: [topic], concurrency: 16 });
    await untilSucceeded(ids, 30);
    await nats.kill9();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await nats.restart();
    await expectAllOnce(ids, Date.now());
  }, 60_000);
});
