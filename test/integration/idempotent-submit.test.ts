/**
 * Idempotent submit through the gateway over real gRPC, NATS and Redis (issue 14, finding 5):
 * the same job id and content answers with the first job, other content is ALREADY_EXISTS, a
 * submit the bus refused can be retried with its id, and a client retry after a lost answer
 * makes one job.
 */
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bus, WorkConsumer } from "../../src/bus/bus.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import { busUnavailable, CortexError, ErrorCode } from "../../src/core/errors.js";
import { EventKind } from "../../src/core/event-kinds.js";
import { SUBMIT_ATTEMPT_METADATA } from "../../src/core/grpc-metadata.js";
import { newJobId, newTraceId } from "../../src/core/ids.js";
import { JobState } from "../../src/core/states.js";
import { Streams, Subjects } from "../../src/core/subjects.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { CortexApiClient, SubmitJobRequest, type SubmitJobResponse } from "../../src/gen/cortex/v1/api.js";
import type { JobStore } from "../../src/store/job-store.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: RedisJobStore;
let gateway: GatewayServer;
/** A second gateway process on the same store and bus, with no failures. */
let gateway2: GatewayServer;
let client: GatewayClient;
let submitConsumer: WorkConsumer;
/** Publishes to refuse as if NATS were down, and admissions to delay past the client's deadline. */
let failPublishes = 0;
let slowFailPublishes = 0;
let slowAdmits = 0;
/** Submit packets taken from sys.job.submit, per job id. */
const submits = new Map<string, number>();

async function errorOf(p: Promise<unknown>): Promise<CortexError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CortexError);
  return err as CortexError;
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  bus = await connectNatsBus({ url: nats.url, name: "idem-test", logger, requestTimeoutMs: 1_000 });
  await bus.provision();
  store = await createRedisStore({ url: redis.url, prefix: uniquePrefix(), logger });
  // The real bus and store, with failures injected on demand.
  const flakyBus: Bus = Object.create(bus, {
    publishDurable: {
      value: (...args: Parameters<Bus["publishDurable"]>) => {
        if (failPublishes > 0) {
          failPublishes--;
          return Promise.reject(busUnavailable(nats.url, new Error("connection refused")));
        }
        if (slowFailPublishes > 0) {
          slowFailPublishes--;
          // A stream leader that died: no PubAck for longer than the client waits, then a failure.
          return new Promise((_, reject) =>
            setTimeout(() => reject(busUnavailable(nats.url, new Error("no PubAck"))), 600),
          );
        }
        return bus.publishDurable(...args);
      },
    },
  });
  const slowStore: JobStore = Object.create(store, {
    admitJob: {
      value: async (req: Parameters<JobStore["admitJob"]>[0]) => {
        if (slowAdmits > 0) {
          slowAdmits--;
          await new Promise((r) => setTimeout(r, 700));
        }
        return store.admitJob(req);
      },
    },
  });
  gateway = new GatewayServer({
    bus: flakyBus,
    store: slowStore as RedisJobStore,
    logger,
    config: { grpcPort: 0, httpPort: 0, poolTopics: { "job.echo": "echo" }, redisUrl: redis.url },
  });
  await gateway.start();
  gateway2 = new GatewayServer({
    bus,
    store,
    logger,
    config: { grpcPort: 0, httpPort: 0, poolTopics: { "job.echo": "echo" }, redisUrl: redis.url },
  });
  await gateway2.start();
  client = createGatewayClient({
    address: `127.0.0.1:${gateway.ports().grpc}`,
    timeoutMs: 400,
    submitRetry: { baseMs: 10, maxMs: 50 },
  });
  submitConsumer = await bus.consume(
    {
      stream: Streams.submit,
      consumer: "idem_test_submit",
      filterSubject: Subjects.jobSubmit,
      ackWaitMs: 5_000,
      maxDeliver: -1,
      maxInFlight: 16,
    },
    async (msg) => {
      const jobId = msg.packet.payload?.$case === "jobRequest" ? msg.packet.payload.jobRequest.jobId : "";
      submits.set(jobId, (submits.get(jobId) ?? 0) + 1);
      await msg.ack();
    },
  );
}, 30_000);

afterAll(async () => {
  client?.close();
  await submitConsumer?.stop();
  await gateway?.stop();
  await gateway2?.stop();
  await store?.close();
  await bus?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

describe("idempotent SubmitJob", () => {
  it("answers the same job id and content with the first answer, whatever its state: one job", async () => {
    const jobId = newJobId();
    const first = await client.submitJob({ topic: "job.echo", jobId, contextJson: '{"a":1,"b":[1,2]}' });
    // a new trace id and the keys in another order: the same job
    const again = await client.submitJob({
      topic: "job.echo",
      jobId,
      traceId: newTraceId(),
      contextJson: '{"b":[1,2],"a":1}',
    });
    expect(again).toEqual(first);
    await store.transition({ jobId, to: JobState.Cancelled, from: [JobState.Pending] });
    expect(await client.submitJob({ topic: "job.echo", jobId, contextJson: '{"a":1,"b":[1,2]}' })).toEqual(
      first,
    );
    await settle();
    expect(submits.get(jobId)).toBe(1);
    expect((await store.events(jobId)).map((e) => e.to)).toEqual([JobState.Pending, JobState.Cancelled]);
  });

  it("SubmitAndWatch of a job that ended already answers with its trace id and its end", async () => {
    const jobId = newJobId();
    const first = await client.submitJob({ topic: "job.echo", jobId, prompt: "w" });
    await store.transition({ jobId, to: JobState.Cancelled, from: [JobState.Pending] });
    const seen: { kind: string; to: string; traceId: string }[] = [];
    const stream = client.submitAndWatch({ topic: "job.echo", jobId, traceId: newTraceId(), prompt: "w" });
    const timer = setTimeout(() => stream.cancel(), 5_000);
    for await (const ev of stream) seen.push({ kind: ev.kind, to: ev.to, traceId: ev.traceId });
    clearTimeout(timer);
    expect(seen[0]).toMatchObject({ kind: EventKind.Submitted, traceId: first.traceId });
    expect(seen.at(-1)).toMatchObject({ to: JobState.Cancelled });
  });

  it("answers ALREADY_EXISTS (JOB_EXISTS) for the same id with other content, writing nothing", async () => {
    const jobId = newJobId();
    await client.submitJob({ topic: "job.echo", jobId, prompt: "one" });
    for (const other of [{ prompt: "two" }, { prompt: "one", priority: "BATCH" }]) {
      const err = await errorOf(client.submitJob({ topic: "job.echo", jobId, ...other }));
      expect(err.code).toBe(ErrorCode.JobExists);
    }
    expect(await store.getContext(jobId)).toEqual({ prompt: "one" });
  });

  it("tells another tenant only that the id is in use, as for other content (no state, no trace id)", async () => {
    const jobId = newJobId();
    await client.submitJob({ topic: "job.echo", jobId, tenant: "acme", prompt: "x" });
    const theirs = await errorOf(
      client.submitJob({ topic: "job.echo", jobId, tenant: "other", prompt: "x" }),
    );
    const conflict = await errorOf(
      client.submitJob({ topic: "job.echo", jobId, tenant: "acme", prompt: "y" }),
    );
    expect(theirs.code).toBe(ErrorCode.JobExists);
    expect([theirs.message, theirs.hint]).toEqual([conflict.message, conflict.hint]);
    expect((await store.getJob(jobId))?.tenant).toBe("acme");
  });

  it("runs a submit the bus refused when it is retried with its id", async () => {
    const jobId = newJobId();
    failPublishes = 1;
    const noRetry = createGatewayClient({ address: client.address, submitRetry: { attempts: 1 } });
    try {
      const err = await errorOf(noRetry.submitJob({ topic: "job.echo", jobId, prompt: "p" }));
      expect(err.code).toBe(ErrorCode.BusUnavailable);
      expect(await store.getJob(jobId)).toMatchObject({ state: JobState.Failed });
      const res = await noRetry.submitJob({ topic: "job.echo", jobId, prompt: "p" });
      expect(res.jobId).toBe(jobId);
    } finally {
      noRetry.close();
    }
    expect(await store.getJob(jobId)).toMatchObject({ state: JobState.Pending });
    await settle();
    expect(submits.get(jobId)).toBe(1);
  });

  it("a retry that arrives while the first admission still waits for its publish gets that admission's outcome", async () => {
    slowFailPublishes = 1;
    // The first call times out at 400 ms; its retry must not be told "accepted" for a job the
    // first admission then marks not queued: it waits, fails with it, and the next retry runs.
    const res = await client.submitJob({ topic: "job.echo", prompt: "leader died" });
    await settle();
    expect(await store.getJob(res.jobId)).toMatchObject({ state: JobState.Pending });
    expect(submits.get(res.jobId)).toBe(1);
  });

  it("a retry that reaches another gateway while the first admission still waits for its publish runs the job", async () => {
    slowFailPublishes = 1;
    const req = { topic: "job.echo", jobId: newJobId(), traceId: newTraceId(), contextJson: '{"p":"moved"}' };
    // The first call goes to the gateway whose publish hangs, then fails (600 ms); the client
    // gives up at 400 ms and sends its retry to the other gateway, as behind a load balancer.
    const first = createGatewayClient({
      address: `127.0.0.1:${gateway.ports().grpc}`,
      timeoutMs: 400,
      submitRetry: { attempts: 1 },
    });
    // DEADLINE_EXCEEDED, which the client reports as the stack not answering in time.
    expect((await errorOf(first.submitJob(req))).code).toBe(ErrorCode.StackUnreachable);
    first.close();
    const other = new CortexApiClient(
      `127.0.0.1:${gateway2.ports().grpc}`,
      grpc.credentials.createInsecure(),
    );
    const md = new grpc.Metadata();
    md.set(SUBMIT_ATTEMPT_METADATA, "2");
    const answer = await new Promise<SubmitJobResponse>((resolve, reject) =>
      other.submitJob(SubmitJobRequest.fromPartial(req), md, { deadline: Date.now() + 5_000 }, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
    other.close();
    expect(answer.jobId).toBe(req.jobId);
    await settle();
    // Told accepted, so queued: not the FAILED "not queued" the first admission wrote meanwhile.
    expect(await store.getJob(req.jobId)).toMatchObject({ state: JobState.Pending });
    expect(submits.get(req.jobId)).toBe(1);
  });

  it("retries a submit the bus refused with the same id by itself", async () => {
    failPublishes = 1;
    const res = await client.submitJob({ topic: "job.echo", prompt: "auto" });
    expect(await store.getJob(res.jobId)).toMatchObject({ state: JobState.Pending });
    await settle();
    expect(submits.get(res.jobId)).toBe(1);
  });

  it("retries a DEADLINE_EXCEEDED submit with the same id: one job, the first call's", async () => {
    slowAdmits = 1;
    const res = await client.submitJob({ topic: "job.echo", prompt: "slow" });
    await new Promise((r) => setTimeout(r, 800)); // the slow first call lands too
    await settle();
    expect(submits.get(res.jobId)).toBe(1);
    expect((await store.events(res.jobId)).map((e) => e.to)).toEqual([JobState.Pending]);
    expect(await store.getJob(res.jobId)).toMatchObject({ traceId: res.traceId, state: JobState.Pending });
  });
});
