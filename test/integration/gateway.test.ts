/**
 * The gateway over real gRPC on loopback, against a real nats-server (JetStream) and
 * redis-server, driven through the typed client the CLI uses. The test reads the submit
 * stream itself (no scheduler) and plays the workers' heartbeats.
 */
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Bus, WorkConsumer } from "../../src/bus/bus.js";
import { newPacket } from "../../src/bus/codec.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import { createGatewayClient, type GatewayClient, waitForJob } from "../../src/client/gateway-client.js";
import { UNREACHABLE_HINT } from "../../src/client/grpc-error.js";
import { CortexError, ErrorCode } from "../../src/core/errors.js";
import { newTraceId } from "../../src/core/ids.js";
import { JobState } from "../../src/core/states.js";
import { heartbeatSubject, Streams, Subjects } from "../../src/core/subjects.js";
import { EventWatcher, filterFromRequest } from "../../src/daemon/gateway/event-watch.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { type JobEvent, SubmitJobRequest, WatchEventsRequest } from "../../src/gen/cortex/v1/api.js";
import { type BusPacket, JobPriority, type JobRequest } from "../../src/gen/cortex/v1/bus.js";
import type { JobEventRecord } from "../../src/store/job-store.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { freePort } from "../support/free-port.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const POOL_TOPICS = { "job.echo": "echo", "job.chat.simple": "chat", "job.chat.advanced": "chat" };

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: RedisJobStore;
let prefix: string;
let gateway: GatewayServer;
let client: GatewayClient;
let submitConsumer: WorkConsumer;

/** Packets taken from CORTEX_SUBMIT, by job id, with waiters for ones not there yet. */
const submitted = new Map<string, BusPacket>();
const submitWaiters = new Map<string, (p: BusPacket) => void>();

function nextSubmitted(jobId: string): Promise<BusPacket> {
  const have = submitted.get(jobId);
  if (have) return Promise.resolve(have);
  return new Promise((resolve) => submitWaiters.set(jobId, resolve));
}

async function expectCortexError(p: Promise<unknown>, code: ErrorCode): Promise<CortexError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CortexError);
  expect((err as CortexError).code).toBe(code);
  return err as CortexError;
}

function publishEvent(ev: Partial<JobEventRecord> & { jobId: string; kind: string }): Promise<void> {
  return bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify({ at: Date.now(), seq: 0, ...ev })));
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  // Short timeouts so the bus-down test fails fast; reconnects quickly once NATS is back.
  bus = await connectNatsBus({
    url: nats.url,
    name: "gateway-test",
    logger,
    requestTimeoutMs: 1_000,
    reconnectWaitMs: 100,
  });
  await bus.provision();
  prefix = uniquePrefix();
  store = await createRedisStore({ url: redis.url, prefix, logger, commandTimeoutMs: 500 });
  gateway = new GatewayServer({
    bus,
    store,
    logger,
    config: { grpcPort: 0, httpPort: 0, poolTopics: POOL_TOPICS, redisUrl: redis.url },
  });
  await gateway.start();
  client = createGatewayClient({ address: `127.0.0.1:${gateway.ports().grpc}`, timeoutMs: 5_000 });
  submitConsumer = await bus.consume(
    {
      stream: Streams.submit,
      consumer: "gateway_test_submit",
      filterSubject: Subjects.jobSubmit,
      ackWaitMs: 5_000,
      maxDeliver: -1,
      maxInFlight: 16,
    },
    async (msg) => {
      const jobId = msg.packet.payload?.$case === "jobRequest" ? msg.packet.payload.jobRequest.jobId : "";
      submitted.set(jobId, msg.packet);
      submitWaiters.get(jobId)?.(msg.packet);
      await msg.ack();
    },
  );
});

afterAll(async () => {
  client?.close();
  await submitConsumer?.stop();
  await gateway?.stop();
  await store?.close();
  await bus?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

describe("SubmitJob", () => {
  it("stores the job PENDING with its context and publishes a complete JobRequest", async () => {
    const traceId = newTraceId();
    const res = await client.submitJob({
      topic: "job.echo",
      prompt: "hello",
      contextJson: JSON.stringify({ input: [1, 2], prompt: "overridden" }),
      priority: "critical",
      adapterId: "adapter-1",
      tenant: "acme",
      envVars: { foo: "bar" },
      parentJobId: "parent-1",
      workflowId: "wf-1",
      stepIndex: 2,
      jobId: "client-chosen-1",
      traceId,
    });
    expect(res).toEqual({ jobId: "client-chosen-1", traceId });

    const job = await store.getJob(res.jobId);
    expect(job).toMatchObject({
      state: JobState.Pending,
      topic: "job.echo",
      tenant: "acme",
      priority: "CRITICAL",
      traceId,
      adapterId: "adapter-1",
      parentJobId: "parent-1",
      workflowId: "wf-1",
      stepIndex: 2,
      attempts: 0,
    });
    expect(job?.contextPtr).toBe(`redis://${prefix}ctx:${res.jobId}`);
    expect(await store.getContext(res.jobId)).toEqual({ input: [1, 2], prompt: "hello" });

    const packet = await nextSubmitted(res.jobId);
    expect(packet.traceId).toBe(traceId);
    expect(packet.senderId).toBe("gateway");
    expect(packet.protocolVersion).toBe(1);
    expect(packet.createdAt?.seconds).toBeGreaterThan(0);
    expect(packet.payload?.$case).toBe("jobRequest");
    const req = (packet.payload as { jobRequest: JobRequest }).jobRequest;
    expect(req).toEqual({
      jobId: res.jobId,
      topic: "job.echo",
      priority: JobPriority.JOB_PRIORITY_CRITICAL,
      contextPtr: job?.contextPtr,
      adapterId: "adapter-1",
      envVars: { foo: "bar", tenant_id: "acme" },
      parentJobId: "parent-1",
      workflowId: "wf-1",
      stepIndex: 2,
      attempt: 0,
      timeoutMs: 0,
      contextJson: "",
    });
  });

  it("fills in defaults: generated ids, INTERACTIVE, tenant default, prompt-only context", async () => {
    const res = await client.submitJob({ topic: "job.chat.simple", prompt: "hi" });
    expect(res.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.traceId).toMatch(/^[0-9a-f]{32}$/);
    const job = await store.getJob(res.jobId);
    expect(job).toMatchObject({ tenant: "default", priority: "INTERACTIVE", state: JobState.Pending });
    expect(await store.getContext(res.jobId)).toEqual({ prompt: "hi" });
    const req = (await nextSubmitted(res.jobId)).payload as { jobRequest: JobRequest };
    expect(req.jobRequest.envVars).toEqual({ tenant_id: "default" });
    expect(req.jobRequest.priority).toBe(JobPriority.JOB_PRIORITY_INTERACTIVE);
  });

  it("rejects a client job id taken by other content with JOB_EXISTS", async () => {
    await client.submitJob({ topic: "job.echo", jobId: "dup-1" });
    await expectCortexError(
      client.submitJob({ topic: "job.echo", jobId: "dup-1", prompt: "other" }),
      ErrorCode.JobExists,
    );
  });

  it.each([
    ["empty topic", { topic: "" }, /^topic: must not be empty/],
    ["bad topic syntax", { topic: "job.*" }, /^topic: "job\.\*" is not a valid topic/],
    ["context not JSON", { topic: "job.echo", contextJson: "{nope" }, /^context_json: must be a JSON object/],
    ["context an array", { topic: "job.echo", contextJson: "[1,2]" }, /^context_json: must be a JSON object/],
    [
      "oversized context",
      { topic: "job.echo", contextJson: JSON.stringify({ blob: "x".repeat(1024 * 1024) }) },
      /^context_json: the job is \d+ bytes .*over the limit of 1048576 bytes \(CORTEX_MAX_CONTEXT_BYTES\)/,
    ],
    [
      "oversized prompt",
      { topic: "job.echo", prompt: "y".repeat(1024 * 1024 + 1) },
      /^prompt: .*1048576 bytes/,
    ],
    ["bad priority", { topic: "job.echo", priority: "urgent" }, /^priority: "urgent" is not one of/],
    ["bad job id", { topic: "job.echo", jobId: "a:b" }, /^job_id: /],
    ["bad trace id", { topic: "job.echo", traceId: "xyz" }, /^trace_id: /],
  ])("rejects %s with INVALID_ARGUMENT naming the field", async (_name, req, message) => {
    const err = await expectCortexError(client.submitJob(req), ErrorCode.InvalidArgument);
    expect(err.message).toMatch(message);
    // The server keeps serving after a rejection.
    const ok = await client.submitJob({ topic: "job.echo" });
    expect(ok.jobId).not.toBe("");
  });
});

describe("numeric ranges and the size limit", () => {
  it("rejects step_index 2147483648 on the wire with INVALID_ARGUMENT and stores nothing", async () => {
    // The typed client refuses to encode it; a hostile or foreign client sends the varint anyway.
    const jobId = "grpc-step-big";
    const base = SubmitJobRequest.encode(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId })).finish();
    const stepField = Buffer.from([0xc0, 0x01, 0x80, 0x80, 0x80, 0x80, 0x08]); // field 24 = 2^31
    const raw = new grpc.Client(`127.0.0.1:${gateway.ports().grpc}`, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | undefined>((resolve) => {
        raw.makeUnaryRequest(
          "/cortex.v1.CortexApi/SubmitJob",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.concat([base, stepField]),
          (e) => resolve(e ?? undefined),
        );
      });
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/^step_index: /);
    } finally {
      raw.close();
    }
    expect(await store.getJob(jobId)).toBeUndefined();
  });

  it.each([
    ["a negative step_index", { stepIndex: -1 }, /^step_index: .*out of range/],
    [
      "900 KB of env_vars next to a 200 KB prompt",
      { prompt: "p".repeat(200 * 1024), envVars: { blob: "e".repeat(900 * 1024) } },
      /^env_vars: .*over the limit of 1048576 bytes/,
    ],
    ["3 MB of env_vars", { envVars: { blob: "e".repeat(3 * 1024 * 1024) } }, /^env_vars: .*1048576 bytes/],
    ["a 1.1 MB tenant", { tenant: "t".repeat(1100 * 1024) }, /^tenant: .*1048576 bytes/],
    [
      "a context nested 100 deep",
      { contextJson: `{"a":${"[".repeat(100)}${"]".repeat(100)}}` },
      /^context_json: nests/,
    ],
  ])("rejects %s with INVALID_ARGUMENT and stores nothing", async (_name, extra, message) => {
    const jobId = `range-${Math.random().toString(36).slice(2)}`;
    const err = await expectCortexError(
      client.submitJob({ topic: "job.echo", jobId, ...extra }),
      ErrorCode.InvalidArgument,
    );
    expect(err.message).toMatch(message);
    expect(err.message.length).toBeLessThan(400);
    expect(await store.getJob(jobId)).toBeUndefined();
  });
});

describe("job queries and cancel", () => {
  it("GetJobStatus, GetJob, ListJobs report a submitted job", async () => {
    const { jobId, traceId } = await client.submitJob({
      topic: "job.chat.advanced",
      prompt: "q",
      tenant: "list-tenant",
    });
    expect(await client.getJobStatus(jobId)).toEqual({ jobId, status: "PENDING", resultPtr: "" });

    const full = await client.getJob(jobId, { includeContext: true, includeEvents: true });
    expect(full.job).toMatchObject({
      jobId,
      traceId,
      topic: "job.chat.advanced",
      state: "PENDING",
      tenant: "list-tenant",
    });
    expect(full.job?.createdAtMs).toBeGreaterThan(0);
    expect(JSON.parse(full.contextJson)).toEqual({ prompt: "q" });
    expect(full.resultJson).toBe("");
    expect(full.events.length).toBeGreaterThan(0);
    expect(full.events[0]?.jobId).toBe(jobId);

    const bare = await client.getJob(jobId);
    expect(bare.contextJson).toBe("");
    expect(bare.events).toEqual([]);

    const page = await client.listJobs({ state: "pending", tenant: "list-tenant" });
    expect(page.jobs.map((j) => j.jobId)).toEqual([jobId]);
    const byTopic = await client.listJobs({ topic: "job.chat.advanced", limit: 10 });
    expect(byTopic.jobs.map((j) => j.jobId)).toContain(jobId);
    const err = await expectCortexError(client.listJobs({ state: "BOGUS" }), ErrorCode.InvalidArgument);
    expect(err.message).toMatch(/^state: /);
  });

  it("answers JOB_NOT_FOUND for an unknown job everywhere", async () => {
    await expectCortexError(client.getJobStatus("no-such-job"), ErrorCode.JobNotFound);
    await expectCortexError(client.getJob("no-such-job"), ErrorCode.JobNotFound);
    await expectCortexError(client.cancelJob("no-such-job"), ErrorCode.JobNotFound);
    const stream = client.watchEvents({ jobId: "no-such-job" });
    await expectCortexError(stream.ready, ErrorCode.JobNotFound);
  });

  it("CancelJob cancels once, signals workers and emits the event", async () => {
    const { jobId } = await client.submitJob({ topic: "job.echo" });
    let seen: (p: BusPacket) => void = () => undefined;
    const cancelSeen = new Promise<BusPacket>((resolve) => {
      seen = resolve;
    });
    const sub = await bus.subscribe(Subjects.jobCancel, (p) => {
      if (p.payload?.$case === "jobCancel" && p.payload.jobCancel.jobId === jobId) seen(p);
    });
    const stream = client.watchEvents({ jobId });
    await stream.ready;

    expect(await client.cancelJob(jobId, "changed my mind")).toEqual({
      jobId,
      state: "CANCELLED",
      cancelled: true,
    });

    const packet = await cancelSeen;
    await sub.unsubscribe();
    expect(packet.payload).toEqual({ $case: "jobCancel", jobCancel: { jobId, reason: "changed my mind" } });
    for await (const ev of stream) {
      expect(ev).toMatchObject({ jobId, from: "PENDING", to: "CANCELLED", reason: "changed my mind" });
      break;
    }
    expect(await client.cancelJob(jobId)).toEqual({ jobId, state: "CANCELLED", cancelled: false });
    expect((await store.getJob(jobId))?.state).toBe(JobState.Cancelled);
  });
});

describe("WatchEvents", () => {
  it("streams events published on sys.job.event that match the filter", async () => {
    const stream = client.watchEvents({ topics: ["job.chat.*"], tenant: "t1" });
    await stream.ready;
    await publishEvent({ jobId: "w1", kind: "state", topic: "job.echo", tenant: "t1", to: "RUNNING" });
    await publishEvent({
      jobId: "w2",
      kind: "state",
      topic: "job.chat.simple",
      tenant: "other",
      to: "RUNNING",
    });
    await bus.publishRaw(Subjects.jobEvent, Buffer.from("not json"));
    await publishEvent({
      jobId: "w3",
      kind: "state",
      topic: "job.chat.simple",
      tenant: "t1",
      to: "RUNNING",
      seq: 7,
    });
    const got: JobEvent[] = [];
    for await (const ev of stream) {
      got.push(ev);
      break;
    }
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      jobId: "w3",
      kind: "state",
      topic: "job.chat.simple",
      to: "RUNNING",
      seq: 7,
    });
  });

  it("backfills a job's history before live events", async () => {
    const { jobId } = await client.submitJob({ topic: "job.echo" });
    const stream = client.watchEvents({ jobId, backfill: 10 });
    await stream.ready;
    await publishEvent({ jobId, kind: "progress", topic: "job.echo" });
    const kinds: string[] = [];
    for await (const ev of stream) {
      kinds.push(ev.kind);
      if (ev.kind === "progress") break;
    }
    expect(kinds.length).toBeGreaterThanOrEqual(2);
    expect(kinds.at(-1)).toBe("progress");
  });

  it("waitForJob follows a job to its terminal state and returns the result", async () => {
    const { jobId } = await client.submitJob({ topic: "job.echo", prompt: "ping" });
    const states: string[] = [];
    const waiting = waitForJob(client, jobId, { timeoutMs: 10_000, onState: (s) => states.push(s) });

    // Play scheduler and worker: transitions in the store, events on the bus.
    const step = async (to: JobState, extra: Record<string, unknown> = {}) => {
      const out = await store.transition({ jobId, to, ...extra });
      if (!out.ok) throw new Error(`transition to ${to} refused`);
      await bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify(out.event)));
    };
    await vi.waitFor(() => expect(states).toContain("PENDING"), { timeout: 5_000 });
    await step(JobState.Scheduled);
    await step(JobState.Running, { incrementAttempts: true, workerId: "w-1" });
    const put = await store.putResult({ jobId, attempt: 1, workerId: "w-1", result: { echo: "ping" } });
    await step(JobState.Succeeded, { resultPtr: put.resultPtr });

    const done = await waiting;
    expect(done.job.state).toBe("SUCCEEDED");
    expect(done.result).toEqual({ echo: "ping" });
    expect(states).toEqual(["PENDING", "SCHEDULED", "RUNNING", "SUCCEEDED"]);
  });

  it("waitForJob returns at once for a job that is already terminal, and times out otherwise", async () => {
    const { jobId } = await client.submitJob({ topic: "job.echo" });
    await client.cancelJob(jobId);
    expect((await waitForJob(client, jobId, { timeoutMs: 5_000 })).job.state).toBe("CANCELLED");

    const pending = await client.submitJob({ topic: "job.echo" });
    await expectCortexError(waitForJob(client, pending.jobId, { timeoutMs: 300 }), ErrorCode.WaitTimeout);
  });
});

describe("waitForJob without a stream", () => {
  it("falls back to polling GetJob when WatchEvents fails", async () => {
    const dead = createGatewayClient({ address: `127.0.0.1:${await freePort()}` });
    const pollingOnly: GatewayClient = { ...client, watchEvents: dead.watchEvents };
    try {
      const { jobId } = await client.submitJob({ topic: "job.echo" });
      const states: string[] = [];
      const waiting = waitForJob(pollingOnly, jobId, {
        timeoutMs: 5_000,
        pollIntervalMs: 20,
        onState: (s) => states.push(s),
      });
      await vi.waitFor(() => expect(states).toEqual(["PENDING"]), { timeout: 5_000 });
      await client.cancelJob(jobId);
      expect((await waiting).job.state).toBe("CANCELLED");
      expect(states).toEqual(["PENDING", "CANCELLED"]);
    } finally {
      dead.close();
    }
  });
});

describe("EventWatcher", () => {
  it("forgets watchers whose clients went away", async () => {
    const stream = client.watchEvents({});
    await stream.ready;
    expect(gateway.stats().watchers).toBeGreaterThanOrEqual(1);
    stream.cancel();
    await vi.waitFor(() => expect(gateway.stats().watchers).toBe(0), { timeout: 2_000, interval: 10 });
    expect(gateway.stats().malformedEvents).toBe(1);
  });

  it("drops events for a slow client and reports the count once it catches up", () => {
    const written: JobEvent[] = [];
    let drain: (() => void) | undefined;
    let full = false;
    const sink = {
      write: (ev: JobEvent) => {
        written.push(ev);
        return !full;
      },
      onDrain: (l: () => void) => {
        drain = l;
      },
    };
    const w = new EventWatcher(filterFromRequest(WatchEventsRequest.fromPartial({})), sink, 3);
    w.goLive([]);
    full = true;
    const ev = (n: number): JobEventRecord => ({ seq: n, at: n, kind: "state", jobId: `j${n}` });
    w.offer(ev(1)); // written; sink now full
    for (let n = 2; n <= 10; n++) w.offer(ev(n)); // 3 queued, 6 dropped
    expect(written.map((e) => e.jobId)).toEqual(["j1"]);
    full = false;
    drain?.();
    w.offer(ev(11));
    expect(written.map((e) => (e.kind === "dropped" ? `dropped:${e.dropped}` : e.jobId))).toEqual([
      "j1",
      "j2",
      "j3",
      "j4",
      "dropped:6",
      "j11",
    ]);
  });
});

describe("ListWorkers and GetStatus", () => {
  it("lists a worker from its heartbeat with per-pool aggregates", async () => {
    await bus.publish(
      heartbeatSubject("echo"),
      newPacket(
        {
          $case: "heartbeat",
          heartbeat: {
            workerId: "echo-1",
            region: "local",
            type: "echo",
            cpuLoad: 12.5,
            gpuUtilization: 0,
            activeJobs: 1,
            capabilities: ["job.echo"],
            pool: "echo",
            maxParallelJobs: 4,
          },
        },
        { traceId: "", senderId: "echo-1" },
      ),
    );
    const res = await vi.waitFor(
      async () => {
        const r = await client.listWorkers();
        expect(r.workers).toHaveLength(1);
        return r;
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(res.workers[0]?.heartbeat).toMatchObject({ workerId: "echo-1", pool: "echo", activeJobs: 1 });
    expect(res.workers[0]?.lastSeenMs).toBeGreaterThan(0);
    expect(res.pools).toEqual([
      {
        pool: "chat",
        liveWorkers: 0,
        activeJobs: 0,
        capacity: 0,
        topics: ["job.chat.advanced", "job.chat.simple"],
      },
      { pool: "echo", liveWorkers: 1, activeJobs: 1, capacity: 4, topics: ["job.echo"] },
    ]);
    const chatOnly = await client.listWorkers("chat");
    expect(chatOnly.workers).toEqual([]);
    expect(chatOnly.pools.map((p) => p.pool)).toEqual(["chat"]);
  });

  it("reports status with connection flags", async () => {
    const s = await client.getStatus();
    expect(s.pid).toBe(process.pid);
    expect(s.natsConnected).toBe(true);
    expect(s.redisConnected).toBe(true);
    expect(s.natsUrl).toBe(nats.url);
    expect(s.redisUrl).toBe(redis.url);
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.components).toEqual([
      expect.objectContaining({
        name: "gateway",
        state: "running",
        address: `127.0.0.1:${gateway.ports().grpc}`,
      }),
    ]);
  });
});

describe("reflection and the API key", () => {
  it("lists cortex.v1.CortexApi through server reflection", async () => {
    const reflectionProto = join(
      import.meta.dirname,
      "../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto",
    );
    const def = grpc.loadPackageDefinition(loadSync(reflectionProto, { keepCase: true, oneofs: true }));
    // biome-ignore lint/suspicious/noExplicitAny: a dynamically loaded service has no static type.
    const Reflection = (def as any).grpc.reflection.v1.ServerReflection;
    const rc = new Reflection(`127.0.0.1:${gateway.ports().grpc}`, grpc.credentials.createInsecure());
    try {
      const services = await new Promise<string[]>((resolve, reject) => {
        const call = rc.ServerReflectionInfo();
        call.on("data", (msg: { list_services_response?: { service: { name: string }[] } }) => {
          resolve((msg.list_services_response?.service ?? []).map((s) => s.name));
          call.end();
        });
        call.on("error", reject);
        call.write({ list_services: "" });
      });
      expect(services).toContain("cortex.v1.CortexApi");
    } finally {
      rc.close();
    }
  });

  it("requires x-api-key when the gateway has a key", async () => {
    const keyed = new GatewayServer({
      bus,
      store,
      logger,
      config: { grpcPort: 0, httpPort: 0, apiKey: "s3cret" },
    });
    await keyed.start();
    const address = `127.0.0.1:${keyed.ports().grpc}`;
    const anonymous = createGatewayClient({ address, apiKey: "" });
    const wrong = createGatewayClient({ address, apiKey: "nope" });
    const right = createGatewayClient({ address, apiKey: "s3cret" });
    try {
      await expectCortexError(anonymous.getStatus(), ErrorCode.Unauthenticated);
      await expectCortexError(wrong.listJobs(), ErrorCode.Unauthenticated);
      await expectCortexError(anonymous.watchEvents().ready, ErrorCode.Unauthenticated);
      expect((await right.getStatus()).pid).toBe(process.pid);
    } finally {
      for (const c of [anonymous, wrong, right]) c.close();
      await keyed.stop();
    }
  });
});

describe("startup", () => {
  it("fails with a port hint when the gRPC port is taken, leaving nothing bound", async () => {
    const taken = gateway.ports().grpc;
    const second = new GatewayServer({ bus, store, logger, config: { grpcPort: taken, httpPort: 0 } });
    const err = await second.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CortexError);
    expect((err as CortexError).hint).toMatch(/CORTEX_GRPC_PORT/);
    expect(() => second.ports()).toThrow();
    expect((await client.getStatus()).pid).toBe(process.pid);
  });
});

describe("unreachable gateway", () => {
  it("reports STACK_UNREACHABLE with the hint for calls and streams", async () => {
    const dead = createGatewayClient({ address: `127.0.0.1:${await freePort()}`, timeoutMs: 2_000 });
    try {
      const err = await expectCortexError(dead.getStatus(), ErrorCode.StackUnreachable);
      expect(err.hint).toBe(UNREACHABLE_HINT);
      const stream = dead.watchEvents();
      await expectCortexError(
        (async () => {
          for await (const _ of stream) break;
        })(),
        ErrorCode.StackUnreachable,
      );
    } finally {
      dead.close();
    }
  });
});

// Last: these stop the servers.
describe("dependencies down", () => {
  it("answers BUS_UNAVAILABLE when NATS is down and does not leave the job PENDING", async () => {
    const base = `http://127.0.0.1:${gateway.ports().http}`;
    await nats.kill9();
    try {
      const err = await expectCortexError(
        client.submitJob({ topic: "job.echo", jobId: "bus-down-1" }),
        ErrorCode.BusUnavailable,
      );
      expect(err.hint).toBeTruthy();
      expect(await store.getJob("bus-down-1")).toMatchObject({ state: JobState.Failed });
      const notReady = await fetch(`${base}/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ failed: ["bus"], checks: { store: "ok" } });
    } finally {
      await nats.restart();
    }
    await vi.waitFor(() => bus.ping(500), { timeout: 10_000, interval: 100 });
  });

  it("/health is always ok; /ready fails with 503 naming the store when Redis is down", async () => {
    const base = `http://127.0.0.1:${gateway.ports().http}`;
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", failed: [] });
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    await redis.kill9();
    const notReady = await fetch(`${base}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({
      status: "not_ready",
      failed: ["store"],
      checks: { bus: "ok" },
    });
    expect((await fetch(`${base}/health`)).status).toBe(200);

    const err = await expectCortexError(client.submitJob({ topic: "job.echo" }), ErrorCode.StoreUnavailable);
    expect(err.hint).toBeTruthy();
  });
});
