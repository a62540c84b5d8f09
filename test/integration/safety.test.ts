import { createServer, type Server as NetServer, type Socket } from "node:net";
import { credentials, Server, ServerCredentials, type ServiceError, status } from "@grpc/grpc-js";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { shippedConfigPath } from "../../src/config/package-root.js";
import { loadSafetyFile } from "../../src/config/safety.js";
import { type CortexError, ErrorCode, isCortexError } from "../../src/core/errors.js";
import type { SafetyPolicy } from "../../src/core/policy.js";
import { createSafetyClient, type SafetyClient } from "../../src/daemon/safety/safety-client.js";
import { SafetyKernelServer } from "../../src/daemon/safety/safety-server.js";
import {
  DecisionType,
  type PolicyCheckResponse,
  SafetyKernelClient,
  SafetyKernelService,
} from "../../src/gen/cortex/v1/safety.js";
import { freePort } from "../support/free-port.js";

const logger = pino({ level: "silent" });

/** Things to close after each test, newest first. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startKernel(policy: SafetyPolicy, registry?: Registry): Promise<SafetyKernelServer> {
  const server = new SafetyKernelServer({ policy, logger, port: 0, ...(registry ? { registry } : {}) });
  await server.start();
  cleanups.push(() => server.stop());
  return server;
}

function clientFor(address: string, opts: { timeoutMs?: number; cacheTtlMs?: number } = {}): SafetyClient {
  const client = createSafetyClient({ address, cacheTtlMs: 0, ...opts });
  cleanups.push(() => client.close());
  return client;
}

async function checksServed(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("cortex_safety_checks_total")?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.decision), v.value]));
}

async function expectCortexError(p: Promise<unknown>, code: ErrorCode): Promise<CortexError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCortexError(err, code), `expected CortexError ${code}, got ${String(err)}`).toBe(true);
  return err as CortexError;
}

const customPolicy: SafetyPolicy = {
  default_tenant: "default",
  default_effect: "deny",
  rules: [
    {
      id: "acme-no-llm",
      effect: "deny",
      topics: ["job.code.>"],
      tenants: ["acme"],
      reason: "acme has no LLM quota",
    },
    { id: "default-only-admin", effect: "allow", topics: ["sys.admin.*"], tenants: ["default"] },
    { id: "jobs", effect: "allow", topics: ["job.>"] },
  ],
};

describe("safety kernel with the shipped policy", () => {
  let server: SafetyKernelServer;
  let policy: SafetyPolicy;

  beforeAll(async () => {
    policy = loadSafetyFile(shippedConfigPath("safety.yaml"));
    server = new SafetyKernelServer({ policy, logger, port: 0 });
    await server.start();
  });
  afterAll(() => server?.stop());

  it("listens on a picked port and reports its address", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.address()).toBe(`127.0.0.1:${server.port}`);
  });

  it("denies sys.destroy with the policy's reason and allows job.echo", async () => {
    const client = clientFor(server.address());
    const rule = policy.rules.find((r) => r.topics.includes("sys.destroy"));
    expect(rule?.reason).toBeTruthy();

    const denied = await client.check({ jobId: "j1", topic: "sys.destroy", tenant: "" });
    expect(denied).toEqual({ decision: "DENY", reason: rule?.reason, ruleId: rule?.id });

    const allowed = await client.check({ jobId: "j2", topic: "job.echo" });
    expect(allowed.decision).toBe("ALLOW");
    expect(allowed.ruleId).toBeUndefined();
  });

  it("answers INVALID_ARGUMENT naming the field for an empty topic", async () => {
    const raw = new SafetyKernelClient(server.address(), credentials.createInsecure());
    cleanups.push(() => raw.close());
    const err = await new Promise<ServiceError | null>((resolve) =>
      raw.check({ jobId: "j3", topic: "", tenant: "" }, (e) => resolve(e)),
    );
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/^topic: /);

    const viaClient = await expectCortexError(
      clientFor(server.address()).check({ jobId: "j4", topic: "" }),
      ErrorCode.InvalidArgument,
    );
    expect(viaClient.message).toContain("topic");
  });
});

describe("safety kernel with a custom policy", () => {
  it("applies wildcard and tenant rules, first match wins", async () => {
    const client = clientFor((await startKernel(customPolicy)).address());
    const check = (topic: string, tenant?: string) => client.check({ jobId: "j", topic, tenant });

    await expect(check("job.code.llm", "acme")).resolves.toEqual({
      decision: "DENY",
      reason: "acme has no LLM quota",
      ruleId: "acme-no-llm",
    });
    // `>` matches several tokens, and the tenant-bound deny does not apply to other tenants.
    await expect(check("job.code.llm", "globex")).resolves.toMatchObject({
      decision: "ALLOW",
      ruleId: "jobs",
    });
    await expect(check("job.chat.simple", "acme")).resolves.toMatchObject({
      decision: "ALLOW",
      ruleId: "jobs",
    });
    // `*` matches exactly one token.
    await expect(check("sys.admin.reset", "default")).resolves.toMatchObject({
      decision: "ALLOW",
      ruleId: "default-only-admin",
    });
    await expect(check("sys.admin.reset.all", "default")).resolves.toMatchObject({ decision: "DENY" });
    // No rule matches: the default effect, without a rule id.
    const fallback = await check("other.topic", "acme");
    expect(fallback.decision).toBe("DENY");
    expect(fallback.ruleId).toBeUndefined();
    expect(fallback.reason).not.toBe("");
  });

  it("uses the default tenant when the request names none", async () => {
    const client = clientFor((await startKernel(customPolicy)).address());
    await expect(client.check({ jobId: "j", topic: "sys.admin.reset" })).resolves.toMatchObject({
      decision: "ALLOW",
      ruleId: "default-only-admin",
    });
    await expect(client.check({ jobId: "j", topic: "sys.admin.reset", tenant: "" })).resolves.toMatchObject({
      decision: "ALLOW",
    });
    await expect(
      client.check({ jobId: "j", topic: "sys.admin.reset", tenant: "acme" }),
    ).resolves.toMatchObject({
      decision: "DENY",
    });
  });

  it("counts checks by decision in the registry passed in", async () => {
    const registry = new Registry();
    const client = clientFor((await startKernel(customPolicy, registry)).address());
    await client.check({ jobId: "a", topic: "job.echo" });
    await client.check({ jobId: "b", topic: "nope" });
    await client.check({ jobId: "c", topic: "nope.again" });
    await client.check({ jobId: "d", topic: "" }).catch(() => undefined);
    expect(await checksServed(registry)).toEqual({ allow: 1, deny: 2, invalid: 1 });
  });
});

describe("safety client", () => {
  it("fails with SAFETY_UNAVAILABLE when nothing listens, within the timeout", async () => {
    const port = await freePort();
    const client = clientFor(`127.0.0.1:${port}`, { timeoutMs: 1000 });
    const started = Date.now();
    const err = await expectCortexError(
      client.check({ jobId: "j", topic: "job.echo" }),
      ErrorCode.SafetyUnavailable,
    );
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err.hint).toContain("SAFETY_KERNEL_ADDR");
    expect((err.cause as ServiceError).code).toBe(status.UNAVAILABLE);
  });

  it("fails with SAFETY_UNAVAILABLE when the deadline passes", async () => {
    // A TCP listener that never speaks HTTP/2: the connection hangs until the deadline.
    const sockets: Socket[] = [];
    const silent: NetServer = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as { port: number };
    const client = clientFor(`127.0.0.1:${port}`, { timeoutMs: 300 });
    const started = Date.now();
    const err = await expectCortexError(
      client.check({ jobId: "j", topic: "job.echo" }),
      ErrorCode.SafetyUnavailable,
    );
    expect(Date.now() - started).toBeLessThan(1500);
    expect((err.cause as ServiceError).code).toBe(status.DEADLINE_EXCEEDED);
  });

  it("works again after the kernel stops and starts on the same port", async () => {
    const server = await startKernel(customPolicy);
    const address = server.address();
    const client = clientFor(address, { timeoutMs: 500 });
    await expect(client.check({ jobId: "a", topic: "job.echo" })).resolves.toMatchObject({
      decision: "ALLOW",
    });

    await server.stop();
    await expectCortexError(client.check({ jobId: "b", topic: "job.echo" }), ErrorCode.SafetyUnavailable);

    await server.start();
    expect(server.address()).toBe(address);
    // The long-lived channel reconnects on its own once its (short) reconnect backoff ends.
    const decision = await eventually(() => client.check({ jobId: "c", topic: "job.echo" }), 5000);
    expect(decision.decision).toBe("ALLOW");
  });

  it("answers a repeated (topic, tenant) from its cache without asking the kernel", async () => {
    const registry = new Registry();
    const server = await startKernel(customPolicy, registry);
    const client = clientFor(server.address(), { cacheTtlMs: 60_000 });

    const first = await client.check({ jobId: "a", topic: "job.echo", tenant: "acme" });
    const second = await client.check({ jobId: "b", topic: "job.echo", tenant: "acme" });
    expect(second).toEqual(first);
    expect(await checksServed(registry)).toEqual({ allow: 1 });

    // A different tenant is a different key.
    await client.check({ jobId: "c", topic: "job.echo", tenant: "globex" });
    expect(await checksServed(registry)).toEqual({ allow: 2 });

    // With the cache disabled every check reaches the kernel.
    const uncached = clientFor(server.address(), { cacheTtlMs: 0 });
    await uncached.check({ jobId: "d", topic: "job.echo", tenant: "acme" });
    await uncached.check({ jobId: "e", topic: "job.echo", tenant: "acme" });
    expect(await checksServed(registry)).toEqual({ allow: 4 });
  });

  it("reads a kernel answer without a decision as a deny and does not cache it", async () => {
    // Another kernel implementation that leaves the decision at the wire default (UNSPECIFIED).
    let calls = 0;
    const odd = new Server();
    odd.addService(SafetyKernelService, {
      check: (_call: unknown, cb: (e: null, r: PolicyCheckResponse) => void) => {
        calls += 1;
        cb(null, {
          decision: DecisionType.DECISION_TYPE_UNSPECIFIED,
          reason: "",
          ruleId: "",
          approvers: [],
          expiresAfterMs: 0,
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      odd.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    cleanups.push(() => odd.forceShutdown());
    const client = clientFor(`127.0.0.1:${port}`, { cacheTtlMs: 60_000 });
    await expect(client.check({ jobId: "a", topic: "job.echo" })).resolves.toMatchObject({
      decision: "DENY",
    });
    await client.check({ jobId: "b", topic: "job.echo" });
    expect(calls).toBe(2);
  });
});

/** Retries `fn` until it resolves or `withinMs` passes; the kernel restart has no event to await. */
async function eventually<T>(fn: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
