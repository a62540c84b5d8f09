/**
 * The gateway's HTTP API (REST + WebSocket stream) over loopback, against real
 * nats-server and redis-server, through a real HTTP client (fetch) and a real WebSocket
 * client (ws). No scheduler runs: the test moves jobs itself through the store and
 * publishes their events and the workers' heartbeats on the bus.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { newPacket } from "../../src/bus/codec.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import type { JobJson, JobsResult } from "../../src/client/json-shapes.js";
import { newTraceId } from "../../src/core/ids.js";
import { JobState } from "../../src/core/states.js";
import { heartbeatSubject, Subjects } from "../../src/core/subjects.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { HIGH_WATER_BYTES } from "../../src/daemon/gateway/http/stream.js";
import { createLlmClient } from "../../src/llm/index.js";
import type { JobEventRecord } from "../../src/store/job-store.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { type ApiError, httpJson, openStream, streamRefusal } from "../support/http-api.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const POOL_TOPICS = { "job.echo": "echo", "job.chat.simple": "chat" };
const MAX_CONTEXT = 64 * 1024;
const WATCH_BUFFER = 50;
const BEAT_MS = 100;

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: RedisJobStore;
let gateway: GatewayServer;
let ollama: OllamaFixture;
let metrics: Registry;
let base: string;
let wsBase: string;

type Job = JobJson;

function publishEvent(ev: Partial<JobEventRecord> & { jobId: string; kind: string }): Promise<void> {
  return bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify({ at: Date.now(), seq: 0, ...ev })));
}

function beat(workerId: string, pool: string): Promise<void> {
  return bus.publish(
    heartbeatSubject(pool),
    newPacket(
      {
        $case: "heartbeat",
        heartbeat: {
          workerId,
          pool,
          region: "local",
          type: "test",
          cpuLoad: 1,
          gpuUtilization: 0,
          activeJobs: 0,
          capabilities: [],
          maxParallelJobs: 2,
        },
      },
      { traceId: "", senderId: workerId },
    ),
  );
}

const FLOOD_TEXT = "t".repeat(32 * 1024);
/** ~20 MB of events: more than the kernel's socket buffers hold for a client that stops reading. */
const FLOOD_EVENTS = 600;

/** Publishes FLOOD_EVENTS large progress events and waits until the gateway fanned them out. */
async function flood(jobIdOf: (i: number) => string, topic: string): Promise<void> {
  const before = gateway.stats().eventsPublished;
  for (let i = 0; i < FLOOD_EVENTS; i++) {
    await bus.publish(
      Subjects.jobProgress,
      newPacket(
        {
          $case: "jobProgress",
          jobProgress: {
            jobId: jobIdOf(i),
            seq: i + 1,
            dataJson: "",
            traceId: "",
            topic,
            tenant: "default",
            workerId: "w",
            attempt: 1,
            kind: "token",
            text: FLOOD_TEXT,
          },
        },
        { traceId: "", senderId: "test" },
      ),
    );
  }
  await vi.waitFor(
    () => expect(gateway.stats().eventsPublished - before).toBeGreaterThanOrEqual(FLOOD_EVENTS),
    {
      timeout: 10_000,
    },
  );
}

async function submit(body: Record<string, unknown>): Promise<{ job_id: string; trace_id: string }> {
  const res = await httpJson<{ job_id: string; trace_id: string }>(`${base}/api/v1/jobs`, { body });
  expect(res.status).toBe(201);
  return res.body;
}

beforeAll(async () => {
  [nats, redis, ollama] = await Promise.all([
    startNats(),
    startRedis(),
    startOllamaFixture({ models: ["llama3:latest", "phi3:latest"] }),
  ]);
  const llm = createLlmClient({ baseUrl: ollama.url, model: "llama3" });
  bus = await connectNatsBus({ url: nats.url, name: "http-api-test", logger });
  await bus.provision();
  store = await createRedisStore({ url: redis.url, prefix: uniquePrefix(), logger });
  metrics = new Registry();
  gateway = new GatewayServer({
    bus,
    store,
    logger,
    metrics,
    llmHealth: () => llm.health(),
    config: {
      grpcPort: 0,
      httpPort: 0,
      poolTopics: POOL_TOPICS,
      maxContextBytes: MAX_CONTEXT,
      watchBufferSize: WATCH_BUFFER,
      heartbeatIntervalMs: BEAT_MS,
      missedBeats: 3,
    },
  });
  await gateway.start();
  base = `http://127.0.0.1:${gateway.ports().http}`;
  wsBase = `ws://127.0.0.1:${gateway.ports().http}`;
});

afterAll(async () => {
  await gateway?.stop();
  await store?.close();
  await bus?.close();
  await Promise.all([nats?.stop(), redis?.stop(), ollama?.stop()]);
});

describe("POST /api/v1/jobs", () => {
  it("stores the job PENDING with its context and answers 201 with its ids", async () => {
    const traceId = newTraceId();
    const res = await httpJson(`${base}/api/v1/jobs`, {
      body: {
        topic: "job.echo",
        prompt: "hello",
        context: { input: [1, 2] },
        priority: "critical",
        tenant: "acme",
        trace_id: traceId,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ job_id: expect.any(String), trace_id: traceId });
    const job = await store.getJob(String(res.body.job_id));
    expect(job).toMatchObject({
      state: JobState.Pending,
      topic: "job.echo",
      tenant: "acme",
      priority: "CRITICAL",
    });
    expect(await store.getContext(String(res.body.job_id))).toEqual({ input: [1, 2], prompt: "hello" });
  });

  it.each([
    ["no topic", { prompt: "x" }, /^topic: /],
    ["an invalid topic", { topic: "job.*" }, /^topic: "job\.\*" is not a valid topic/],
    ["a context that is not an object", { topic: "job.echo", context: [1] }, /^context: /],
    ["an unknown field", { topic: "job.echo", colour: "red" }, /^body: .*colour/],
    ["an unknown priority", { topic: "job.echo", priority: "urgent" }, /^priority: /],
    ["a body that is not an object", ["job.echo"], /^body: /],
  ])("answers 400 INVALID_ARGUMENT for %s", async (_what, body, message) => {
    const res = await httpJson<ApiError>(`${base}/api/v1/jobs`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_ARGUMENT");
    expect(res.body.error.message).toMatch(message);
  });

  it("answers 400 for step_index past int32 and stores nothing", async () => {
    const res = await httpJson<ApiError>(`${base}/api/v1/jobs`, {
      body: { topic: "job.echo", job_id: "http-step-big", step_index: 2_147_483_648 },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_ARGUMENT");
    expect(res.body.error.message).toMatch(/^step_index: /);
    expect(await store.getJob("http-step-big")).toBeUndefined();
  });

  it("answers 400 naming the field for an oversized list cursor", async () => {
    const res = await httpJson<ApiError>(`${base}/api/v1/jobs?cursor=${"c".repeat(5_000)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^cursor: /);
  });

  it("answers 400 for env_vars over the size limit, naming the limit", async () => {
    const res = await httpJson<ApiError>(`${base}/api/v1/jobs`, {
      body: { topic: "job.echo", env_vars: { blob: "e".repeat(MAX_CONTEXT) } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(new RegExp(`^env_vars: .*over the limit of ${MAX_CONTEXT} bytes`));
  });

  it("answers 400 (not 500) for a JSON body nested far too deep", async () => {
    // 60k levels: as deep as fits under this gateway's body limit.
    const depth = 60_000;
    const res = await httpJson<ApiError>(`${base}/api/v1/jobs`, {
      method: "POST",
      rawBody: `{"topic":"job.echo","context":{"a":${"[".repeat(depth)}${"]".repeat(depth)}}}`,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/^body: /),
    });
  });

  it("answers 400 for malformed JSON and 415 for a body that is not JSON", async () => {
    const bad = await httpJson<ApiError>(`${base}/api/v1/jobs`, {
      method: "POST",
      rawBody: '{"topic": ',
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_ARGUMENT");
    const text = await httpJson<ApiError>(`${base}/api/v1/jobs`, {
      method: "POST",
      rawBody: "topic=job.echo",
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers 400 naming the limit for too much context, 413 for a body over the limit", async () => {
    const over = await httpJson<ApiError>(`${base}/api/v1/jobs`, {
      body: { topic: "job.echo", prompt: "x".repeat(MAX_CONTEXT + 1) },
    });
    expect(over.status).toBe(400);
    expect(over.body.error.message).toContain(`over the limit of ${MAX_CONTEXT} bytes`);
    const huge = await httpJson<ApiError>(`${base}/api/v1/jobs`, {
      body: { topic: "job.echo", prompt: "x".repeat(4 * MAX_CONTEXT) },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatchObject({
      code: "BODY_TOO_LARGE",
      hint: expect.stringContaining("CORTEX_MAX_CONTEXT_BYTES"),
    });
  });
});

describe("GET /api/v1/jobs/{id}", () => {
  it("answers the job with its result, events and (when asked) its context", async () => {
    const { job_id } = await submit({ topic: "job.echo", prompt: "hi" });
    const pending = await httpJson<{ job: Job; result: unknown; events: Record<string, unknown>[] }>(
      `${base}/api/v1/jobs/${job_id}`,
    );
    expect(pending.status).toBe(200);
    expect(pending.body.job).toMatchObject({
      job_id,
      state: "PENDING",
      topic: "job.echo",
      tenant: "default",
    });
    expect(pending.body.job.created_at_ms).toEqual(expect.any(Number));
    // Unset fields are omitted, as proto3 JSON does: no result yet, no reason, no worker.
    expect(pending.body).not.toHaveProperty("result");
    expect(pending.body).not.toHaveProperty("context");
    expect(pending.body.job).not.toHaveProperty("reason");
    expect(pending.body.job).not.toHaveProperty("worker_id");
    expect(pending.body.job).not.toHaveProperty("finished_at_ms");
    expect(pending.body.events).toEqual([expect.objectContaining({ kind: "state", job_id, to: "PENDING" })]);

    for (const to of [JobState.Scheduled, JobState.Dispatched, JobState.Running]) {
      await store.transition({
        jobId: job_id,
        to,
        ...(to === JobState.Dispatched ? { incrementAttempts: true } : {}),
      });
    }
    await store.putResult({ jobId: job_id, attempt: 1, workerId: "w1", result: { echo: "hi" } });
    await store.transition({ jobId: job_id, to: JobState.Succeeded });
    const done = await httpJson<{ job: Job; result: unknown; context: unknown; events: unknown[] }>(
      `${base}/api/v1/jobs/${job_id}?include_context=true`,
    );
    expect(done.body.job.state).toBe("SUCCEEDED");
    expect(done.body.result).toEqual({ echo: "hi" });
    expect(done.body.context).toEqual({ prompt: "hi" });
    expect(done.body.events.map((e) => (e as { to: string }).to)).toEqual([
      "PENDING",
      "SCHEDULED",
      "DISPATCHED",
      "RUNNING",
      "SUCCEEDED",
    ]);
  });

  it("serves the longest job ids there are (128 characters)", async () => {
    const id = `long-${"x".repeat(123)}`;
    await submit({ topic: "job.echo", job_id: id });
    const res = await httpJson<{ job: Job }>(`${base}/api/v1/jobs/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.job.job_id).toBe(id);
  });

  it("answers 404 JOB_NOT_FOUND for an unknown job and 400 for a bad flag", async () => {
    const res = await httpJson<ApiError>(`${base}/api/v1/jobs/no-such-job`);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "JOB_NOT_FOUND", message: "job no-such-job not found" });
    const flag = await httpJson<ApiError>(`${base}/api/v1/jobs/no-such-job?include_context=maybe`);
    expect(flag.status).toBe(400);
  });
});

describe("GET /api/v1/jobs", () => {
  it("filters by topic, state and tenant and pages with a cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit({ topic: "job.page", tenant: "pager" })).job_id);
    await submit({ topic: "job.page", tenant: "other" });
    const first = await httpJson<JobsResult>(
      `${base}/api/v1/jobs?topic=job.page&tenant=pager&state=pending&limit=2`,
    );
    expect(first.status).toBe(200);
    expect(first.body.jobs).toHaveLength(2);
    expect(first.body.next_cursor).not.toBe("");
    const second = await httpJson<JobsResult>(
      `${base}/api/v1/jobs?topic=job.page&tenant=pager&limit=2&cursor=${encodeURIComponent(first.body.next_cursor ?? "")}`,
    );
    const seen = [...first.body.jobs, ...second.body.jobs].map((j) => j.job_id);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(second.body.jobs.every((j) => j.tenant === "pager" && j.topic === "job.page")).toBe(true);
    expect(second.body).not.toHaveProperty("next_cursor");
  });

  it.each([
    ["state=bogus", /^state: "bogus" is not a job state/],
    ["limit=-1", /^limit: /],
    ["limit=ten", /^limit: /],
  ])("answers 400 for %s", async (query, message) => {
    const res = await httpJson<ApiError>(`${base}/api/v1/jobs?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });
});

describe("POST /api/v1/jobs/{id}/cancel", () => {
  it("cancels a live job once, reports an already-final one and 404s an unknown one", async () => {
    const { job_id } = await submit({ topic: "job.echo" });
    const first = await httpJson(`${base}/api/v1/jobs/${job_id}/cancel`, {
      body: { reason: "changed my mind" },
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ job_id, state: "CANCELLED", cancelled: true });
    expect(await store.getJob(job_id)).toMatchObject({
      state: JobState.Cancelled,
      reason: "changed my mind",
    });
    const again = await httpJson(`${base}/api/v1/jobs/${job_id}/cancel`, { method: "POST" });
    expect(again.body).toEqual({ job_id, state: "CANCELLED", cancelled: false });
    const unknown = await httpJson<ApiError>(`${base}/api/v1/jobs/nope-1/cancel`, { method: "POST" });
    expect(unknown.status).toBe(404);
  });
});

describe("GET /api/v1/traces/{id}", () => {
  it("lists a trace's jobs in submit order; 404 for an unknown trace, 400 for a malformed id", async () => {
    const traceId = newTraceId();
    const a = await submit({ topic: "job.echo", trace_id: traceId });
    const b = await submit({ topic: "job.chat.simple", trace_id: traceId, parent_job_id: a.job_id });
    const res = await httpJson<{ trace_id: string; jobs: Job[] }>(`${base}/api/v1/traces/${traceId}`);
    expect(res.status).toBe(200);
    expect(res.body.trace_id).toBe(traceId);
    expect(res.body.jobs.map((j) => j.job_id)).toEqual([a.job_id, b.job_id]);
    expect((await httpJson(`${base}/api/v1/traces/${newTraceId()}`)).status).toBe(404);
    expect((await httpJson(`${base}/api/v1/traces/not-hex`)).status).toBe(400);
  });
});

describe("GET /api/v1/workers and worker events", () => {
  it("lists a worker from its heartbeats and streams its join and leave", async () => {
    const stream = await openStream(`${wsBase}/api/v1/stream`);
    try {
      await beat("http-w1", "echo");
      const joined = await stream.next((m) => m.kind === "worker_join" && m.worker_id === "http-w1");
      expect(joined).toMatchObject({ reason: "pool echo", seq: expect.any(Number) });
      expect(joined).not.toHaveProperty("job_id");
      expect(joined.seq).toBeGreaterThan(0);

      const res = await httpJson<{ workers: Record<string, unknown>[]; pools: Record<string, unknown>[] }>(
        `${base}/api/v1/workers?pool=echo`,
      );
      expect(res.status).toBe(200);
      expect(res.body.workers).toEqual([
        expect.objectContaining({
          worker_id: "http-w1",
          pool: "echo",
          max_parallel_jobs: 2,
          last_seen_ms: expect.any(Number),
        }),
      ]);
      expect(res.body.pools).toEqual([
        { pool: "echo", live_workers: 1, active_jobs: 0, capacity: 2, topics: ["job.echo"] },
      ]);

      // No more beats: gone after missedBeats intervals, noticed by the next prune.
      const left = await stream.next((m) => m.kind === "worker_leave" && m.worker_id === "http-w1", 5_000);
      expect(String(left.reason)).toMatch(/^pool echo: no heartbeat/);
      const stored = await store.recentEvents(50);
      expect(stored.filter((e) => e.workerId === "http-w1").map((e) => e.kind)).toEqual([
        "worker_join",
        "worker_leave",
      ]);
      expect((await httpJson<{ workers: unknown[] }>(`${base}/api/v1/workers`)).body.workers).toEqual([]);
    } finally {
      stream.close();
    }
  });
});

describe("GET /api/v1/models", () => {
  it("lists Ollama's models and the default; Ollama down is 503 LLM_UNAVAILABLE with the client's message", async () => {
    const ok = await httpJson<Record<string, unknown>>(`${base}/api/v1/models`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      url: ollama.url,
      default_model: "llama3",
      default_present: true,
      models: ["llama3:latest", "phi3:latest"],
    });
    await ollama.setBehaviour({ refuse: true });
    try {
      const down = await httpJson<ApiError>(`${base}/api/v1/models`);
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe("LLM_UNAVAILABLE");
      expect(down.body.error.message).toContain(`cannot reach Ollama at ${ollama.url}`);
    } finally {
      await ollama.setBehaviour({});
    }
  });
});

describe("probes and unknown routes", () => {
  it("serves /health and /ready, 404s unknown routes as JSON, 426s the stream over plain HTTP", async () => {
    expect(await httpJson(`${base}/health`)).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await httpJson(`${base}/ready`)).toMatchObject({
      status: 200,
      body: { status: "ready", failed: [] },
    });
    const status = await httpJson<{ components: { name: string }[]; backend: string }>(
      `${base}/api/v1/status`,
    );
    expect(status.status).toBe(200);
    expect(status.body.components.map((c) => c.name)).toContain("gateway");
    expect(status.body.backend).toBe("nats");
    // Outside /api a GET is the dashboard's; this checkout runs from src/, where none is built.
    const page = await httpJson<ApiError>(`${base}/nope?api_key=secret-looking`);
    expect(page.status).toBe(404);
    expect(page.body.error.code).toBe("DASHBOARD_NOT_BUILT");
    expect(page.body.error.hint).toContain("npm run build");
    for (const [method, path] of [
      ["POST", "/nope"],
      ["GET", "/api/v1/nope"],
      ["DELETE", "/api/v1/jobs/x"],
      ["POST", "/health"],
    ] as const) {
      const res = await httpJson<ApiError>(`${base}${path}?api_key=secret-looking`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("ROUTE_NOT_FOUND");
      expect(res.body.error.message).not.toContain("secret-looking");
    }
    const plain = await httpJson<ApiError>(`${base}/api/v1/stream`);
    expect(plain.status).toBe(426);
  });
});

describe("WebSocket /api/v1/stream", () => {
  it("sends a job's history, then its live events, filtered", async () => {
    const { job_id, trace_id } = await submit({ topic: "job.echo" });
    const stream = await openStream(`${wsBase}/api/v1/stream?job_id=${job_id}&backfill=10`);
    try {
      const first = await stream.next((m) => m.to === "PENDING");
      expect(first).toMatchObject({ kind: "state", job_id, trace_id, topic: "job.echo", tenant: "default" });
      await publishEvent({ kind: "state", jobId: "someone-else", topic: "job.echo", to: "SCHEDULED" });
      await publishEvent({
        kind: "state",
        jobId: job_id,
        topic: "job.echo",
        from: "PENDING",
        to: "SCHEDULED",
      });
      await stream.next((m) => m.to === "SCHEDULED");
      expect(stream.messages.every((m) => m.job_id === job_id)).toBe(true);
    } finally {
      stream.close();
    }
  });

  it("filters by topics (patterns, repeated or comma-separated) and states", async () => {
    const stream = await openStream(`${wsBase}/api/v1/stream?topics=job.chat.*,job.code.llm&states=running`);
    try {
      await publishEvent({ kind: "state", jobId: "f1", topic: "job.echo", to: "RUNNING" });
      await publishEvent({ kind: "state", jobId: "f2", topic: "job.chat.simple", to: "SCHEDULED" });
      await publishEvent({ kind: "state", jobId: "f3", topic: "job.chat.simple", to: "RUNNING" });
      await publishEvent({ kind: "state", jobId: "f4", topic: "job.code.llm", to: "RUNNING" });
      await stream.next((m) => m.job_id === "f4");
      expect(stream.messages.map((m) => m.job_id)).toEqual(["f3", "f4"]);
    } finally {
      stream.close();
    }
  });

  it("ends with close code 1000 after the job's terminal event when until_terminal is set", async () => {
    const { job_id } = await submit({ topic: "job.echo" });
    const stream = await openStream(`${wsBase}/api/v1/stream?job_id=${job_id}&until_terminal=true`);
    await httpJson(`${base}/api/v1/jobs/${job_id}/cancel`, { method: "POST" });
    expect((await stream.closed).code).toBe(1000);
    expect(stream.messages.at(-1)).toMatchObject({ job_id, to: "CANCELLED" });
  });

  it("refuses bad filters with 400 and an unknown job with 404 before upgrading", async () => {
    const bad = await streamRefusal(`${wsBase}/api/v1/stream?backfill=-3`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^backfill: /);
    const unknown = await streamRefusal(`${wsBase}/api/v1/stream?job_id=nope-2`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("JOB_NOT_FOUND");
  });

  it("bounds what a client that stops reading costs, and tells it how much it missed", async () => {
    const stream = await openStream(`${wsBase}/api/v1/stream?topics=job.flood`);
    const total = FLOOD_EVENTS;
    // Stop reading: the daemon's writes back up into the socket, then into the session.
    stream.ws.pause();
    try {
      await flood((i) => `flood-${i}`, "job.flood");
      const stats = gateway.stats();
      expect(stats.maxWatchQueue).toBeLessThanOrEqual(WATCH_BUFFER + 1);
      expect(stats.maxSocketBufferedBytes).toBeLessThan(HIGH_WATER_BYTES + 2 * FLOOD_TEXT.length);
    } finally {
      stream.ws.resume();
    }
    const marker = await stream.next((m) => m.kind === "dropped", 10_000);
    // Every event is accounted for: delivered, or counted in a marker.
    await vi.waitFor(
      () => {
        const delivered = stream.messages.filter((m) => m.kind === "token").length;
        const dropped = stream.messages
          .filter((m) => m.kind === "dropped")
          .reduce((sum, m) => sum + Number(m.dropped), 0);
        expect(delivered + dropped).toBe(total);
      },
      { timeout: 10_000 },
    );
    expect(Number(marker.dropped)).toBeGreaterThan(0);
    stream.close();
  });

  it("still ends an until_terminal stream whose terminal event a slow client lost", async () => {
    const { job_id } = await submit({ topic: "job.echo" });
    const stream = await openStream(`${wsBase}/api/v1/stream?job_id=${job_id}&until_terminal=true`);
    stream.ws.pause();
    try {
      await flood(() => job_id, "job.echo");
      const before = gateway.stats().eventsPublished;
      await httpJson(`${base}/api/v1/jobs/${job_id}/cancel`, { method: "POST" });
      await vi.waitFor(() => expect(gateway.stats().eventsPublished).toBe(before + 1), { timeout: 5_000 });
    } finally {
      stream.ws.resume();
    }
    expect((await stream.closed).code).toBe(1000);
    expect(stream.messages.some((m) => m.kind === "dropped")).toBe(true);
    expect(stream.messages.at(-1)).toMatchObject({ job_id, to: "CANCELLED" });
    expect(stream.messages.filter((m) => m.to === "CANCELLED")).toHaveLength(1);
  });
});

describe("metrics", () => {
  it("counts requests by method, route template and status, never by raw path", async () => {
    const text = await metrics.metrics();
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="POST",route="\/api\/v1\/jobs",status="201"\} \d+/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="GET",route="\/api\/v1\/jobs\/:id",status="404"\} \d+/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="GET",route="unmatched",status="404"\} \d+/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="GET",route="\/api\/v1\/stream",status="101"\} \d+/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/jobs"\} \d+/,
    );
    expect(text).toMatch(/cortex_api_gateway_watch_events_dropped_total\{transport="websocket"\} [1-9]/);
    // Process metrics are the daemon's to place, on one port per process (e2e metrics test).
    expect(text).not.toContain("process_cpu_user_seconds_total");
    expect(text).not.toContain("no-such-job");
    expect(text).not.toContain("/nope");
  });
});
