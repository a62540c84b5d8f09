/** pools.yaml against the worker kinds' own pools: only kinds that run are checked. */
import { describe, expect, it } from "vitest";
import { ErrorCode, isCortexError } from "../../../src/core/errors.js";
import { assertWorkerRouting, findRoutingMismatches } from "../../../src/core/routing-check.js";
import { WORKER_KIND_ROUTES, workerKindNames } from "../../../src/core/worker-kinds.js";

/** pools.yaml `topics` exactly as the kinds expect. */
function agreeing(): Record<string, string> {
  const topics: Record<string, string> = {};
  for (const { pool, topics: own } of Object.values(WORKER_KIND_ROUTES))
    for (const t of own) topics[t] = pool;
  return topics;
}

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("worker routing check", () => {
  it("accepts a pools.yaml that routes every kind's topics to its pool", () => {
    expect(findRoutingMismatches(workerKindNames(), agreeing())).toEqual([]);
    expect(() => assertWorkerRouting(workerKindNames(), agreeing(), "/etc/pools.yaml")).not.toThrow();
  });

  it("ignores kinds that do not run, so a pools.yaml may leave them out", () => {
    expect(findRoutingMismatches(["echo"], { "job.echo": "echo" })).toEqual([]);
  });

  it("reports a running kind's topic routed to another pool or missing", () => {
    expect(findRoutingMismatches(["echo", "planner"], { "job.echo": "fast" })).toEqual([
      { kind: "echo", topic: "job.echo", expectedPool: "echo", configuredPool: "fast" },
      { kind: "planner", topic: "job.workflow.plan", expectedPool: "workflow", configuredPool: undefined },
    ]);
  });

  it("throws CONFIG_INVALID naming the pools.yaml in effect, the kind, the topic and the fix", () => {
    const err = thrown(() => assertWorkerRouting(["code-llm"], { "job.code.llm": "gpu" }, "/srv/pools.yaml"));
    expect(isCortexError(err, ErrorCode.ConfigInvalid)).toBe(true);
    if (!isCortexError(err)) return;
    expect(err.message).toBe(
      '/srv/pools.yaml: worker kind "code-llm" consumes job.code.llm in pool "code-llm", but pools.yaml routes it to pool "gpu"',
    );
    expect(err.hint).toContain('"job.code.llm: code-llm"');
    expect(err.hint).toContain("src/core/worker-kinds.ts");
    expect(err.details).toMatchObject({ path: "/srv/pools.yaml", mismatches: [{ kind: "code-llm" }] });
  });

  it("counts further mismatches in the message instead of listing them all", () => {
    const err = thrown(() => assertWorkerRouting(["echo", "chat-simple"], {}, "p.yaml"));
    expect(isCortexError(err) && err.message).toMatch(/\(and 1 more\)$/);
  });

  it("the shipped config/pools.yaml agrees with every kind", async () => {
    const { loadConfig } = await import("../../../src/config/index.js");
    const config = loadConfig({ env: {} });
    expect(findRoutingMismatches(workerKindNames(), config.pools.topics)).toEqual([]);
  });
});
