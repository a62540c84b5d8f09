/**
 * Outages never use up attempts: a worker runtime against a real nats-server and a real
 * redis-server whose store fails just as a job's end is written. The test plays the scheduler
 * (test/support/fake-scheduler.ts). Restarts of nats-server and redis-server under 500 jobs
 * (with the full daemon) are in test/faults/nats-processes.test.ts.
 */
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

describe("a store outage", () => {
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
