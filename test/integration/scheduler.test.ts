/**
 * The scheduler against a real nats-server (JetStream) and redis-server. The safety kernel
 * is a small fake of the SafetyChecker interface (the gRPC kernel has its own tests); the
 * test plays the worker itself: it consumes job.echo and publishes JobResults.
 */
import { Redis } from "ioredis";
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Bus, WorkConsumer, WorkMessage } from "../../src/bus/bus.js";
import { newPacket } from "../../src/bus/codec.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import type { PoolsConfig, TimeoutsConfig } from "../../src/config/index.js";
import { CortexError, ErrorCode } from "../../src/core/errors.js";
import { newJobId, newTraceId } from "../../src/core/ids.js";
import { parseEventPayload } from "../../src/core/job-event.js";
import { JobState } from "../../src/core/states.js";
import { Streams, Subjects, topicConsumerName } from "../../src/core/subjects.js";
import { startMetricsServer } from "../../src/daemon/metrics-server.js";
import { type SafetyChecker, Scheduler } from "../../src/daemon/scheduler/index.js";
import { JobPriority, type JobRequest, JobStatus } from "../../src/gen/cortex/v1/bus.js";
import type { JobEventRecord, JobStore } from "../../src/store/job-store.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const TOPIC = "job.echo";
const POOL = "echo";
const WAIT_MS = 8_000;

const pools: PoolsConfig = { topics: { [TOPIC]: POOL, "sys.destroy": POOL } };

function timeoutsConfig(dispatchTimeoutSeconds: number): TimeoutsConfig {
  return {
    workflows: {},
    topics: { [TOPIC]: { timeout_seconds: 7, max_retries: 1 } },
    reconciler: {
      dispatch_timeout_seconds: dispatchTimeoutSeconds,
      running_timeout_seconds: 30,
      scan_interval_seconds: 1,
    },
  };
}

/** Allows everything except sys.destroy; `down` makes it unreachable, as the gRPC client reports it. */
class FakeSafety implements SafetyChecker {
  down = false;
  calls = 0;
  async check(req: { jobId: string; topic: string; tenant: string }) {
    this.calls += 1;
    if (this.down) {
      throw new CortexError(ErrorCode.SafetyUnavailable, "safety kernel unavailable at 127.0.0.1:1 (test)");
    }
    return req.topic === "sys.destroy"
      ? { decision: "DENY" as const, reason: "topic sys.destroy is denied by policy" }
      : { decision: "ALLOW" as const, reason: "" };
  }
}

/** Collects sys.job.event and lets a test await a job reaching a state. */
class EventWatch {
  readonly events: JobEventRecord[] = [];
  private waiters: (() => void)[] = [];

  push(event: JobEventRecord): void {
    this.events.push(event);
    for (const w of this.waiters.splice(0)) w();
  }

  of(jobId: string): JobEventRecord[] {
    return this.events.filter((e) => e.jobId === jobId);
  }

  async until(jobId: string, state: JobState, timeoutMs = WAIT_MS): Promise<JobEventRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find((e) => e.jobId === jobId && e.to === state);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.of(jobId).map((e) => `${e.from}->${e.to}${e.reason ? ` (${e.reason})` : ""}`);
        throw new Error(
          `job ${jobId} did not reach ${state} within ${timeoutMs} ms; saw: ${seen.join(", ")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

type WorkerReply = { status: JobStatus; error?: string } | "hold";

interface Stack {
  scheduler: Scheduler;
  schedulerBus: Bus;
  /** The test's own connection: gateway, worker and watcher. */
  bus: Bus;
  store: JobStore;
  safety: FakeSafety;
  registry: Registry;
  watch: EventWatch;
  /** JobRequests the fake worker received. */
  received: JobRequest[];
  /** Decides the fake worker's answer per delivery; "hold" keeps the message unsettled until teardown. */
  reply: (req: JobRequest) => WorkerReply;
  /** Resolves at teardown, releasing held messages. */
  released: Promise<void>;
  submit(topic?: string): Promise<string>;
  beat(workerId?: string, activeJobs?: number): Promise<void>;
  startWorker(): Promise<void>;
  nc: NatsConnection;
}

let redis: RedisHandle;
let nats: NatsHandle | undefined;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await nats?.stop();
  nats = undefined;
});

afterAll(async () => {
  await redis?.stop();
});

async function stack(opts: { dispatchTimeoutSeconds?: number } = {}): Promise<Stack> {
  nats = await startNats();
  const store = await createRedisStore({ url: redis.url, prefix: uniquePrefix() });
  cleanups.push(() => store.close());
  const schedulerBus = await connectNatsBus({ url: nats.url, name: "scheduler-test", logger });
  cleanups.push(() => schedulerBus.close());
  const bus = await connectNatsBus({ url: nats.url, name: "scheduler-test-client", logger });
  cleanups.push(() => bus.close());
  const nc = await connect({ servers: nats.url });
  cleanups.push(() => nc.close());

  const safety = new FakeSafety();
  const registry = new Registry();
  const scheduler = new Scheduler({
    bus: schedulerBus,
    store,
    safety,
    pools,
    timeouts: timeoutsConfig(opts.dispatchTimeoutSeconds ?? 2),
    metrics: registry,
    logger,
    registryWarmupMs: 0,
  });

  const watch = new EventWatch();
  const decoder = new TextDecoder();
  const sub = await bus.subscribeRaw(Subjects.jobEvent, (data) => {
    for (const ev of parseEventPayload(decoder.decode(data), Date.now()).events) watch.push(ev);
  });
  cleanups.push(() => sub.unsubscribe());

  await scheduler.start();
  cleanups.push(() => scheduler.stop());

  let release = (): void => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const s: Stack = {
    released,
    scheduler,
    schedulerBus,
    bus,
    store,
    safety,
    registry,
    watch,
    nc,
    received: [],
    reply: () => ({ status: JobStatus.JOB_STATUS_COMPLETED }),
    async submit(topic = TOPIC) {
      // What the gateway does: job record first, then the durable submit with msgId = job id.
      const jobId = newJobId();
      const traceId = newTraceId();
      await store.createJob({
        jobId,
        traceId,
        topic,
        tenant: "acme",
        priority: "INTERACTIVE",
        context: { prompt: "hi" },
        envVars: { tenant_id: "acme" },
      });
      await bus.publishDurable(Subjects.jobSubmit, submitPacket(jobId, traceId, topic), { msgId: jobId });
      return jobId;
    },
    async beat(workerId = "echo-1", activeJobs = 0) {
      await bus.publish(
        `${Subjects.heartbeatPrefix}.${POOL}`,
        newPacket(
          {
            $case: "heartbeat",
            heartbeat: {
              workerId,
              region: "",
              type: "echo",
              cpuLoad: 0,
              gpuUtilization: 0,
              activeJobs,
              capabilities: [TOPIC],
              pool: POOL,
              maxParallelJobs: 4,
            },
          },
          { traceId: "", senderId: workerId },
        ),
      );
      // Wait until the scheduler's registry holds the worker (its gauge says so).
      const deadline = Date.now() + WAIT_MS;
      while (
        !(await registry.getSingleMetricAsString("cortex_scheduler_live_workers")).includes(
          `pool="${POOL}"} 1`,
        )
      ) {
        if (Date.now() > deadline) throw new Error("scheduler never saw the heartbeat");
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async startWorker() {
      const consumer: WorkConsumer = await bus.consume(
        {
          stream: Streams.jobs,
          consumer: topicConsumerName(TOPIC),
          filterSubject: TOPIC,
          ackWaitMs: 7_000,
          maxDeliver: 2,
          maxInFlight: 4,
        },
        (msg) => work(s, msg),
      );
      cleanups.push(() => consumer.stop());
      // Runs before consumer.stop(), which waits for held handlers.
      cleanups.push(async () => release());
    },
  };
  return s;
}

function submitPacket(jobId: string, traceId: string, topic: string) {
  return newPacket(
    {
      $case: "jobRequest",
      jobRequest: {
        jobId,
        topic,
        priority: JobPriority.JOB_PRIORITY_INTERACTIVE,
        contextPtr: `redis://ctx:${jobId}`,
        adapterId: "",
        envVars: { tenant_id: "acme" },
        parentJobId: "",
        workflowId: "",
        stepIndex: 0,
        attempt: 0,
        timeoutMs: 0,
        contextJson: "",
      },
    },
    { traceId, senderId: "test-gateway" },
  );
}

/** The fake worker: RUNNING (attempt + 1), result document, JobResult, ack — as the worker runtime does. */
async function work(s: Stack, msg: WorkMessage): Promise<void> {
  if (msg.packet.payload?.$case !== "jobRequest") return msg.term();
  const req = msg.packet.payload.jobRequest;
  s.received.push(req);
  const reply = s.reply(req);
  if (reply === "hold") {
    // A handler that returns unsettled gets nak'ed; a worker that never starts the job just sits on it.
    await s.released;
    return;
  }
  const workerId = "echo-1";
  const running = await s.store.transition({
    jobId: req.jobId,
    to: JobState.Running,
    from: [JobState.Scheduled, JobState.Dispatched, JobState.Running],
    incrementAttempts: true,
    workerId,
  });
  if (!running.ok) return msg.ack();
  const attempt = running.job.attempts;
  const put = await s.store.putResult({ jobId: req.jobId, attempt, workerId, result: { echo: "hi" } });
  await s.bus.publishDurable(
    Subjects.jobResult,
    newPacket(
      {
        $case: "jobResult",
        jobResult: {
          jobId: req.jobId,
          status: reply.status,
          resultPtr: put.resultPtr,
          workerId,
          executionMs: 1,
          attempt,
          errorMessage: reply.error ?? "",
          finished: false,
        },
      },
      { traceId: "", senderId: workerId },
    ),
    { msgId: `${req.jobId}:${attempt}:result` },
  );
  await msg.ack();
}

describe("scheduler", () => {
  it("dispatches an allowed job on its topic and records the worker's COMPLETED as SUCCEEDED", async () => {
    const s = await stack();
    await s.beat();
    await s.startWorker();
    const jobId = await s.submit();

    await s.watch.until(jobId, JobState.Succeeded);
    const job = await s.store.getJob(jobId);
    expect(s.received).toHaveLength(1);
    expect(s.received[0]).toMatchObject({
      jobId,
      topic: TOPIC,
      attempt: 1,
      timeoutMs: 7_000,
      contextJson: "",
      contextPtr: job?.contextPtr,
      envVars: { tenant_id: "acme" },
      priority: JobPriority.JOB_PRIORITY_INTERACTIVE,
    });
    expect(job).toMatchObject({ state: JobState.Succeeded, attempts: 1, workerId: "echo-1" });
    expect(job?.resultPtr).toMatch(/^redis:\/\/.*res:/);
    expect(s.watch.of(jobId).map((e) => e.to)).toEqual([
      JobState.Scheduled,
      JobState.Dispatched,
      JobState.Succeeded,
    ]);
    // The terminal event on the bus carries the (small) result; the stored history does not.
    expect(s.watch.of(jobId).map((e) => e.resultJson)).toEqual([undefined, undefined, '{"echo":"hi"}']);
    expect((await s.store.events(jobId)).every((e) => e.resultJson === undefined)).toBe(true);
  });

  it("denies sys.destroy with the kernel's reason and never publishes it", async () => {
    const s = await stack();
    await s.beat();
    let published = 0;
    const sub = await s.bus.subscribeRaw("sys.destroy", () => {
      published += 1;
    });
    const jobId = await s.submit("sys.destroy");

    const denied = await s.watch.until(jobId, JobState.Denied);
    expect(denied.reason).toBe("topic sys.destroy is denied by policy");
    expect(await s.store.getJob(jobId)).toMatchObject({ state: JobState.Denied, attempts: 0 });
    expect((await s.store.events(jobId)).map((e) => e.to).filter(Boolean)).not.toContain(JobState.Dispatched);
    await s.nc.flush();
    expect(published).toBe(0);
    await sub.unsubscribe();
  });

  it("fails a job whose topic no pool serves", async () => {
    const s = await stack();
    const jobId = await s.submit("job.unmapped");
    const failed = await s.watch.until(jobId, JobState.Failed);
    expect(failed.reason).toBe("no pool for topic job.unmapped (add it to config/pools.yaml)");
  });

  it("keeps a job SCHEDULED while the pool has no live worker and dispatches it when one beats", async () => {
    const s = await stack({ dispatchTimeoutSeconds: 5 });
    await s.startWorker();
    const jobId = await s.submit();
    await s.watch.until(jobId, JobState.Scheduled);
    expect(s.received).toHaveLength(0);

    await s.beat();
    await s.watch.until(jobId, JobState.Succeeded);
    expect(s.received.map((r) => r.attempt)).toEqual([1]);
  });

  it("times a SCHEDULED job out when no worker of its pool appears within the dispatch timeout", async () => {
    const s = await stack({ dispatchTimeoutSeconds: 1 });
    const jobId = await s.submit();
    const timedOut = await s.watch.until(jobId, JobState.Timeout);
    expect(timedOut.from).toBe(JobState.Scheduled);
    expect(timedOut.reason).toBe(`no live worker in pool ${POOL} within 1s`);
  });

  it("repairs stuck PENDING jobs past corrupt records in job:index:PENDING (skipped and counted)", async () => {
    const s = await stack({ dispatchTimeoutSeconds: 1 });
    const raw = new Redis(redis.url);
    cleanups.push(() => raw.quit());
    const keys = (s.store as RedisJobStore).keys;
    // Written, but the submit was never published (the gateway died in between): only the reconciler moves them.
    const lost = async (): Promise<string> => {
      const jobId = newJobId();
      await s.store.createJob({
        jobId,
        traceId: newTraceId(),
        topic: TOPIC,
        tenant: "acme",
        priority: "BATCH",
        context: {},
      });
      return jobId;
    };
    const stuck = [await lost(), await lost()];
    const badPriority = await lost();
    const badStep = await lost();
    await raw.hset(keys.meta(badPriority), "priority", "URGENT");
    await raw.hset(keys.meta(badStep), "step_index", "2147483648");
    await new Promise((r) => setTimeout(r, 1_100));
    const before = s.store.stats?.().decodeFailures ?? 0;
    await s.scheduler.reconcileNow();
    for (const jobId of stuck) await s.watch.until(jobId, JobState.Scheduled);
    expect(s.store.stats?.().decodeFailures).toBeGreaterThanOrEqual(before + 2);
    expect(await raw.hget(keys.meta(badPriority), "state")).toBe("PENDING");
  });

  it("redispatches a DISPATCHED job no worker started, then times it out when retries are spent", async () => {
    const s = await stack({ dispatchTimeoutSeconds: 1 });
    await s.beat();
    s.reply = () => "hold";
    await s.startWorker();
    const jobId = await s.submit();

    const timedOut = await s.watch.until(jobId, JobState.Timeout);
    expect(timedOut.from).toBe(JobState.Dispatched);
    expect(timedOut.reason).toBe("not started by a worker within 1s");
    expect(s.received.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it("leaves a DISPATCHED job queued past the dispatch timeout while every worker of its pool is busy", async () => {
    const s = await stack({ dispatchTimeoutSeconds: 1 });
    await s.beat("echo-1", 4); // at capacity: 4 of 4
    s.reply = () => "hold";
    await s.startWorker();
    const jobId = await s.submit();
    await s.watch.until(jobId, JobState.Dispatched);
    await new Promise((r) => setTimeout(r, 2_500)); // past the timeout, two scans
    expect((await s.store.getJob(jobId))?.state).toBe(JobState.Dispatched);
    expect(s.received.map((r) => r.attempt)).toEqual([1]);
  });

  it("retries while the safety kernel is down, then fails the job after the dispatch timeout", async () => {
    const s = await stack({ dispatchTimeoutSeconds: 1 });
    await s.beat();
    s.safety.down = true;
    const jobId = await s.submit();
    const failed = await s.watch.until(jobId, JobState.Failed);
    expect(failed.reason).toBe("safety kernel unavailable");
    expect(s.safety.calls).toBeGreaterThan(1);
    expect(s.received).toHaveLength(0);
  });

  it("redispatches a FAILED attempt while retries remain (attempt 2), then SUCCEEDED", async () => {
    const s = await stack();
    await s.beat();
    s.reply = (req) =>
      req.attempt === 1
        ? { status: JobStatus.JOB_STATUS_FAILED, error: "flaky" }
        : { status: JobStatus.JOB_STATUS_COMPLETED };
    await s.startWorker();
    const jobId = await s.submit();

    await s.watch.until(jobId, JobState.Succeeded);
    expect(s.received.map((r) => r.attempt)).toEqual([1, 2]);
    expect(await s.store.getJob(jobId)).toMatchObject({ state: JobState.Succeeded, attempts: 2 });
    const retry = s.watch.of(jobId).find((e) => e.from === JobState.Running && e.to === JobState.Scheduled);
    expect(retry?.reason).toBe("retry after FAILED: flaky");
  });

  it("does not dispatch twice when a submit is delivered again", async () => {
    const s = await stack({ dispatchTimeoutSeconds: 5 });
    await s.beat();
    s.reply = () => "hold";
    await s.startWorker();
    const jobId = await s.submit();
    await s.watch.until(jobId, JobState.Dispatched);

    // A second copy of the submit (another msgId, so JetStream does not drop it as a duplicate).
    const job = await s.store.getJob(jobId);
    await s.bus.publishDurable(Subjects.jobSubmit, submitPacket(jobId, job?.traceId ?? "", TOPIC), {
      msgId: `${jobId}:again`,
    });
    const jsm = await s.nc.jetstreamManager();
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const info = await jsm.consumers.info(Streams.submit, "scheduler_submit");
      if (info.delivered.stream_seq >= 2 && info.num_ack_pending === 0 && info.num_pending === 0) break;
      if (Date.now() > deadline) throw new Error("the second submit was never settled");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await jsm.streams.info(Streams.jobs)).state.messages).toBe(1);
    expect(s.watch.of(jobId).filter((e) => e.to === JobState.Dispatched)).toHaveLength(1);
    expect(await s.store.getJob(jobId)).toMatchObject({ state: JobState.Dispatched, attempts: 0 });
  });

  it("serves the four counters with labels on /metrics", async () => {
    const s = await stack();
    await s.beat();
    await s.startWorker();
    const ok = await s.submit();
    const denied = await s.submit("sys.destroy");
    await s.watch.until(ok, JobState.Succeeded);
    await s.watch.until(denied, JobState.Denied);

    const server = await startMetricsServer({ registry: s.registry, host: "127.0.0.1", port: 0 });
    cleanups.push(() => server.close());
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('cortex_scheduler_jobs_received_total{topic="job.echo"} 1');
    expect(text).toContain('cortex_scheduler_jobs_received_total{topic="sys.destroy"} 1');
    expect(text).toContain('cortex_scheduler_safety_denied_total{topic="sys.destroy"} 1');
    expect(text).toContain('cortex_scheduler_jobs_dispatched_total{topic="job.echo"} 1');
    expect(text).toContain('cortex_scheduler_jobs_completed_total{topic="job.echo",status="succeeded"} 1');
    expect(text).toContain('cortex_scheduler_jobs_completed_total{topic="sys.destroy",status="denied"} 1');
    expect(text).toContain('cortex_scheduler_dispatch_latency_seconds_count{topic="job.echo"} 1');
    expect(text).toContain('cortex_scheduler_live_workers{pool="echo"} 1');
    expect((await fetch(`http://127.0.0.1:${server.port}/nope`)).status).toBe(404);
  });
});
