/**
 * SubmitAndWatch over real gRPC on loopback with real NATS and Redis: the test plays the
 * scheduler and worker (store transitions + events on the bus) once the job is submitted.
 */
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import { submitAndWait } from "../../src/client/submit-and-wait.js";
import { NO_RETRY_TIMEOUTS } from "../../src/config/index.js";
import { ErrorCode } from "../../src/core/errors.js";
import { parseEventPayload } from "../../src/core/job-event.js";
import { JobState } from "../../src/core/states.js";
import { Subjects } from "../../src/core/subjects.js";
import { EventHub } from "../../src/daemon/gateway/event-watch.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { SubmitAndWatchMany } from "../../src/daemon/gateway/submit-and-watch-many.js";
import {
  CortexApiClient,
  CortexApiService,
  type JobEvent,
  SubmitJobRequest,
} from "../../src/gen/cortex/v1/api.js";
import { INLINE_RESULT_MAX_BYTES } from "../../src/jobs/event-feed.js";
import { JobLifecycle } from "../../src/jobs/index.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { freePort } from "../support/free-port.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";
import { rejection } from "../support/rejection.js";

const ADMIN = "admin-key-0123456789abcdef";
const ACME = "acme-key-0123456789abcdef";
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: RedisJobStore;
let gateway: GatewayServer;
const clients: GatewayClient[] = [];

function grpcClient(apiKey = ADMIN, address = `127.0.0.1:${gateway.ports().grpc}`): GatewayClient {
  const c = createGatewayClient({ address, apiKey, timeoutMs: 5_000 });
  clients.push(c);
  return c;
}

/**
 * Plays scheduler and worker for one job: SCHEDULED, RUNNING (progress), SUCCEEDED with a
 * result, inline on the terminal event when small, as the jobs layer's feed publishes it.
 */
async function runJob(jobId: string, result: unknown): Promise<void> {
  const resultJson = JSON.stringify(result);
  const inline = resultJson.length <= INLINE_RESULT_MAX_BYTES ? { resultJson } : {};
  const step = async (to: JobState, extra: Record<string, unknown> = {}) => {
    const out = await store.transition({ jobId, to, ...extra });
    if (!out.ok) throw new Error(`transition to ${to} refused`);
    const ev = to === JobState.Succeeded ? { ...out.event, ...inline } : out.event;
    await bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify(ev)));
  };
  await step(JobState.Scheduled);
  await step(JobState.Running, { incrementAttempts: true, workerId: "w-1" });
  await bus.publishRaw(
    Subjects.jobEvent,
    Buffer.from(JSON.stringify({ seq: 0, at: Date.now(), kind: "progress", jobId, text: "half way" })),
  );
  const put = await store.putResult({ jobId, attempt: 1, workerId: "w-1", result });
  await step(JobState.Succeeded, { resultPtr: put.resultPtr });
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  bus = await connectNatsBus({ url: nats.url, name: "submit-and-watch-test", logger });
  await bus.provision();
  store = await createRedisStore({ url: redis.url, prefix: uniquePrefix(), logger });
  gateway = new GatewayServer({
    bus,
    store,
    logger,
    config: { grpcPort: 0, httpPort: 0, apiKey: ADMIN, apiKeys: [{ key: ACME, tenant: "acme" }] },
  });
  await gateway.start();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await gateway?.stop();
  await store?.close();
  await bus?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

describe("SubmitAndWatch", () => {
  it("sends submitted, the job's events in order, the result on the terminal event, then ends", async () => {
    const client = grpcClient();
    const stream = client.submitAndWatch({ topic: "job.echo", prompt: "ping" });
    const events: JobEvent[] = [];
    for await (const ev of stream) {
      events.push(ev);
      if (ev.kind === "submitted") void runJob(ev.jobId, { echo: "ping" });
    }
    const [first] = events;
    expect(first).toMatchObject({ kind: "submitted", topic: "job.echo", tenant: "default" });
    expect(first?.jobId).not.toBe("");
    expect(first?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(events.map((e) => (e.kind === "state" ? e.to : e.kind))).toEqual([
      "submitted",
      "PENDING",
      "SCHEDULED",
      "RUNNING",
      "progress",
      "SUCCEEDED",
    ]);
    expect(events.every((e) => e.jobId === first?.jobId)).toBe(true);
    expect(JSON.parse(events.at(-1)?.resultJson ?? "")).toEqual({ echo: "ping" });
    expect(events.slice(0, -1).every((e) => e.resultJson === "")).toBe(true);
    expect(gateway.stats().watchers).toBe(0);
  });

  it("leaves a result past INLINE_RESULT_MAX_BYTES off the terminal event; submitAndWait reads it with GetJob", async () => {
    const client = grpcClient();
    const big = { blob: "x".repeat(INLINE_RESULT_MAX_BYTES + 1) };
    let terminal: JobEvent | undefined;
    const done = await submitAndWait(
      client,
      { topic: "job.echo" },
      {
        timeoutMs: 10_000,
        onSubmitted: (sub) => void runJob(sub.jobId, big),
        onState: (state, ev) => {
          if (state === "SUCCEEDED") terminal = ev;
        },
      },
    );
    expect(terminal?.resultJson).toBe("");
    expect(done.result).toEqual(big);
  });

  it("with terminal_only sends just submitted and the terminal event with the result", async () => {
    const client = grpcClient();
    const stream = client.submitAndWatch({ topic: "job.echo", prompt: "ping", terminalOnly: true });
    const events: JobEvent[] = [];
    for await (const ev of stream) {
      events.push(ev);
      if (ev.kind === "submitted") void runJob(ev.jobId, { echo: "ping" });
    }
    expect(events.map((e) => (e.kind === "state" ? e.to : e.kind))).toEqual(["submitted", "SUCCEEDED"]);
    expect(events[1]).toMatchObject({ workerId: "w-1", attempt: 1 });
    expect(JSON.parse(events[1]?.resultJson ?? "")).toEqual({ echo: "ping" });
    expect(gateway.stats().watchers).toBe(0);
  });

  it("takes a result published inline on the terminal event; plain watchers never see it", async () => {
    const client = grpcClient();
    const plain = client.watchEvents({ topics: ["job.inline"] });
    await plain.ready;
    const seen: JobEvent[] = [];
    const watching = (async () => {
      for await (const ev of plain) {
        seen.push(ev);
        if (ev.to === "SUCCEEDED") return;
      }
    })();
    const done = await submitAndWait(
      client,
      { topic: "job.inline" },
      {
        timeoutMs: 10_000,
        onSubmitted: (sub) =>
          void (async () => {
            const jobId = sub.jobId;
            await store.transition({ jobId, to: JobState.Scheduled });
            await store.transition({ jobId, to: JobState.Running, incrementAttempts: true, workerId: "w-1" });
            const put = await store.putResult({
              jobId,
              attempt: 1,
              workerId: "w-1",
              result: { stored: true },
            });
            const out = await store.transition({ jobId, to: JobState.Succeeded, resultPtr: put.resultPtr });
            if (!out.ok) throw new Error("transition refused");
            const inline = { ...out.event, resultJson: '{"inline":true}' };
            await bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify(inline)));
          })(),
      },
    );
    expect(done.result).toEqual({ inline: true });
    await watching;
    plain.cancel();
    expect(seen.at(-1)?.to).toBe("SUCCEEDED");
    expect(seen.every((e) => e.resultJson === "")).toBe(true);
  });

  it("submitAndWait returns the job built from the events and the parsed result", async () => {
    const client = grpcClient();
    const states: string[] = [];
    let submittedId = "";
    const done = await submitAndWait(
      client,
      { topic: "job.echo", contextJson: JSON.stringify({ n: 1 }), priority: "batch" },
      {
        timeoutMs: 10_000,
        onSubmitted: (sub) => {
          submittedId = sub.jobId;
          void runJob(sub.jobId, { n: 1 });
        },
        onState: (s) => states.push(s),
      },
    );
    expect(done.job).toMatchObject({
      jobId: submittedId,
      state: "SUCCEEDED",
      topic: "job.echo",
      tenant: "default",
      attempts: 1,
      workerId: "w-1",
    });
    expect(done.job.createdAtMs).toBeGreaterThan(0);
    expect(done.job.finishedAtMs).toBeGreaterThanOrEqual(done.job.startedAtMs);
    expect(done.result).toEqual({ n: 1 });
    expect(states).toEqual(["PENDING", "SCHEDULED", "RUNNING", "SUCCEEDED"]);
    const stored = await store.getJob(submittedId);
    expect(stored?.state).toBe("SUCCEEDED");
    expect(stored?.priority).toBe("BATCH");
  });

  it("rejects invalid input with INVALID_ARGUMENT and stores nothing", async () => {
    const client = grpcClient();
    const empty = await rejection(submitAndWait(client, { topic: "" }, { timeoutMs: 5_000 }));
    expect(empty.code).toBe(ErrorCode.InvalidArgument);
    expect(empty.message).toMatch(/^topic: must not be empty/);
    const ctx = await rejection(
      submitAndWait(
        client,
        { topic: "job.echo", jobId: "bad-ctx-1", contextJson: "{nope" },
        { timeoutMs: 5_000 },
      ),
    );
    expect(ctx.code).toBe(ErrorCode.InvalidArgument);
    expect(ctx.message).toMatch(/^context_json:/);
    expect(await store.getJob("bad-ctx-1")).toBeUndefined();
    const env = await rejection(
      submitAndWait(
        client,
        {
          topic: "job.echo",
          jobId: "bad-env-1",
          prompt: "p".repeat(200 * 1024),
          envVars: { blob: "e".repeat(900 * 1024) },
        },
        { timeoutMs: 5_000 },
      ),
    );
    expect(env.code).toBe(ErrorCode.InvalidArgument);
    expect(env.message).toMatch(/^env_vars: .*over the limit of \d+ bytes \(CORTEX_MAX_CONTEXT_BYTES\)/);
    expect(await store.getJob("bad-env-1")).toBeUndefined();
    const step = await rejection(
      submitAndWait(client, { topic: "job.echo", jobId: "bad-step-1", stepIndex: -1 }, { timeoutMs: 5_000 }),
    );
    expect(step.code).toBe(ErrorCode.InvalidArgument);
    expect(step.message).toMatch(/^step_index: /);
    expect(await store.getJob("bad-step-1")).toBeUndefined();
  });

  it("a tenant-bound key submits as its tenant and may not name another", async () => {
    const acme = grpcClient(ACME);
    const done = await submitAndWait(
      acme,
      { topic: "job.echo" },
      {
        timeoutMs: 10_000,
        // Stored in the tenant's namespace (tenant-ids.ts); the caller sees its own id.
        onSubmitted: (sub) => void runJob(`acme~${sub.jobId}`, { ok: true }),
      },
    );
    expect(done.job.tenant).toBe("acme");
    expect((await store.getJob(`acme~${done.job.jobId}`))?.tenant).toBe("acme");

    const other = await rejection(submitAndWait(acme, { topic: "job.echo", tenant: "globex" }));
    expect(other.code).toBe(ErrorCode.PermissionDenied);
    const viaEnv = await rejection(
      submitAndWait(acme, { topic: "job.echo", jobId: "env-globex-1", envVars: { tenant_id: "globex" } }),
    );
    expect(viaEnv.code).toBe(ErrorCode.PermissionDenied);
    expect(await store.getJob("acme~env-globex-1")).toBeUndefined();
    const missing = await rejection(submitAndWait(grpcClient(""), { topic: "job.echo" }));
    expect(missing.code).toBe(ErrorCode.Unauthenticated);
  });

  it("times out with WAIT_TIMEOUT naming the job, which stays submitted", async () => {
    const err = await rejection(
      submitAndWait(grpcClient(), { topic: "job.echo", jobId: "slow-1" }, { timeoutMs: 300 }),
    );
    expect(err.code).toBe(ErrorCode.WaitTimeout);
    expect(err.message).toMatch(/^job slow-1 is still PENDING/);
    expect((await store.getJob("slow-1"))?.state).toBe("PENDING");
  });

  it("falls back to SubmitJob + WatchEvents when the gateway answers UNIMPLEMENTED", async () => {
    const old = new grpc.Server();
    old.addService(CortexApiService, {} as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      old.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    try {
      const client = grpcClient();
      const oldGateway: GatewayClient = {
        ...client,
        submitAndWatch: grpcClient(ADMIN, `127.0.0.1:${port}`).submitAndWatch,
      };
      const done = await submitAndWait(
        oldGateway,
        { topic: "job.echo", jobId: "fallback-1" },
        {
          timeoutMs: 10_000,
          onSubmitted: (sub) => void runJob(sub.jobId, { old: true }),
        },
      );
      expect(done.job).toMatchObject({ jobId: "fallback-1", state: "SUCCEEDED", attempts: 1 });
      expect(done.result).toEqual({ old: true });
    } finally {
      old.forceShutdown();
    }
  });
});

describe("SubmitAndWatchMany", () => {
  it("follows many jobs over one stream, each as SubmitAndWatch would, and ends after the client's half-close", async () => {
    const client = grpcClient();
    const raw = new CortexApiClient(`127.0.0.1:${gateway.ports().grpc}`, grpc.credentials.createInsecure());
    try {
      const md = new grpc.Metadata();
      md.set("x-api-key", ADMIN);
      const call = raw.submitAndWatchMany(md);
      const events: JobEvent[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        call.on("data", (ev: JobEvent) => {
          events.push(ev);
          if (ev.kind === "submitted") void runJob(ev.jobId, { n: ev.jobId });
        });
        call.on("end", resolve);
        call.on("error", reject);
      });
      const ids = ["many-1", "many-2", "many-3"];
      for (const jobId of ids) call.write(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId }));
      call.write(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId: "many-3" }));
      call.write(SubmitJobRequest.fromPartial({ topic: "Bad Topic!", jobId: "many-bad" }));
      call.write(SubmitJobRequest.fromPartial({ topic: "job.echo" }));
      call.end();
      await ended;
      for (const id of ids) {
        const mine = events.filter((e) => e.jobId === id && e.kind !== "rejected");
        expect(mine.map((e) => (e.kind === "state" ? e.to : e.kind))).toEqual([
          "submitted",
          "PENDING",
          "SCHEDULED",
          "RUNNING",
          "progress",
          "SUCCEEDED",
        ]);
        expect(JSON.parse(mine.at(-1)?.resultJson ?? "")).toEqual({ n: id });
      }
      const rejected = events.filter((e) => e.kind === "rejected");
      expect(rejected.map((e) => [e.jobId, e.errorCode])).toEqual([
        ["many-3", "INVALID_ARGUMENT"],
        ["many-bad", "INVALID_ARGUMENT"],
        ["", "INVALID_ARGUMENT"],
      ]);
      expect(rejected[0]?.reason).toMatch(/already being followed/);
      expect(rejected[1]?.reason).toMatch(/^topic:/);
      expect(rejected[2]?.reason).toMatch(/^job_id: is required/);
      expect(rejected[2]?.hint).not.toBe("");
      expect(await store.getJob("many-bad")).toBeUndefined();
      expect(gateway.stats().watchers).toBe(0);
    } finally {
      raw.close();
    }
    client.close();
  });

  it("submitAndWait with `many` shares one stream, runs jobs concurrently and throws rejections as typed errors", async () => {
    const client = grpcClient();
    const many = client.submitMany();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        submitAndWait(
          client,
          { topic: "job.echo", contextJson: JSON.stringify({ i }), terminalOnly: true },
          { timeoutMs: 10_000, many, onSubmitted: (sub) => void runJob(sub.jobId, { i }) },
        ),
      ),
    );
    expect(results.map((r) => r.result)).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
    expect(results.every((r) => r.job.state === "SUCCEEDED" && r.job.workerId === "w-1")).toBe(true);
    expect(new Set(results.map((r) => r.job.jobId)).size).toBe(20);

    const bad = await rejection(submitAndWait(client, { topic: "" }, { timeoutMs: 5_000, many }));
    expect(bad.code).toBe(ErrorCode.InvalidArgument);
    expect(bad.message).toMatch(/^topic: must not be empty/);
    many.close();

    const denied = await rejection(
      submitAndWait(grpcClient(""), { topic: "job.echo" }, { many: grpcClient("").submitMany() }),
    );
    expect(denied.code).toBe(ErrorCode.Unauthenticated);
  });
});

describe("SubmitAndWatchMany limits", () => {
  it("rejects a job past the stream's cap with TOO_MANY_IN_FLIGHT and takes more once one ends", async () => {
    const written: JobEvent[] = [];
    const hub = new EventHub();
    const feed = await bus.subscribeRaw(Subjects.jobEvent, (data) => {
      for (const ev of parseEventPayload(Buffer.from(data).toString("utf8"), Date.now()).events)
        hub.publish(ev);
    });
    try {
      const many = new SubmitAndWatchMany(
        {
          jobs: new JobLifecycle({
            bus,
            store,
            logger,
            pools: { topics: {} },
            timeouts: NO_RETRY_TIMEOUTS,
            senderId: "test",
          }),
          liveTopic: () => false,
          store,
          hub,
          logger,
          watchBufferSize: 100,
          limits: { maxContextBytes: 1024, defaultTenant: "default" },
        },
        { tenant: undefined, name: "test" },
        { write: (ev) => written.push(ev) > 0, onDrain: () => undefined, end: () => undefined },
        2,
      );
      many.submit(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId: "cap-1" }));
      many.submit(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId: "cap-2" }));
      many.submit(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId: "cap-3" }));
      expect(written.find((e) => e.jobId === "cap-3")).toMatchObject({
        kind: "rejected",
        errorCode: "TOO_MANY_IN_FLIGHT",
      });
      expect(many.active()).toBe(2);
      await vi.waitFor(() => expect(written.filter((e) => e.kind === "submitted")).toHaveLength(2), {
        timeout: 5_000,
      });
      await runJob("cap-1", { done: 1 });
      await vi.waitFor(() => expect(many.active()).toBe(1), { timeout: 5_000 });
      many.submit(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId: "cap-4" }));
      expect(many.active()).toBe(2);
      many.close();
    } finally {
      await feed.unsubscribe();
    }
  });
});

describe("SubmitAndWatchMany across a gateway restart", () => {
  it("fails the jobs of a broken stream with a typed error, then opens a new stream for the next submit", async () => {
    const port = await freePort();
    const config = { grpcPort: port, httpPort: 0, apiKey: ADMIN };
    let gw = new GatewayServer({ bus, store, logger, config });
    await gw.start();
    const client = createGatewayClient({ address: `127.0.0.1:${port}`, apiKey: ADMIN, timeoutMs: 2_000 });
    try {
      const many = client.submitMany();
      let firstId = "";
      const first = rejection(
        submitAndWait(
          client,
          { topic: "job.echo" },
          {
            timeoutMs: 10_000,
            many,
            onSubmitted: (sub) => {
              firstId = sub.jobId;
              void gw.stop();
            },
          },
        ),
      );
      const err = await first;
      expect(err.code).toBe(ErrorCode.StackUnreachable);
      expect(firstId).not.toBe("");
      // The job was accepted before the gateway went away: it is in the store, PENDING.
      expect((await store.getJob(firstId))?.state).toBe("PENDING");

      gw = new GatewayServer({ bus, store, logger, config });
      await gw.start();
      // The channel reconnects with backoff; calls fail fast until it has.
      await vi.waitFor(() => client.getStatus(), { timeout: 10_000, interval: 100 });
      const second = await submitAndWait(
        client,
        { topic: "job.echo", terminalOnly: true },
        { timeoutMs: 10_000, many, onSubmitted: (sub) => void runJob(sub.jobId, { again: true }) },
      );
      expect(second.result).toEqual({ again: true });
      many.close();
    } finally {
      client.close();
      await gw.stop();
    }
  });
});
