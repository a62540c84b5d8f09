/**
 * SafetyKernel.Explain over real gRPC, and the gateway's ExplainPolicy / GET /api/v1/policy
 * answered through a remote kernel (SAFETY_KERNEL_ADDR) or from the policy held in process,
 * with tenant-bound keys kept to their own tenant.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/memory-bus.js";
import { createClient } from "../../src/client/index.js";
import { ErrorCode } from "../../src/core/errors.js";
import type { SafetyPolicy } from "../../src/core/policy.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { localPolicySource, remotePolicySource } from "../../src/daemon/gateway/policy-queries.js";
import { createSafetyClient, type SafetyClient } from "../../src/daemon/safety/safety-client.js";
import { SafetyKernelServer } from "../../src/daemon/safety/safety-server.js";
import { DecisionType, SafetyKernelClient } from "../../src/gen/cortex/v1/safety.js";
import { createSqliteStore, type SqliteJobStore } from "../../src/store/sqlite-store.js";
import { httpJson } from "../support/http-api.js";
import { rejection } from "../support/rejection.js";
import { ACME, ADMIN, keyedClients, TENANT_KEYS } from "../support/tenant-keys.js";

const logger = pino({ level: "silent" });

const policy: SafetyPolicy = {
  default_tenant: "default",
  default_effect: "deny",
  rules: [
    { id: "no-destroy", effect: "deny", topics: ["sys.destroy"], reason: "forbidden" },
    {
      id: "prod-deploys",
      effect: "require_approval",
      topics: ["job.deploy.prod"],
      approvers: ["ops"],
      expires_after: "2h",
    },
    { id: "acme-jobs", effect: "allow", topics: ["job.>"], tenants: ["acme"] },
    { id: "globex-jobs", effect: "allow", topics: ["job.>"], tenants: ["globex"] },
  ],
};

let dir: string;
let kernel: SafetyKernelServer;
let safety: SafetyClient;
let bus: MemoryBus;
let store: SqliteJobStore;
let remote: GatewayServer;
let local: GatewayServer;
const remoteKeys = keyedClients(() => remote.ports().grpc);
const localKeys = keyedClients(() => local.ports().grpc);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cortex-policy-explain-"));
  kernel = new SafetyKernelServer({ policy, logger, port: 0 });
  await kernel.start();
  safety = createSafetyClient({ address: kernel.address() });
  bus = new MemoryBus({ logger });
  store = await createSqliteStore({ path: join(dir, "jobs.db"), logger });
  const config = { grpcPort: 0, httpPort: 0, ...TENANT_KEYS };
  remote = new GatewayServer({ bus, store, logger, config, policySource: remotePolicySource(safety) });
  local = new GatewayServer({ bus, store, logger, config, policySource: localPolicySource(policy) });
  await Promise.all([remote.start(), local.start()]);
});

afterAll(async () => {
  remoteKeys.closeAll();
  localKeys.closeAll();
  await Promise.all([remote?.stop(), local?.stop()]);
  safety?.close();
  await kernel?.stop();
  await store?.close();
  await bus?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SafetyKernel.Explain", () => {
  it("answers the deciding rule, its approval terms and the rules checked before it", async () => {
    const e = await safety.explain({ topic: "job.deploy.prod", tenant: "acme" });
    expect(e).toMatchObject({
      tenant: "acme",
      effect: "require_approval",
      defaultApplied: false,
      decision: {
        decision: "REQUIRE_APPROVAL",
        ruleId: "prod-deploys",
        approval: { approvers: ["ops"], expiresAfterMs: 2 * 3_600_000 },
      },
    });
    expect(e.checked.map((c) => [c.ruleId, c.matched])).toEqual([
      ["no-destroy", false],
      ["prod-deploys", true],
    ]);
    expect(e.checked[0]?.why).toBe("topic job.deploy.prod matches none of [sys.destroy]");
  });

  it("names the default when no rule matches, and the default tenant when none is given", async () => {
    const e = await safety.explain({ topic: "job.echo" });
    expect(e).toMatchObject({ tenant: "default", effect: "deny", defaultApplied: true });
    expect(e.decision.ruleId).toBeUndefined();
    expect(e.checked).toHaveLength(4);
    expect(e.checked[2]?.why).toBe("tenant default is not in [acme]");
  });

  it("rejects a bad topic with INVALID_ARGUMENT naming the field", async () => {
    const raw = new SafetyKernelClient(kernel.address(), credentials.createInsecure());
    try {
      const err = await new Promise<ServiceError | null>((resolve) =>
        raw.explain({ topic: "not a topic", tenant: "" }, (e) => resolve(e)),
      );
      expect(err?.code).toBe(status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/^topic: /);
    } finally {
      raw.close();
    }
  });
});

describe.each([
  ["through the remote kernel", () => remoteKeys, () => remote],
  ["from the policy in process", () => localKeys, () => local],
])("gateway ExplainPolicy %s", (_name, keys, gateway) => {
  it("answers over gRPC as the kernel decides", async () => {
    const res = await keys().client(ADMIN).explainPolicy({ topic: "job.echo", tenant: "globex" });
    expect(res).toMatchObject({
      decision: DecisionType.DECISION_TYPE_ALLOW,
      ruleId: "globex-jobs",
      effect: "allow",
      tenant: "globex",
      defaultApplied: false,
    });
    expect(res.checked).toHaveLength(4);
  });

  it("answers the package client's explainPolicy in the policy's own terms", async () => {
    const client = createClient({ address: `127.0.0.1:${gateway().ports().grpc}`, apiKey: ADMIN });
    try {
      await expect(client.explainPolicy({ topic: "job.deploy.prod" })).resolves.toMatchObject({
        tenant: "default",
        effect: "require_approval",
        decision: { decision: "REQUIRE_APPROVAL", ruleId: "prod-deploys", approval: { approvers: ["ops"] } },
      });
    } finally {
      client.close();
    }
  });

  it("keeps a tenant key to its own tenant", async () => {
    const acme = keys().client(ACME);
    await expect(acme.explainPolicy({ topic: "job.echo" })).resolves.toMatchObject({
      tenant: "acme",
      ruleId: "acme-jobs",
    });
    const err = await rejection(acme.explainPolicy({ topic: "job.echo", tenant: "globex" }));
    expect(err).toMatchObject({ code: ErrorCode.PermissionDenied });
  });

  it("rejects a bad topic with INVALID_ARGUMENT", async () => {
    const err = await rejection(keys().client(ADMIN).explainPolicy({ topic: "" }));
    expect(err).toMatchObject({ code: ErrorCode.InvalidArgument });
    expect((err as Error).message).toMatch(/topic/);
  });

  it("answers GET /api/v1/policy/explain", async () => {
    const base = `http://127.0.0.1:${gateway().ports().http}`;
    const res = await httpJson(`${base}/api/v1/policy/explain?topic=job.deploy.prod&tenant=acme`, {
      headers: { "x-api-key": ADMIN },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      topic: "job.deploy.prod",
      tenant: "acme",
      decision: "REQUIRE_APPROVAL",
      effect: "require_approval",
      rule_id: "prod-deploys",
      approvers: ["ops"],
      expires_after_ms: 7_200_000,
      default_applied: false,
    });
    const denied = await httpJson(`${base}/api/v1/policy/explain?topic=job.echo&tenant=globex`, {
      headers: { "x-api-key": ACME },
    });
    expect(denied.status).toBe(403);
    const bad = await httpJson(`${base}/api/v1/policy/explain`, { headers: { "x-api-key": ADMIN } });
    expect(bad.status).toBe(400);
  });
});

describe("GET /api/v1/policy", () => {
  it("shows the rules in force, and a tenant key only those that can apply to it", async () => {
    const base = `http://127.0.0.1:${local.ports().http}`;
    const all = await httpJson<{ rules: { id: string }[] }>(`${base}/api/v1/policy`, {
      headers: { "x-api-key": ADMIN },
    });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ default_tenant: "default", default_effect: "deny" });
    expect(all.body.rules.map((r) => r.id)).toEqual([
      "no-destroy",
      "prod-deploys",
      "acme-jobs",
      "globex-jobs",
    ]);
    const acme = await httpJson<{ rules: { id: string }[] }>(`${base}/api/v1/policy`, {
      headers: { "x-api-key": ACME },
    });
    expect(acme.body.rules.map((r) => r.id)).toEqual(["no-destroy", "prod-deploys", "acme-jobs"]);
  });

  it("says the rules are the remote kernel's when it runs elsewhere", async () => {
    const base = `http://127.0.0.1:${remote.ports().http}`;
    const res = await httpJson<{ error: { code: string; message: string } }>(`${base}/api/v1/policy`, {
      headers: { "x-api-key": ADMIN },
    });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe(ErrorCode.SafetyUnavailable);
    expect(res.body.error.message).toContain("SAFETY_KERNEL_ADDR");
  });
});
