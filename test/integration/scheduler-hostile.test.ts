/**
 * Hostile input on the bus, against a real nats-server (JetStream) and redis-server: submits
 * that can never be admitted are dead-lettered once on sys.job.dlq and never retried, and
 * untrusted strings from bus packets are logged clipped.
 */
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { decodePacket, newPacket } from "../../src/bus/codec.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import type { PoolsConfig, TimeoutsConfig } from "../../src/config/index.js";
import type { DeadLetter } from "../../src/core/dead-letter.js";
import { newTraceId } from "../../src/core/ids.js";
import { Streams, Subjects } from "../../src/core/subjects.js";
import { type SafetyChecker, Scheduler } from "../../src/daemon/scheduler/index.js";
import { JobPriority, type JobRequest } from "../../src/gen/cortex/v1/bus.js";
import type { JobStore } from "../../src/store/job-store.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const pools: PoolsConfig = { topics: { "job.echo": "echo" } };
const timeouts: TimeoutsConfig = {
  workflows: {},
  topics: { "job.echo": { timeout_seconds: 7, max_retries: 1 } },
  reconciler: { dispatch_timeout_seconds: 30, running_timeout_seconds: 30, scan_interval_seconds: 30 },
};

/** Small enough that an oversized submit still fits NATS's 1 MB payload. */
const MAX_CONTEXT = 64 * 1024;

const allowAll: SafetyChecker = { check: async () => ({ decision: "ALLOW", reason: "" }) };

interface Stack {
  bus: Bus;
  store: JobStore;
  nc: NatsConnection;
  /** Every log line the scheduler wrote, parsed. */
  lines: Record<string, unknown>[];
  rawLines: string[];
  letters: DeadLetter[];
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

async function stack(maxContextBytes = MAX_CONTEXT): Promise<Stack> {
  nats = await startNats();
  const rawLines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void rawLines.push(line) });
  const store = await createRedisStore({ url: redis.url, prefix: uniquePrefix() });
  cleanups.push(() => store.close());
  const schedulerBus = await connectNatsBus({ url: nats.url, name: "hostile-scheduler", logger });
  cleanups.push(() => schedulerBus.close());
  const bus = await connectNatsBus({
    url: nats.url,
    name: "hostile-client",
    logger: pino({ level: "silent" }),
  });
  cleanups.push(() => bus.close());
  const nc = await connect({ servers: nats.url });
  cleanups.push(() => nc.close());
  const letters: DeadLetter[] = [];
  const sub = await bus.subscribeRaw(Subjects.jobDlq, (data) => {
    letters.push(JSON.parse(Buffer.from(data).toString("utf8")) as DeadLetter);
  });
  cleanups.push(() => sub.unsubscribe());
  const scheduler = new Scheduler({
    bus: schedulerBus,
    store,
    safety: allowAll,
    pools,
    timeouts,
    metrics: new Registry(),
    logger,
    registryWarmupMs: 0,
    maxContextBytes,
  });
  await scheduler.start();
  cleanups.push(() => scheduler.stop());
  const s: Stack = { bus, store, nc, rawLines, letters, lines: [] };
  Object.defineProperty(s, "lines", {
    get: () => rawLines.map((l) => JSON.parse(l) as Record<string, unknown>),
  });
  return s;
}

function request(over: Partial<JobRequest>): JobRequest {
  return {
    jobId: "v1-ok",
    topic: "job.echo",
    priority: JobPriority.JOB_PRIORITY_INTERACTIVE,
    contextPtr: "",
    adapterId: "",
    envVars: { tenant_id: "acme" },
    parentJobId: "",
    workflowId: "",
    stepIndex: 0,
    attempt: 0,
    timeoutMs: 0,
    contextJson: "",
    ...over,
  };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("invalid submits on sys.job.submit", () => {
  it.each([
    ["an empty job id", { jobId: "" }, "job_id"],
    ["a wildcard topic", { jobId: "v1-wild", topic: "job.>" }, "topic"],
    ["a path as job id", { jobId: "../../x" }, "job_id"],
    ["a negative step_index", { jobId: "v1-step", stepIndex: -5 }, "step_index"],
    [
      "env_vars over the size limit",
      { jobId: "v1-big", envVars: { blob: "e".repeat(MAX_CONTEXT + 1) } },
      "env_vars",
    ],
  ])("dead-letters %s once, adopts nothing and never redelivers", async (_what, over, field) => {
    const s = await stack();
    const req = request(over);
    const traceId = newTraceId();
    await s.bus.publishDurable(
      Subjects.jobSubmit,
      newPacket({ $case: "jobRequest", jobRequest: req }, { traceId, senderId: "v1-sender" }),
    );
    await until("a dead letter", () => s.letters.length > 0);

    const letter = s.letters[0];
    expect(letter).toMatchObject({
      kind: "submit_rejected",
      code: "INVALID_ARGUMENT",
      field,
      trace_id: traceId,
    });
    expect(letter?.reason).toMatch(new RegExp(`^${field}: `));
    if (letter?.packet_b64 !== undefined) {
      const original = decodePacket(Buffer.from(letter.packet_b64, "base64"));
      expect(original.payload).toMatchObject({ $case: "jobRequest", jobRequest: { jobId: req.jobId } });
    }

    // Terminated, not retried: nothing pending or awaiting an ack, and no second letter.
    const jsm = await s.nc.jetstreamManager();
    await until("the submit settled", async () => {
      const info = await jsm.consumers.info(Streams.submit, "scheduler_submit");
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(s.letters).toHaveLength(1);
    const info = await jsm.consumers.info(Streams.submit, "scheduler_submit");
    expect(info.num_redelivered).toBe(0);
    if (req.jobId !== "" && req.jobId !== "../../x") expect(await s.store.getJob(req.jobId)).toBeUndefined();
    expect((await s.store.listJobs({})).jobs).toEqual([]);

    // One warn line, without a stack trace.
    const warns = s.lines.filter((l) => l.msg === "invalid submit dead-lettered on sys.job.dlq");
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ level: 40, code: "INVALID_ARGUMENT" });
    expect(s.rawLines.join("")).not.toMatch(/"stack"/);
  });

  it("still adopts a valid v1 submit", async () => {
    const s = await stack();
    await s.bus.publishDurable(
      Subjects.jobSubmit,
      newPacket(
        { $case: "jobRequest", jobRequest: request({ jobId: "v1-fine" }) },
        { traceId: "", senderId: "v1" },
      ),
    );
    await until("the job adopted", async () => (await s.store.getJob("v1-fine")) !== undefined);
    expect(s.letters).toEqual([]);
  });
});

describe("log hygiene", () => {
  it("logs a 10 KB worker id from a heartbeat clipped", async () => {
    const s = await stack();
    const workerId = `w${"x".repeat(10 * 1024)}`;
    await s.bus.publish(
      `${Subjects.heartbeatPrefix}.echo`,
      newPacket(
        {
          $case: "heartbeat",
          heartbeat: {
            workerId,
            region: "",
            type: "echo",
            cpuLoad: 0,
            gpuUtilization: 0,
            activeJobs: 0,
            capabilities: [],
            pool: "",
            maxParallelJobs: 1,
          },
        },
        { traceId: "", senderId: "hostile" },
      ),
    );
    await until("the join logged", () => s.lines.some((l) => l.msg === "worker joined"));
    const line = s.rawLines.find((l) => l.includes('"worker joined"')) ?? "";
    expect(line.length).toBeLessThan(600);
    expect(JSON.parse(line).workerId).toMatch(/^wx{199}…\(10241 chars\)$/);
  });
});
