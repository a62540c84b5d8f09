/**
 * The worker runtime against a real nats-server (JetStream) and redis-server. The test
 * plays the scheduler: it creates jobs in the store, marks them DISPATCHED, publishes the
 * JobRequest on the topic and reads JobResults from sys.job.result.
 */
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { newPacket } from "../../src/bus/codec.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import { storeUnavailable } from "../../src/core/errors.js";
import { keyNames, redisPointer } from "../../src/core/keys.js";
import { JobState } from "../../src/core/states.js";
import { heartbeatSubject, Subjects } from "../../src/core/subjects.js";
import { type Heartbeat, type JobResult, JobStatus } from "../../src/gen/cortex/v1/bus.js";
import type { JobStore } from "../../src/store/job-store.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import { drainOnSignals } from "../../src/workers/drain-on-signals.js";
import { echoHandler } from "../../src/workers/echo.js";
import type { JobHandler } from "../../src/workers/handler.js";
import { workerKind } from "../../src/workers/registry.js";
import { WorkerRuntime, type WorkerRuntimeOptions } from "../../src/workers/runtime.js";
import { consumeResults, dispatchJob } from "../support/fake-scheduler.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.LOG_LEVEL ?? "silent" });
const prefix = uniquePrefix();

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: JobStore;
const extraBuses: Bus[] = [];
const runtimes: WorkerRuntime[] = [];

/** Every JobResult seen on sys.job.result, by job id, and waiters for the next one. */
const results = new Map<string, JobResult[]>();
const resultWaiters = new Map<string, Array<(r: JobResult) => void>>();
const heartbeats: Array<{ subject: string; hb: Heartbeat }> = [];
const heartbeatWaiters: Array<{ match: (hb: Heartbeat) => boolean; resolve: (hb: Heartbeat) => void }> = [];

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  bus = await connectNatsBus({ url: nats.url, name: "workers-test", logger });
  store = await createRedisStore({ url: redis.url, prefix });
  await bus.provision();
  await consumeResults(bus, (r) => {
    results.set(r.jobId, [...(results.get(r.jobId) ?? []), r]);
    for (const resolve of resultWaiters.get(r.jobId) ?? []) resolve(r);
    resultWaiters.delete(r.jobId);
  });
  await bus.subscribe(`${Subjects.heartbeatPrefix}.>`, (packet, subject) => {
    if (packet.payload?.$case !== "heartbeat") return;
    const hb = packet.payload.heartbeat;
    heartbeats.push({ subject, hb });
    for (const w of heartbeatWaiters.splice(0)) {
      if (w.match(hb)) w.resolve(hb);
      else heartbeatWaiters.push(w);
    }
  });
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.drain(500)));
});

afterAll(async () => {
  // The dead worker's bus has no server to drain against; don't let its close hold up the file.
  await Promise.allSettled(extraBuses.map((b) => within(b.close(), 2_000)));
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
    heartbeatIntervalMs: 100,
    ackWaitMs: 2_000,
    logger,
    ...opts,
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

/** What the scheduler does: job record, DISPATCHED, JobRequest on the topic. */
function submit(topic: string, context: Record<string, unknown>, timeoutMs = 0): Promise<string> {
  return dispatchJob({ bus, store, prefix }, topic, context, timeoutMs);
}

/** A TCP proxy to 127.0.0.1:<port>; cut() drops every connection and stops listening. */
async function startTcpProxy(targetPort: number): Promise<{ url: string; cut(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on("error", drop).on("close", drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

function within(p: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([p, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

function nextResult(jobId: string): Promise<JobResult> {
  const seen = results.get(jobId)?.[0];
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => resultWaiters.set(jobId, [...(resultWaiters.get(jobId) ?? []), resolve]));
}

function nextHeartbeat(match: (hb: Heartbeat) => boolean): Promise<Heartbeat> {
  return new Promise((resolve) => heartbeatWaiters.push({ match, resolve }));
}

/** A handler that reports when it starts, then behaves like `inner`. */
function observed(inner: JobHandler) {
  const started = new Map<string, () => void>();
  const startedPromises = new Map<string, Promise<void>>();
  const whenStarted = (jobId: string): Promise<void> => {
    let p = startedPromises.get(jobId);
    if (!p) {
      p = new Promise<void>((resolve) => started.set(jobId, resolve));
      startedPromises.set(jobId, p);
    }
    return p;
  };
  const handler: JobHandler = (job, signal) => {
    void whenStarted(job.jobId);
    started.get(job.jobId)?.();
    return inner(job, signal);
  };
  return { handler, whenStarted };
}

describe("worker runtime", () => {
  it("runs an echo job: result document at res:<id> and a JobResult on sys.job.result", async () => {
    const kind = workerKind("echo");
    const runtime = await startRuntime({ kind: kind.kind, pool: kind.pool, topics: kind.topics });
    const jobId = await submit("job.echo", { hello: "world", n: 3 });

    const result = await nextResult(jobId);
    expect(result).toMatchObject({
      jobId,
      status: JobStatus.JOB_STATUS_COMPLETED,
      resultPtr: redisPointer(keyNames(prefix).res(jobId)),
      workerId: runtime.workerId,
      attempt: 1,
      errorMessage: "",
    });
    expect(result.executionMs).toBeGreaterThanOrEqual(0);
    const doc = (await store.getResult(jobId)) as Record<string, unknown>;
    expect(doc).toEqual({
      job_id: jobId,
      processed_by: runtime.workerId,
      received_ctx: { hello: "world", n: 3 },
      completed_at_utc: expect.any(String),
    });
    expect(new Date(doc.completed_at_utc as string).toISOString()).toBe(doc.completed_at_utc);
    // The worker finishes its own job: result, state and events in one store step, RUNNING included.
    const job = await store.getJob(jobId);
    expect(job).toMatchObject({ state: JobState.Succeeded, attempts: 1, workerId: runtime.workerId });
    expect(result.finished).toBe(true);
    expect((await store.events(jobId)).map((e) => e.to)).toEqual([
      "PENDING",
      "SCHEDULED",
      "DISPATCHED",
      "RUNNING",
      "SUCCEEDED",
    ]);
  });

  it("runs chat-simple jobs, and fails one without a prompt with a clear error", async () => {
    const kind = workerKind("chat-simple");
    const runtime = await startRuntime({
      kind: kind.kind,
      pool: kind.pool,
      topics: kind.topics,
      handler: kind.createHandler({}),
    });
    const ok = await submit("job.chat.simple", { prompt: "hi there" });
    const bad = await submit("job.chat.simple", { text: "no prompt" });

    expect((await nextResult(ok)).status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    expect(await store.getResult(ok)).toEqual({
      job_id: ok,
      processed_by: runtime.workerId,
      prompt: "hi there",
      response: "Echo: hi there",
      completed_at: expect.any(String),
    });

    const failed = await nextResult(bad);
    expect(failed.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(failed.errorMessage).toMatch(/no prompt/);
    expect(await store.getResult(bad)).toEqual({
      job_id: bad,
      processed_by: runtime.workerId,
      error: {
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/no prompt/),
        hint: expect.stringMatching(/prompt/),
      },
    });
  });

  it("heartbeats at once and then every interval, with the worker's real figures", async () => {
    const started = Date.now();
    const runtime = await startRuntime({
      kind: "echo",
      pool: "hb-pool",
      topics: ["job.test.hb"],
      concurrency: 3,
    });
    const isMine = (hb: Heartbeat) => hb.workerId === runtime.workerId;
    const first = await nextHeartbeat(isMine);
    await nextHeartbeat(isMine);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(first).toMatchObject({
      workerId: runtime.workerId,
      type: "echo",
      pool: "hb-pool",
      activeJobs: 0,
      maxParallelJobs: 3,
      capabilities: ["job.test.hb"],
    });
    expect(first.cpuLoad).toBeGreaterThanOrEqual(0);
    expect(first.cpuLoad).toBeLessThanOrEqual(100);
    expect(heartbeats.find((h) => isMine(h.hb))?.subject).toBe(heartbeatSubject("hb-pool"));
    expect(runtime.workerId).toMatch(/^echo-.+-\d+-[0-9a-f]{6}$/);
  });

  it("never runs more than `concurrency` jobs at once and reports them as active_jobs", async () => {
    let running = 0;
    let maxRunning = 0;
    const handler: JobHandler = async (job, signal) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      try {
        return await echoHandler(job, signal);
      } finally {
        running -= 1;
      }
    };
    const runtime = await startRuntime({ topics: ["job.test.conc"], concurrency: 2, handler });
    const busy = nextHeartbeat((hb) => hb.workerId === runtime.workerId && hb.activeJobs === 2);
    const ids = await Promise.all(
      Array.from({ length: 5 }, () => submit("job.test.conc", { sleep_ms: 300 })),
    );

    const done = await Promise.all(ids.map(nextResult));
    expect(done.every((r) => r.status === JobStatus.JOB_STATUS_COMPLETED)).toBe(true);
    expect(maxRunning).toBe(2);
    expect((await busy).maxParallelJobs).toBe(2);
    const mine = heartbeats.filter((h) => h.hb.workerId === runtime.workerId);
    expect(Math.max(...mine.map((h) => h.hb.activeJobs))).toBe(2);
  });

  it("aborts a running job on a JobCancel and reports CANCELLED", async () => {
    const { handler, whenStarted } = observed(echoHandler);
    await startRuntime({ topics: ["job.test.cancel"], handler });
    const jobId = await submit("job.test.cancel", { sleep_ms: 30_000 });
    await whenStarted(jobId);
    const t0 = Date.now();
    await bus.publish(
      Subjects.jobCancel,
      newPacket(
        { $case: "jobCancel", jobCancel: { jobId, reason: "user asked" } },
        { traceId: "", senderId: "test" },
      ),
    );

    const result = await nextResult(jobId);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(result).toMatchObject({ status: JobStatus.JOB_STATUS_CANCELLED, errorMessage: "user asked" });
    expect(await store.getResult(jobId)).toMatchObject({
      error: { code: "CANCELLED", message: "user asked" },
    });
  });

  it("times an attempt out from the request's timeout_ms, else the runtime's default", async () => {
    await startRuntime({ topics: ["job.test.timeout"], timeoutMs: 400 });
    const fromRequest = await submit("job.test.timeout", { sleep_ms: 20_000 }, 200);
    const fromDefault = await submit("job.test.timeout", { sleep_ms: 20_000 });

    const a = await nextResult(fromRequest);
    expect(a.status).toBe(JobStatus.JOB_STATUS_TIMEOUT);
    expect(a.errorMessage).toMatch(/200 ms/);
    const b = await nextResult(fromDefault);
    expect(b.status).toBe(JobStatus.JOB_STATUS_TIMEOUT);
    expect(b.errorMessage).toMatch(/400 ms/);
    expect(await store.getResult(fromRequest)).toMatchObject({ error: { code: "TIMEOUT" } });
  });

  it("drain lets the job in flight finish, takes no more, then sends a last idle heartbeat", async () => {
    const { handler, whenStarted } = observed(echoHandler);
    const first = await startRuntime({ topics: ["job.test.drain"], concurrency: 1, handler });
    const slow = await submit("job.test.drain", { sleep_ms: 600 });
    await whenStarted(slow);

    const lastBeat = nextHeartbeat((hb) => hb.workerId === first.workerId && hb.activeJobs === 0);
    const drained = first.drain();
    const later = await submit("job.test.drain", { n: 2 });
    await drained;

    expect(await store.getResult(slow)).toMatchObject({ job_id: slow, processed_by: first.workerId });
    expect((await nextResult(slow)).status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    await lastBeat;
    expect(heartbeats.filter((h) => h.hb.workerId === first.workerId).at(-1)?.hb.activeJobs).toBe(0);
    expect((await store.getJob(later))?.state).toBe(JobState.Dispatched);

    // The job left behind is not lost: the next worker takes it.
    const second = await startRuntime({ topics: ["job.test.drain"] });
    const result = await nextResult(later);
    expect(result).toMatchObject({
      status: JobStatus.JOB_STATUS_COMPLETED,
      workerId: second.workerId,
      attempt: 1,
    });
  });

  it("redelivers the job of a worker that died to another worker: attempts 2, one result", async () => {
    const topic = "job.test.redeliver";
    const settings = { topics: [topic], ackWaitMs: 1_000, maxDeliver: 3 };
    // The doomed worker reaches NATS through a proxy we can cut: its connection vanishes
    // with the job unacked, as when a worker machine dies.
    const proxy = await startTcpProxy(nats.port);
    const deadBus = await connectNatsBus({ url: proxy.url, name: "workers-test-dead", logger });
    extraBuses.push(deadBus);
    const { handler: hangs, whenStarted } = observed(() => new Promise<never>(() => {}));
    const dead = new WorkerRuntime({
      bus: deadBus,
      store,
      kind: "echo",
      pool: "echo",
      handler: hangs,
      heartbeatIntervalMs: 100,
      logger,
      // One slot, busy with the job: no other pull request of the dead worker can swallow the redelivery.
      concurrency: 1,
      ...settings,
    });
    runtimes.push(dead);
    await dead.start();
    const jobId = await submit(topic, { hello: "again" });
    await whenStarted(jobId);
    // Still running past the threshold: the worker records RUNNING.
    await vi.waitFor(
      async () => expect(await store.getJob(jobId)).toMatchObject({ state: JobState.Running, attempts: 1 }),
      { timeout: 5_000 },
    );

    const survivor = await startRuntime(settings);
    proxy.cut();

    const result = await nextResult(jobId);
    expect(result).toMatchObject({
      status: JobStatus.JOB_STATUS_COMPLETED,
      workerId: survivor.workerId,
      attempt: 2,
    });
    expect(await store.getJob(jobId)).toMatchObject({ attempts: 2, workerId: survivor.workerId });
    expect(await store.getResult(jobId)).toMatchObject({ processed_by: survivor.workerId });
    await dead.drain(200);
    expect(results.get(jobId)).toHaveLength(1);
  });

  it("acks and skips a job that is already terminal (cancelled before a worker took it)", async () => {
    const cancelled = await submit("job.test.skip", { n: 1 });
    await store.transition({ jobId: cancelled, to: JobState.Cancelled, reason: "user asked" });
    const after = await submit("job.test.skip", { n: 2 });
    // One slot and one consumer: the cancelled job is settled before the next one runs.
    await startRuntime({ topics: ["job.test.skip"], concurrency: 1 });

    expect((await nextResult(after)).status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    expect(results.get(cancelled)).toBeUndefined();
    expect(await store.getJob(cancelled)).toMatchObject({ state: JobState.Cancelled, attempts: 0 });
    expect(await store.getResult(cancelled)).toBeUndefined();
  });

  it("hands a job back when the store fails mid-job, and the retry completes it", async () => {
    let failures = 0;
    // The real store, with one finish failing as if Redis had dropped the connection.
    const flaky: JobStore = Object.create(store, {
      finishAttempt: {
        value: (req: Parameters<JobStore["finishAttempt"]>[0]) => {
          if (failures++ === 0)
            return Promise.reject(storeUnavailable(redis.url, new Error("connection reset")));
          return store.finishAttempt(req);
        },
      },
    });
    const runtime = await startRuntime({ topics: ["job.test.flaky"], store: flaky, maxDeliver: 3 });
    const jobId = await submit("job.test.flaky", { n: 1 });

    // The failed attempt wrote nothing, so the redelivery starts attempt 1 again: a store
    // outage never uses up a job's attempts.
    const result = await nextResult(jobId);
    expect(result).toMatchObject({
      status: JobStatus.JOB_STATUS_COMPLETED,
      attempt: 1,
      workerId: runtime.workerId,
    });
    expect(failures).toBe(2);
    expect(results.get(jobId)).toHaveLength(1);
    expect(await store.getJob(jobId)).toMatchObject({ attempts: 1, state: JobState.Succeeded });
  });
});

describe("drainOnSignals", () => {
  it("drains every runtime on the first signal and exits 0; a second signal exits 130", async () => {
    const drained: string[] = [];
    const exits: number[] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const exited = new Promise<void>((resolve) => {
      const remove = drainOnSignals(
        [
          { workerId: "a", drain: async () => void drained.push("a") },
          { workerId: "b", drain: () => slow.then(() => void drained.push("b")) },
        ],
        logger,
        {
          signals: ["SIGUSR2"],
          exit: (code) => {
            exits.push(code);
            if (code === 0) {
              remove();
              resolve();
            }
          },
        },
      );
    });
    process.emit("SIGUSR2", "SIGUSR2");
    process.emit("SIGUSR2", "SIGUSR2");
    expect(exits).toEqual([130]);
    release();
    await exited;
    expect(drained.sort()).toEqual(["a", "b"]);
    expect(exits).toEqual([130, 0]);
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });
});
