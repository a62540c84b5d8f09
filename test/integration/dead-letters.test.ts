/**
 * Dead letters end to end below the CLI (issue 14): an invalid submit on sys.job.submit is
 * kept by the scheduler and listed by ListDeadLetters through a real GatewayServer, scoped by
 * API key; RetryDeadLetter refuses one that is still invalid and admits a valid one.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { newPacket } from "../../src/bus/codec.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { CortexError, ErrorCode } from "../../src/core/errors.js";
import { newTraceId } from "../../src/core/ids.js";
import { invalidField } from "../../src/core/job-validation.js";
import { Subjects } from "../../src/core/subjects.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { type SafetyChecker, Scheduler } from "../../src/daemon/scheduler/index.js";
import { JobPriority, type JobRequest } from "../../src/gen/cortex/v1/bus.js";
import { deadLetter } from "../../src/jobs/index.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";
import { ACME, ADMIN, GLOBEX, keyedClients, TENANT_KEYS } from "../support/tenant-keys.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const allowAll: SafetyChecker = { check: async () => ({ decision: "ALLOW", reason: "" }) };

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: RedisJobStore;
let scheduler: Scheduler;
let gateway: GatewayServer;
const keyed = keyedClients(() => gateway.ports().grpc);
const client = (apiKey: string): GatewayClient => keyed.client(apiKey);

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

async function until(what: string, ok: () => Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function failure(p: Promise<unknown>): Promise<CortexError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CortexError);
  return err as CortexError;
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  bus = await connectNatsBus({ url: nats.url, name: "dlq-test", logger });
  await bus.provision();
  store = await createRedisStore({ url: redis.url, prefix: uniquePrefix(), logger });
  scheduler = new Scheduler({
    bus,
    store,
    safety: allowAll,
    pools: { topics: { "job.echo": "echo" } },
    timeouts: {
      workflows: {},
      topics: {},
      reconciler: { dispatch_timeout_seconds: 30, running_timeout_seconds: 30, scan_interval_seconds: 30 },
    },
    metrics: new Registry(),
    logger,
    registryWarmupMs: 0,
  });
  await scheduler.start();
  gateway = new GatewayServer({
    bus,
    store,
    logger,
    config: {
      grpcPort: 0,
      httpPort: 0,
      poolTopics: { "job.echo": "echo" },
      ...TENANT_KEYS,
    },
  });
  await gateway.start();
});

afterAll(async () => {
  keyed.closeAll();
  await gateway?.stop();
  await scheduler?.stop();
  await store?.close();
  await bus?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

describe("dead letters", () => {
  it("lists an invalid bus submit, to admin keys and its tenant's keys only, and refuses its retry", async () => {
    const admin = client(ADMIN);
    const traceId = newTraceId();
    await bus.publishDurable(
      Subjects.jobSubmit,
      newPacket(
        { $case: "jobRequest", jobRequest: request({ jobId: "../../x" }) },
        { traceId, senderId: "v1" },
      ),
    );
    await until("a dead letter", async () => (await admin.listDeadLetters()).letters.length > 0);

    const [letter] = (await admin.listDeadLetters()).letters;
    expect(letter).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "job_id",
      jobId: "../../x",
      topic: "job.echo",
      traceId,
      senderId: "v1",
      tenant: "acme",
      packetKept: true,
    });
    expect((await client(ACME).listDeadLetters()).letters.map((l) => l.id)).toEqual([letter?.id]);
    expect((await client(GLOBEX).listDeadLetters()).letters).toEqual([]);

    const id = letter?.id ?? "";
    const other = await failure(client(GLOBEX).retryDeadLetter(id));
    expect(other.code).toBe(ErrorCode.DeadLetterNotFound);

    const refused = await failure(admin.retryDeadLetter(id));
    expect(refused.code).toBe(ErrorCode.InvalidArgument);
    expect(refused.message).toMatch(/^job_id: /);
    // Still there: nothing was admitted.
    expect(await store.getDeadLetter(id)).toBeDefined();
  });

  it("re-submits a valid letter as a job and deletes the letter", async () => {
    const traceId = newTraceId();
    const packet = newPacket(
      { $case: "jobRequest", jobRequest: request({ jobId: "dlq-fixed-1", contextJson: '{"prompt":"hi"}' }) },
      { traceId, senderId: "v1" },
    );
    // As if its problem had been fixed since (e.g. a larger size limit now).
    const letter = deadLetter(packet, Subjects.jobSubmit, invalidField("env_vars", "too large"), Date.now());
    await store.putDeadLetter(letter);

    const res = await client(ACME).retryDeadLetter(letter.id);
    expect(res).toEqual({ jobId: "dlq-fixed-1", traceId });
    const job = await store.getJob("dlq-fixed-1");
    expect(job).toMatchObject({ tenant: "acme", topic: "job.echo", traceId });
    expect(await store.getContext("dlq-fixed-1")).toEqual({ prompt: "hi" });
    expect(await store.getDeadLetter(letter.id)).toBeUndefined();

    const again = await failure(client(ADMIN).retryDeadLetter(letter.id));
    expect(again.code).toBe(ErrorCode.DeadLetterNotFound);
  });

  it("answers alike over HTTP (snake_case, as the gRPC JSON names)", async () => {
    const base = `http://127.0.0.1:${gateway.ports().http}/api/v1/dead-letters`;
    const list = await fetch(`${base}?limit=10`, { headers: { "x-api-key": ACME } });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { letters: Record<string, unknown>[] };
    expect(body.letters[0]).toMatchObject({ job_id: "../../x", code: "INVALID_ARGUMENT", packet_kept: true });
    const id = String(body.letters[0]?.id);
    const retry = await fetch(`${base}/${id}/retry`, { method: "POST", headers: { "x-api-key": ACME } });
    expect(retry.status).toBe(400);
    expect(await retry.json()).toMatchObject({ error: { code: "INVALID_ARGUMENT" } });
    const hidden = await fetch(base, { headers: { "x-api-key": GLOBEX } });
    expect(((await hidden.json()) as { letters: unknown[] }).letters).toEqual([]);
  });

  it("refuses an id that is not one with INVALID_ARGUMENT", async () => {
    const err = await failure(client(ADMIN).retryDeadLetter("../../x"));
    expect(err.code).toBe(ErrorCode.InvalidArgument);
  });
});
