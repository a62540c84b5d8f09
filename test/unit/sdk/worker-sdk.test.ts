/** The worker SDK without a stack: definitions, the handler adapter, module loading, routing. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { NO_RETRY_TIMEOUTS } from "../../../src/config/index.js";
import { isCortexError } from "../../../src/core/errors.js";
import { assertUserWorkerRouting } from "../../../src/core/routing-check.js";
import { JobState } from "../../../src/core/states.js";
import { shouldRetry } from "../../../src/jobs/retry-policy.js";
import { defineWorker, NonRetryableError } from "../../../src/sdk/index.js";
import { loadWorkerModule, looksLikeModulePath } from "../../../src/sdk/load-modules.js";
import type { JobInput } from "../../../src/workers/handler.js";
import { sdkJobHandler, servicesUnavailable } from "../../../src/workers/sdk-handler.js";

const dir = mkdtempSync(join(tmpdir(), "cortex-sdk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const job = (topic: string, context: Record<string, unknown>): JobInput => ({
  jobId: "j1",
  traceId: "t1",
  topic,
  attempt: 1,
  context,
  envVars: {},
  tenant: "acme",
  workerId: "w1",
  progress: () => undefined,
});
const run = (def: ReturnType<typeof defineWorker>, j: JobInput) =>
  sdkJobHandler(def, servicesUnavailable("test"))(j, new AbortController().signal);
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("worker SDK", () => {
  it("defineWorker checks pool, concurrency, topics and schemas", () => {
    expect(defineWorker({ pool: "p", topics: { "job.a": () => 1 } }).concurrency).toBe(4);
    for (const bad of [
      { pool: "two words", topics: { "job.a": () => 1 } },
      { pool: "p", concurrency: 0, topics: { "job.a": () => 1 } },
      { pool: "p", topics: {} },
      { pool: "p", topics: { "job..a": () => 1 } },
      { pool: "p", topics: { "job.a": { handler: () => 1, input: {} } } },
    ]) {
      expect(() => defineWorker(bad as never)).toThrow(/defineWorker/);
    }
  });

  it("runs the handler with the context and ctx; the schemas gate input and output", async () => {
    let ran = 0;
    const def = defineWorker({
      pool: "p",
      topics: {
        "job.a": {
          input: z.object({ n: z.number() }),
          output: z.object({ twice: z.number() }),
          handler: (input, ctx) => {
            ran += 1;
            const n = (input as { n: number }).n;
            return n < 0 ? { wrong: true } : { twice: n * 2, tenant: ctx.tenant };
          },
        },
      },
    });
    expect(await run(def, job("job.a", { n: 2 }))).toEqual({ twice: 4 });
    const bad = await rejection(run(def, job("job.a", { n: "x" })));
    expect(isCortexError(bad, "INVALID_ARGUMENT")).toBe(true);
    expect((bad as Error).message).toMatch(/input schema: n: /);
    expect(ran).toBe(1);
    expect(isCortexError(await rejection(run(def, job("job.a", { n: -1 }))), "NON_RETRYABLE")).toBe(true);
  });

  it("NonRetryableError becomes NON_RETRYABLE, which the retry policy never retries", async () => {
    const def = defineWorker({
      pool: "p",
      topics: {
        "job.a": () => {
          throw new NonRetryableError("never");
        },
        "job.b": () => {
          throw new Error("maybe");
        },
      },
    });
    const final = await rejection(run(def, job("job.a", {})));
    expect(isCortexError(final, "NON_RETRYABLE")).toBe(true);
    expect((final as Error).message).toBe("never");
    expect(isCortexError(await rejection(run(def, job("job.b", {}))))).toBe(false);
    const timeouts = {
      ...NO_RETRY_TIMEOUTS,
      topics: { "job.a": { timeout_seconds: 5, max_retries: 3 } },
    } as typeof NO_RETRY_TIMEOUTS;
    expect(shouldRetry(timeouts, "job.a", JobState.Failed, 1, "NON_RETRYABLE")).toBe(false);
    expect(shouldRetry(timeouts, "job.a", JobState.Failed, 1, "HANDLER_ERROR")).toBe(true);
  });

  it("loads a module's definitions, and names the file when it cannot", async () => {
    writeFileSync(join(dir, "bad-export.mjs"), "export default { pool: 'p' };\n");
    writeFileSync(join(dir, "throws.mjs"), "throw new Error('no token');\n");
    const notDef = await rejection(loadWorkerModule(join(dir, "bad-export.mjs")));
    expect(isCortexError(notDef, "CONFIG_INVALID")).toBe(true);
    expect((notDef as Error).message).toContain(join(dir, "bad-export.mjs"));
    const throws = await rejection(loadWorkerModule(join(dir, "throws.mjs")));
    expect((throws as Error).message).toMatch(/throws\.mjs: failed to load: no token/);
    expect(looksLikeModulePath("./h.js")).toBe(true);
    expect(looksLikeModulePath("echo")).toBe(false);
  });

  it("refuses TypeScript on a Node that cannot strip types", async () => {
    writeFileSync(join(dir, "h.ts"), "export default 1;\n");
    const features = process.features as { typescript?: unknown };
    const err = await rejection(loadWorkerModule(join(dir, "h.ts")));
    if (!features.typescript) expect((err as Error).message).toMatch(/cannot load TypeScript/);
  });

  it("a topic pools.yaml does not route to the worker's pool names topic, pools and file", () => {
    const check = (topics: Record<string, string>) => () =>
      assertUserWorkerRouting([{ file: "/m.js", pool: "sum", topics: ["job.s"] }], topics, "/cfg/pools.yaml");
    expect(check({ "job.s": "sum" })).not.toThrow();
    expect(check({})).toThrow(
      /\/cfg\/pools\.yaml: the worker in \/m\.js handles job\.s in pool "sum", but pools\.yaml does not list it/,
    );
    expect(check({ "job.s": "other" })).toThrow(/routes it to pool "other"/);
  });
});
