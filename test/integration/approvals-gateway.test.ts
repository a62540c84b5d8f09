/**
 * ListApprovals and DecideApproval over real gRPC and HTTP with API keys: who sees a held job,
 * who may decide it (its tenant, or the approvers its rule names), and the errors of a
 * decision that comes too late or for other content. The gateway admits inline (a lifecycle
 * with the kernel's policy code) on the embedded store and bus; no worker runs, so an
 * approved job waits SCHEDULED.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/memory-bus.js";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { toCortexError } from "../../src/client/grpc-error.js";
import type { PoolsConfig } from "../../src/config/index.js";
import { ErrorCode } from "../../src/core/errors.js";
import { API_KEY_METADATA } from "../../src/core/grpc-metadata.js";
import { newJobId } from "../../src/core/ids.js";
import type { SafetyPolicy } from "../../src/core/policy.js";
import { JobState } from "../../src/core/states.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import {
  CortexApiClient,
  type DecideApprovalRequest,
  type DecideApprovalResponse,
  type ListApprovalsRequest,
  type ListApprovalsResponse,
} from "../../src/gen/cortex/v1/api.js";
import { JobLifecycle, localPolicy } from "../../src/jobs/index.js";
import { createSqliteStore, type SqliteJobStore } from "../../src/store/sqlite-store.js";
import { httpJson } from "../support/http-api.js";
import { rejection } from "../support/rejection.js";
import { ACME, ADMIN, GLOBEX, keyedClients, TENANT_KEYS } from "../support/tenant-keys.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
/** A key bound to a third tenant, named by the payments rule as an approver. */
const ONCALL = "oncall-key-0123456789abcdef";
const pools: PoolsConfig = { topics: { "job.deploy": "ops", "job.pay": "pay", "job.echo": "echo" } };
const policy: SafetyPolicy = {
  default_effect: "allow",
  default_tenant: "default",
  rules: [
    { id: "deploys", effect: "require_approval", topics: ["job.deploy"], reason: "deploys need a human" },
    {
      id: "payments",
      effect: "require_approval",
      topics: ["job.pay"],
      reason: "finance decides payments",
      approvers: ["globex", "ops-oncall"],
    },
  ],
};

let dir: string;
let store: SqliteJobStore;
let bus: MemoryBus;
let jobs: JobLifecycle;
let gateway: GatewayServer;
let base: string;
const keyed = keyedClients(() => gateway.ports().grpc);
const raws: InstanceType<typeof CortexApiClient>[] = [];

/** The two approval RPCs, called as the generated client does (the typed client has none yet). */
function approvalsApi(apiKey: string) {
  const address = `127.0.0.1:${gateway.ports().grpc}`;
  const raw = new CortexApiClient(address, credentials.createInsecure());
  raws.push(raw);
  const md = () => {
    const m = new Metadata();
    m.set(API_KEY_METADATA, apiKey);
    return m;
  };
  const call = <Res>(invoke: (cb: (err: ServiceError | null, res: Res) => void) => void) =>
    new Promise<Res>((resolve, reject) =>
      invoke((err, res) => (err ? reject(toCortexError(err, address)) : resolve(res))),
    );
  return {
    list: (req: Partial<ListApprovalsRequest> = {}) =>
      call<ListApprovalsResponse>((cb) =>
        raw.listApprovals({ tenant: "", limit: 0, cursor: "", ...req }, md(), cb),
      ),
    decide: (req: Partial<DecideApprovalRequest> & { jobId: string }) =>
      call<DecideApprovalResponse>((cb) =>
        raw.decideApproval({ approve: true, reason: "", contentHash: "", ...req }, md(), cb),
      ),
  };
}

function http<T = Record<string, unknown>>(path: string, key: string, body?: unknown) {
  return httpJson<T>(`${base}${path}`, {
    ...(body === undefined ? {} : { method: "POST", body }),
    headers: { "x-api-key": key },
  });
}

const submit = (client: GatewayClient, topic: string) =>
  client.submitJob({ topic, jobId: `j-${newJobId()}`, prompt: `please ${topic}` });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cortex-approvals-gw-"));
  store = await createSqliteStore({ path: join(dir, "cortex.db") });
  bus = new MemoryBus();
  await bus.provision();
  jobs = new JobLifecycle(
    {
      bus,
      store,
      logger,
      pools,
      timeouts: {
        workflows: {},
        topics: {},
        reconciler: { dispatch_timeout_seconds: 30, running_timeout_seconds: 30, scan_interval_seconds: 5 },
      },
      senderId: "test",
    },
    localPolicy(policy),
  );
  gateway = new GatewayServer({
    bus,
    store,
    logger,
    jobs,
    config: {
      grpcPort: 0,
      httpPort: 0,
      poolTopics: pools.topics,
      apiKey: TENANT_KEYS.apiKey,
      apiKeys: [...TENANT_KEYS.apiKeys, { key: ONCALL, tenant: "initech", name: "ops-oncall" }],
    },
  });
  await gateway.start();
  base = `http://127.0.0.1:${gateway.ports().http}`;
});

afterAll(async () => {
  keyed.closeAll();
  for (const r of raws.splice(0)) r.close();
  await gateway?.stop();
  await jobs?.drain();
  await bus?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("approvals at the gateway", () => {
  it("lists held jobs to their tenant and to the approvers their rule names, with ids each can decide by", async () => {
    const acme = keyed.client(ACME);
    const deploy = await submit(acme, "job.deploy");
    const pay = await submit(acme, "job.pay");
    const plain = await submit(acme, "job.echo");
    expect((await acme.getJob(plain.jobId)).job?.state).toBe(JobState.Scheduled);
    const held = await acme.getJob(deploy.jobId);
    expect(held.job).toMatchObject({ state: JobState.AwaitingApproval });
    expect(held.job?.approval).toMatchObject({
      ruleId: "deploys",
      ruleReason: "deploys need a human",
      decision: "",
    });
    expect(held.job?.waitingReason).toMatch(
      new RegExp(
        `^waiting for approval \\(rule deploys\\) — cortex approve ${deploy.jobId} or cortex reject ${deploy.jobId} --reason …; expires in 2[34]h`,
      ),
    );

    const mine = await approvalsApi(ACME).list();
    const mineIds = mine.approvals.map((a) => a.job?.jobId);
    expect(mineIds).toEqual(expect.arrayContaining([deploy.jobId, pay.jobId]));
    expect(mineIds).not.toContain(plain.jobId);
    // oldest first
    expect(mineIds.indexOf(deploy.jobId)).toBeLessThan(mineIds.indexOf(pay.jobId));
    const item = mine.approvals.find((a) => a.job?.jobId === deploy.jobId);
    expect(JSON.parse(item?.contextJson ?? "")).toEqual({ prompt: "please job.deploy" });

    const storedPay = `acme~${pay.jobId}`;
    for (const key of [GLOBEX, ONCALL]) {
      const theirs = (await approvalsApi(key).list()).approvals.map((a) => a.job?.jobId);
      expect(theirs).toContain(storedPay);
      expect(theirs).not.toContain(`acme~${deploy.jobId}`);
      expect(theirs).not.toContain(deploy.jobId);
    }
    const admin = (await approvalsApi(ADMIN).list({ tenant: "acme" })).approvals.map((a) => a.job?.jobId);
    expect(admin).toEqual(expect.arrayContaining([`acme~${deploy.jobId}`, storedPay]));

    const overHttp = await http<{ approvals: { job: Record<string, unknown>; context: unknown }[] }>(
      "/api/v1/approvals",
      GLOBEX,
    );
    expect(overHttp.status).toBe(200);
    const shown = overHttp.body.approvals.find((a) => a.job.job_id === storedPay);
    expect(shown?.context).toEqual({ prompt: "please job.pay" });
    expect(shown?.job).toMatchObject({
      state: "AWAITING_APPROVAL",
      approval: { rule_id: "payments", approvers: ["globex", "ops-oncall"] },
    });
  });

  it("a key of another tenant cannot decide a job, nor its own when the rule names other approvers", async () => {
    const acme = keyed.client(ACME);
    const deploy = await submit(acme, "job.deploy");
    const pay = await submit(acme, "job.pay");
    const globex = approvalsApi(GLOBEX);
    for (const id of [deploy.jobId, `acme~${deploy.jobId}`]) {
      const err = await rejection(globex.decide({ jobId: id, approve: true }));
      expect(err.code).toBe(ErrorCode.JobNotFound);
    }
    const own = await rejection(approvalsApi(ACME).decide({ jobId: pay.jobId, approve: true }));
    expect(own.code).toBe(ErrorCode.PermissionDenied);
    expect(own.message).toContain("payments");
    const overHttp = await http<{ error: { code: string } }>(`/api/v1/jobs/${pay.jobId}/approve`, ACME, {});
    expect(overHttp).toMatchObject({ status: 403, body: { error: { code: "PERMISSION_DENIED" } } });
    expect((await acme.getJob(pay.jobId)).job?.state).toBe(JobState.AwaitingApproval);

    // The named approver decides by the id it was shown.
    const decided = await globex.decide({ jobId: `acme~${pay.jobId}`, approve: true, reason: "budgeted" });
    expect(decided.job).toMatchObject({ jobId: `acme~${pay.jobId}`, state: JobState.Scheduled });
    expect(decided.job?.approval).toMatchObject({ decision: "approved", decisionReason: "budgeted" });
    expect(decided.job?.approval?.decidedBy).toContain("globex");
    const seen = await acme.getJob(pay.jobId, { includeEvents: true });
    expect(seen.job?.reason).toMatch(/^approved by .*globex.*: budgeted$/);
  });

  it("HTTP approve and reject: JSON body, the same errors (400 without a reason, 409 when too late or stale)", async () => {
    const acme = keyed.client(ACME);
    const a = await submit(acme, "job.deploy");
    const b = await submit(acme, "job.deploy");

    const noReason = await http<{ error: { code: string } }>(`/api/v1/jobs/${a.jobId}/reject`, ACME, {});
    expect(noReason).toMatchObject({ status: 400, body: { error: { code: "INVALID_ARGUMENT" } } });
    const unknownField = await http(`/api/v1/jobs/${a.jobId}/approve`, ACME, { because: "x" });
    expect(unknownField.status).toBe(400);

    const stale = await http<{ error: { code: string; hint: string } }>(
      `/api/v1/jobs/${a.jobId}/approve`,
      ACME,
      {
        reason: "ok",
        content_hash: "f".repeat(64),
      },
    );
    expect(stale).toMatchObject({ status: 409, body: { error: { code: "APPROVAL_STALE" } } });
    expect(stale.body.error.hint).toMatch(/look at the job again/i);

    const hash = (await acme.getJob(a.jobId)).job?.approval?.contentHash;
    const approved = await http<{ job: Record<string, unknown> }>(`/api/v1/jobs/${a.jobId}/approve`, ACME, {
      reason: "ok",
      content_hash: hash,
    });
    expect(approved.status).toBe(200);
    expect(approved.body.job).toMatchObject({
      job_id: a.jobId,
      state: "SCHEDULED",
      approval: { decision: "approved", decision_reason: "ok" },
    });

    const late = await http<{ error: { code: string; message: string } }>(
      `/api/v1/jobs/${a.jobId}/reject`,
      ACME,
      {
        reason: "changed my mind",
      },
    );
    expect(late).toMatchObject({ status: 409, body: { error: { code: "NOT_AWAITING_APPROVAL" } } });
    expect(late.body.error.message).toContain(a.jobId);
    expect(late.body.error.message).not.toContain("acme~");
    const lateGrpc = await rejection(approvalsApi(ACME).decide({ jobId: a.jobId, approve: true }));
    expect(lateGrpc.code).toBe(ErrorCode.NotAwaitingApproval);

    const rejected = await http<{ job: Record<string, unknown> }>(`/api/v1/jobs/${b.jobId}/reject`, ACME, {
      reason: "not today",
    });
    expect(rejected.body.job).toMatchObject({
      state: "DENIED",
      reason: expect.stringMatching(/: not today$/),
    });
    const missing = await http(`/api/v1/jobs/nope-${newJobId()}/approve`, ACME, {});
    expect(missing.status).toBe(404);
  });

  it("cancel works on a held job", async () => {
    const acme = keyed.client(ACME);
    const job = await submit(acme, "job.deploy");
    const out = await acme.cancelJob(job.jobId);
    expect(out).toMatchObject({ cancelled: true, state: JobState.Cancelled });
    const list = await approvalsApi(ACME).list();
    expect(list.approvals.map((x) => x.job?.jobId)).not.toContain(job.jobId);
  });
});
