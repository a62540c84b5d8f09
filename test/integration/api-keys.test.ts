/**
 * API keys on every transport (gRPC, HTTP, WebSocket) and tenant-bound keys, against a
 * real gateway on loopback with real NATS and Redis.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { newPacket } from "../../src/bus/codec.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { ErrorCode } from "../../src/core/errors.js";
import { newTraceId } from "../../src/core/ids.js";
import { heartbeatSubject, Subjects } from "../../src/core/subjects.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { Heartbeat } from "../../src/gen/cortex/v1/bus.js";
import type { JobEventRecord } from "../../src/store/job-store.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { type ApiError, httpJson, openStream, streamRefusal } from "../support/http-api.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";
import { rejection } from "../support/rejection.js";
import { ACME, ADMIN, GLOBEX, keyedClients } from "../support/tenant-keys.js";

const WRONG = "wrong-key-0123456789abcdef";

const logLines: string[] = [];
const logger = pino(
  { level: "debug" },
  {
    write(line: string) {
      logLines.push(line);
    },
  },
);

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: RedisJobStore;
let gateway: GatewayServer;
let base: string;
let wsBase: string;
const keyed = keyedClients(() => gateway.ports().grpc);
const grpcClient = (apiKey: string): GatewayClient => keyed.client(apiKey);

function get<T = Record<string, unknown>>(path: string, key?: string) {
  return httpJson<T>(`${base}${path}`, { headers: key ? { "x-api-key": key } : {} });
}

function post<T = Record<string, unknown>>(path: string, body: unknown, key?: string) {
  return httpJson<T>(`${base}${path}`, { method: "POST", body, headers: key ? { "x-api-key": key } : {} });
}

function publishEvent(ev: Partial<JobEventRecord> & { jobId: string; kind: string }): Promise<void> {
  return bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify({ at: Date.now(), seq: 0, ...ev })));
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  bus = await connectNatsBus({ url: nats.url, name: "api-keys-test", logger });
  await bus.provision();
  store = await createRedisStore({ url: redis.url, prefix: uniquePrefix(), logger });
  gateway = new GatewayServer({
    bus,
    store,
    logger,
    config: {
      grpcPort: 0,
      httpPort: 0,
      apiKey: ADMIN,
      apiKeys: [
        { key: ACME, tenant: "acme", name: "acme-ci" },
        { key: GLOBEX, tenant: "globex" },
      ],
    },
  });
  await gateway.start();
  base = `http://127.0.0.1:${gateway.ports().http}`;
  wsBase = `ws://127.0.0.1:${gateway.ports().http}`;
});

afterAll(async () => {
  keyed.closeAll();
  await gateway?.stop();
  await store?.close();
  await bus?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

describe("a gateway with API keys", () => {
  it("gRPC: rejects a missing or wrong key with UNAUTHENTICATED naming x-api-key, accepts a right one", async () => {
    const missing = await rejection(grpcClient("").listJobs());
    expect(missing.code).toBe(ErrorCode.Unauthenticated);
    expect(missing.message).toMatch(/^missing API key: .*x-api-key/);
    const wrong = await rejection(grpcClient(WRONG).submitJob({ topic: "job.echo" }));
    expect(wrong.code).toBe(ErrorCode.Unauthenticated);
    expect(wrong.message).toMatch(/^wrong API key: .*x-api-key/);
    expect(wrong.message).not.toContain(WRONG);
    const stream = await rejection(grpcClient(WRONG).watchEvents().ready);
    expect(stream.code).toBe(ErrorCode.Unauthenticated);
    for (const key of [ADMIN, ACME, GLOBEX]) {
      expect((await grpcClient(key).listJobs()).jobs).toBeInstanceOf(Array);
    }
  });

  it("HTTP: 401 naming the X-API-Key header for a missing or wrong key; the probes stay open", async () => {
    const missing = await get<ApiError>("/api/v1/jobs");
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(missing.body.error.message).toContain("X-API-Key header");
    const wrong = await post<ApiError>("/api/v1/jobs", { topic: "job.echo" }, WRONG);
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain(WRONG);
    // A key in the query string is not accepted for REST calls (it would end up in access logs).
    expect((await get(`/api/v1/jobs?api_key=${ADMIN}`)).status).toBe(401);
    expect((await get("/api/v1/workers", ADMIN)).status).toBe(200);
    expect((await get("/health")).status).toBe(200);
    expect((await get("/ready")).status).toBe(200);
  });

  it("WebSocket: 401 before upgrading without ?api_key= or with a wrong one; opens with a right one", async () => {
    const missing = await streamRefusal(`${wsBase}/api/v1/stream`);
    expect(missing.status).toBe(401);
    expect(missing.body.error.message).toContain("?api_key=");
    const wrong = await streamRefusal(`${wsBase}/api/v1/stream?api_key=${WRONG}`);
    expect(wrong.status).toBe(401);
    const byQuery = await openStream(`${wsBase}/api/v1/stream?api_key=${ADMIN}`);
    byQuery.close();
    const byHeader = await openStream(`${wsBase}/api/v1/stream`, { "x-api-key": GLOBEX });
    byHeader.close();
  });
});

describe("a key bound to a tenant", () => {
  it("submits as its tenant and may not name another", async () => {
    const acme = grpcClient(ACME);
    const { jobId } = await acme.submitJob({ topic: "job.echo" });
    // Stored in the tenant's namespace (tenant-ids.ts); the caller sees its own id.
    expect((await store.getJob(`acme~${jobId}`))?.tenant).toBe("acme");
    const same = await post<{ job_id: string }>("/api/v1/jobs", { topic: "job.echo", tenant: "acme" }, ACME);
    expect(same.status).toBe(201);

    const denied = await rejection(acme.submitJob({ topic: "job.echo", tenant: "globex" }));
    expect(denied.code).toBe(ErrorCode.PermissionDenied);
    const viaEnv = await rejection(acme.submitJob({ topic: "job.echo", envVars: { tenant_id: "globex" } }));
    expect(viaEnv.code).toBe(ErrorCode.PermissionDenied);
    const http = await post<ApiError>("/api/v1/jobs", { topic: "job.echo", tenant: "globex" }, ACME);
    expect(http.status).toBe(403);
    expect(http.body.error).toMatchObject({
      code: "PERMISSION_DENIED",
      message: expect.stringMatching(/^tenant: /),
    });
    // The unbound admin key acts for anyone.
    expect((await post("/api/v1/jobs", { topic: "job.echo", tenant: "globex" }, ADMIN)).status).toBe(201);
  });

  it("cannot read, list, cancel or trace another tenant's job: it is not found", async () => {
    const traceId = newTraceId();
    const { jobId } = await grpcClient(ACME).submitJob({ topic: "job.echo", traceId });
    const globex = grpcClient(GLOBEX);

    expect((await rejection(globex.getJob(jobId))).code).toBe(ErrorCode.JobNotFound);
    expect((await rejection(globex.getJobStatus(jobId))).code).toBe(ErrorCode.JobNotFound);
    expect((await rejection(globex.cancelJob(jobId))).code).toBe(ErrorCode.JobNotFound);
    expect((await store.getJob(`acme~${jobId}`))?.state).toBe("PENDING");
    expect((await get<ApiError>(`/api/v1/jobs/${jobId}`, GLOBEX)).status).toBe(404);
    expect((await post<ApiError>(`/api/v1/jobs/${jobId}/cancel`, {}, GLOBEX)).status).toBe(404);
    expect((await get<ApiError>(`/api/v1/traces/${traceId}`, GLOBEX)).status).toBe(404);

    const listed = await globex.listJobs({ limit: 1000 });
    expect(listed.jobs.every((j) => j.tenant === "globex")).toBe(true);
    expect((await rejection(globex.listJobs({ tenant: "acme" }))).code).toBe(ErrorCode.PermissionDenied);
    expect((await get<ApiError>("/api/v1/jobs?tenant=acme", GLOBEX)).status).toBe(403);

    // Its own tenant's key and the admin key see it.
    expect((await get(`/api/v1/jobs/${jobId}`, ACME)).status).toBe(200);
    expect((await grpcClient(ADMIN).getJob(`acme~${jobId}`)).job?.tenant).toBe("acme");
    const acmeList = await get<{ jobs: { job_id: string }[] }>("/api/v1/jobs?limit=1000", ACME);
    expect(acmeList.body.jobs.map((j) => j.job_id)).toContain(jobId);
  });

  it("streams only its tenant's events, and may not watch another tenant's job", async () => {
    const { jobId } = await grpcClient(ACME).submitJob({ topic: "job.echo" });
    const refused = await streamRefusal(`${wsBase}/api/v1/stream?api_key=${GLOBEX}&job_id=${jobId}`);
    expect(refused.status).toBe(404);
    expect((await rejection(grpcClient(GLOBEX).watchEvents({ jobId }).ready)).code).toBe(
      ErrorCode.JobNotFound,
    );
    expect((await rejection(grpcClient(GLOBEX).watchEvents({ tenant: "acme" }).ready)).code).toBe(
      ErrorCode.PermissionDenied,
    );

    const ws = await openStream(`${wsBase}/api/v1/stream?api_key=${GLOBEX}`);
    const grpc = grpcClient(GLOBEX).watchEvents();
    await grpc.ready;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const ev of grpc) {
        seen.push(ev.jobId);
        if (ev.jobId === "globex-2") break;
      }
    })();
    try {
      const before = gateway.stats().eventsPublished;
      await publishEvent({ kind: "state", jobId: "acme-1", tenant: "acme", to: "RUNNING" });
      // A worker joining is an event of no tenant: not for a tenant-bound key.
      await bus.publish(
        heartbeatSubject("echo"),
        newPacket(
          { $case: "heartbeat", heartbeat: Heartbeat.fromPartial({ workerId: "w9", pool: "echo" }) },
          { traceId: "", senderId: "w9" },
        ),
      );
      await vi.waitFor(() => expect(gateway.stats().eventsPublished).toBe(before + 2), { timeout: 5_000 });
      await publishEvent({ kind: "state", jobId: "globex-2", tenant: "globex", to: "RUNNING" });
      await ws.next((m) => m.job_id === "globex-2");
      expect(ws.messages.map((m) => m.job_id)).toEqual(["globex-2"]);
      await reading;
      expect(seen).toEqual(["globex-2"]);
    } finally {
      ws.close();
      grpc.cancel();
    }
  });
});

describe("logs", () => {
  it("never contain a key, accepted or rejected", () => {
    expect(logLines.length).toBeGreaterThan(0);
    const all = logLines.join("");
    for (const key of [ADMIN, ACME, GLOBEX, WRONG]) expect(all).not.toContain(key);
  });
});
