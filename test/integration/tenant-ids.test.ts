/**
 * Job ids of tenant-bound keys live in their tenant's namespace (issue 14, hardening): another
 * tenant's id answers as a free one, no spelling reaches another tenant's job, and a bound
 * caller only ever sees its own ids. Real gRPC and HTTP on loopback, real NATS and Redis; the
 * gateway runs alone, so the test moves jobs through their states as a worker would.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { ErrorCode } from "../../src/core/errors.js";
import { newJobId } from "../../src/core/ids.js";
import { JobState } from "../../src/core/states.js";
import { Subjects } from "../../src/core/subjects.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import type { JobEvent } from "../../src/gen/cortex/v1/api.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { httpJson, openStream } from "../support/http-api.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";
import { rejection } from "../support/rejection.js";
import { ACME, ADMIN, GLOBEX, keyedClients, TENANT_KEYS } from "../support/tenant-keys.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: RedisJobStore;
let gateway: GatewayServer;
let base: string;
const keyed = keyedClients(() => gateway.ports().grpc);
const grpcClient = (apiKey: string): GatewayClient => keyed.client(apiKey);

function http<T = Record<string, unknown>>(path: string, key: string, body?: unknown) {
  return httpJson<T>(`${base}${path}`, {
    ...(body === undefined ? {} : { method: "POST", body }),
    headers: { "x-api-key": key },
  });
}

/** What a worker does to a job, by its stored id: the events go out on the bus as the feed's would. */
async function runToSuccess(storedId: string): Promise<void> {
  const step = async (to: JobState, extra: Record<string, unknown> = {}) => {
    const out = await store.transition({ jobId: storedId, to, ...extra });
    if (!out.ok) throw new Error(`transition of ${storedId} to ${to} refused`);
    await bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify(out.event)));
  };
  await step(JobState.Scheduled);
  await step(JobState.Running, { incrementAttempts: true, workerId: "w-1" });
  const put = await store.putResult({ jobId: storedId, attempt: 1, workerId: "w-1", result: { ok: true } });
  await step(JobState.Succeeded, { resultPtr: put.resultPtr });
}

/** Events of a stream until one moves `jobId` to `to` (bounded by the client's deadline). */
async function eventsUntil(stream: AsyncIterable<JobEvent>, jobId: string, to: string): Promise<JobEvent[]> {
  const seen: JobEvent[] = [];
  for await (const ev of stream) {
    seen.push(ev);
    if (ev.jobId === jobId && ev.to === to) break;
  }
  return seen;
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  bus = await connectNatsBus({ url: nats.url, name: "tenant-ids-test", logger });
  await bus.provision();
  store = await createRedisStore({ url: redis.url, prefix: uniquePrefix(), logger });
  gateway = new GatewayServer({
    bus,
    store,
    logger,
    config: {
      grpcPort: 0,
      httpPort: 0,
      ...TENANT_KEYS,
    },
  });
  await gateway.start();
  base = `http://127.0.0.1:${gateway.ports().http}`;
});

afterAll(async () => {
  keyed.closeAll();
  await gateway?.stop();
  await store?.close();
  await bus?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

describe("job ids of tenant-bound keys", () => {
  it("another tenant's id is accepted like a free one, and each tenant sees its own job under it", async () => {
    const x = `shared-${newJobId()}`;
    const acme = grpcClient(ACME);
    const globex = grpcClient(GLOBEX);
    const first = await acme.submitJob({ topic: "job.echo", jobId: x, prompt: "from acme" });
    expect(first.jobId).toBe(x);

    const watch = globex.watchEvents({});
    await watch.ready;
    const ws = await openStream(`ws://127.0.0.1:${gateway.ports().http}/api/v1/stream?api_key=${GLOBEX}`);
    try {
      const second = await globex.submitJob({ topic: "job.echo", jobId: x, prompt: "from globex" });
      expect(second.jobId).toBe(x);
      expect(second.traceId).not.toBe(first.traceId);
      await runToSuccess(`globex~${x}`);

      const events = await eventsUntil(watch, x, JobState.Succeeded);
      // The submit's own event, then the three moves: all under the id B gave.
      expect(events.map((e) => e.jobId)).toEqual([x, x, x, x]);
      await ws.next((m) => m.to === JobState.Succeeded);
      expect(ws.messages.map((m) => m.job_id)).toEqual([x, x, x, x]);
    } finally {
      watch.cancel();
      ws.close();
    }

    const mine = await globex.getJob(x, { includeContext: true, includeEvents: true });
    expect(mine.job).toMatchObject({ jobId: x, tenant: "globex", state: JobState.Succeeded });
    expect(JSON.parse(mine.contextJson)).toEqual({ prompt: "from globex" });
    expect(mine.events.map((e) => e.jobId).every((id) => id === x)).toBe(true);
    expect((await globex.getJobStatus(x)).status).toBe(JobState.Succeeded);
    const theirs = await acme.getJob(x, { includeContext: true });
    expect(theirs.job).toMatchObject({ jobId: x, tenant: "acme", state: JobState.Pending });
    expect(JSON.parse(theirs.contextJson)).toEqual({ prompt: "from acme" });

    const overHttp = await http<{ job: { job_id: string; tenant: string } }>(`/api/v1/jobs/${x}`, GLOBEX);
    expect(overHttp.body.job).toMatchObject({ job_id: x, tenant: "globex" });
    const listed = await http<{ jobs: { job_id: string }[] }>("/api/v1/jobs?limit=1000", GLOBEX);
    expect(listed.body.jobs.map((j) => j.job_id)).toContain(x);
    expect(listed.body.jobs.some((j) => j.job_id.includes("~"))).toBe(false);

    // An unbound key sees the stored ids, each in its tenant's namespace.
    const admin = grpcClient(ADMIN);
    expect((await admin.getJob(`acme~${x}`)).job?.tenant).toBe("acme");
    expect((await admin.getJob(`globex~${x}`)).job?.tenant).toBe("globex");
    expect((await rejection(admin.getJob(x))).code).toBe(ErrorCode.JobNotFound);
    const all = (await admin.listJobs({ limit: 1000 })).jobs.map((j) => j.jobId);
    expect(all).toEqual(expect.arrayContaining([`acme~${x}`, `globex~${x}`]));
  });

  it("maps a bound caller's id prefix into its namespace and shows the matches without it", async () => {
    const acme = grpcClient(ACME);
    const globex = grpcClient(GLOBEX);
    const run = newJobId().slice(0, 8);
    await acme.submitJob({ topic: "job.echo", jobId: `${run}-mine` });
    await globex.submitJob({ topic: "job.echo", jobId: `${run}-theirs` });
    const ids = async (c: GatewayClient, idPrefix: string) =>
      (await c.listJobs({ idPrefix })).jobs.map((j) => j.jobId);
    expect(await ids(acme, run)).toEqual([`${run}-mine`]);
    expect(await ids(globex, run)).toEqual([`${run}-theirs`]);
    expect(await ids(globex, "acme~")).toEqual([]);
    expect(await ids(grpcClient(ADMIN), `acme~${run}`)).toEqual([`acme~${run}-mine`]);
    const page = await http<{ jobs: { job_id: string }[] }>(`/api/v1/jobs?id_prefix=${run}`, ACME);
    expect(page.body.jobs.map((j) => j.job_id)).toEqual([`${run}-mine`]);
  });

  it("reaches another tenant's job by no spelling, and names only the id the caller gave", async () => {
    const z = `acme-only-${newJobId()}`;
    await grpcClient(ACME).submitJob({ topic: "job.echo", jobId: z });
    const globex = grpcClient(GLOBEX);
    for (const spelling of [z, `acme~${z}`]) {
      const got = await rejection(globex.getJob(spelling));
      expect(got.code).toBe(ErrorCode.JobNotFound);
      expect(got.message).toBe(`job ${spelling} not found`);
      expect((await rejection(globex.getJobStatus(spelling))).code).toBe(ErrorCode.JobNotFound);
      expect((await rejection(globex.cancelJob(spelling))).code).toBe(ErrorCode.JobNotFound);
      expect((await rejection(globex.watchEvents({ jobId: spelling }).ready)).code).toBe(
        ErrorCode.JobNotFound,
      );
      const path = `/api/v1/jobs/${encodeURIComponent(spelling)}`;
      expect((await http(path, GLOBEX)).status).toBe(404);
      expect((await http(`${path}/cancel`, GLOBEX, {})).status).toBe(404);
    }
    expect((await store.getJob(`acme~${z}`))?.state).toBe(JobState.Pending);
    // A bound caller cannot write into another namespace either: "~" is not a job-id character.
    const forged = await rejection(globex.submitJob({ topic: "job.echo", jobId: `acme~${z}` }));
    expect(forged.code).toBe(ErrorCode.InvalidArgument);
  });

  it("keeps idempotent submit within a tenant: same content answers the job, other content is JOB_EXISTS", async () => {
    const x = `again-${newJobId()}`;
    const acme = grpcClient(ACME);
    const first = await acme.submitJob({ topic: "job.echo", jobId: x, prompt: "one" });
    const again = await acme.submitJob({ topic: "job.echo", jobId: x, prompt: "one" });
    expect(again).toEqual(first);
    const taken = await rejection(acme.submitJob({ topic: "job.echo", jobId: x, prompt: "two" }));
    expect(taken.code).toBe(ErrorCode.JobExists);
    expect(taken.message).toBe(`job id ${x} is already in use`);
    const overHttp = await http<{ job_id: string }>("/api/v1/jobs", ACME, {
      topic: "job.echo",
      job_id: x,
      prompt: "one",
    });
    expect(overHttp.body.job_id).toBe(x);
  });

  it("puts generated and parent ids in the namespace too, and shows them without it", async () => {
    const globex = grpcClient(GLOBEX);
    const parent = await http<{ job_id: string }>("/api/v1/jobs", GLOBEX, { topic: "job.echo" });
    expect(parent.status).toBe(201);
    expect(await store.getJob(`globex~${parent.body.job_id}`)).toBeDefined();
    const child = await globex.submitJob({ topic: "job.echo", parentJobId: parent.body.job_id });
    expect((await store.getJob(`globex~${child.jobId}`))?.parentJobId).toBe(`globex~${parent.body.job_id}`);
    expect((await globex.getJob(child.jobId)).job?.parentJobId).toBe(parent.body.job_id);

    const stream = globex.submitAndWatch({ topic: "job.echo", jobId: `watched-${newJobId()}` });
    const [submitted] = await (async () => {
      for await (const ev of stream) return [ev];
      return [];
    })();
    expect(submitted?.kind).toBe("submitted");
    expect(submitted?.jobId).toMatch(/^watched-/);
    const cancelled = await globex.cancelJob(submitted?.jobId ?? "");
    expect(cancelled).toMatchObject({ jobId: submitted?.jobId, cancelled: true });
  });
});
