/** Cortex's own kinds are worker-SDK definitions, routed by the one table in src/core/worker-kinds.ts. */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../../src/bus/memory-bus.js";
import { isCortexError } from "../../../src/core/errors.js";
import { WORKER_KIND_ROUTES, workerKindNames } from "../../../src/core/worker-kinds.js";
import type { JobLifecycle } from "../../../src/jobs/index.js";
import type { ChatRequest, LlmClient } from "../../../src/llm/index.js";
import { isWorkerDefinition } from "../../../src/sdk/definition.js";
import type { JobStore } from "../../../src/store/job-store.js";
import type { JobInput } from "../../../src/workers/handler.js";
import { type WorkerKindDeps, workerKind } from "../../../src/workers/registry.js";

const asked: ChatRequest[] = [];
const llm: LlmClient = {
  url: "http://127.0.0.1:1",
  model: "m",
  health: () => Promise.reject(new Error("not used")),
  pull: () => Promise.reject(new Error("not used")),
  chat: async (req) => {
    asked.push(req);
    for (const t of ["Hel", "lo"]) req.onToken?.(t);
    return {
      model: "m",
      content: "Hello",
      usage: { prompt_tokens: 1, completion_tokens: 2, duration_ms: 3 },
    };
  },
};
const bus = new MemoryBus();
afterAll(() => bus.close());

const policy = { check: () => Promise.reject(new Error("not used")) };
const DEPS: WorkerKindDeps = {
  echo: {},
  "chat-simple": {},
  "chat-advanced": { llm },
  "code-llm": { llm },
  planner: {
    llm,
    policy,
    pools: { topics: {} },
    allowedTopics: ["job.chat.simple"],
    explainTopic: "job.chat.simple",
  },
  orchestrator: {
    workerId: "w1",
    logger: pino({ level: "silent" }),
    bus,
    store: {} as JobStore,
    jobs: {} as JobLifecycle,
    pools: { topics: {} },
    timeouts: {} as never,
    plan: { allowedTopics: ["job.chat.simple"], explainTopic: "job.chat.simple", usePlanner: false },
    policy,
    metrics: new Registry(),
  },
};

const job = (topic: string, context: Record<string, unknown>, progress: JobInput["progress"]): JobInput => ({
  jobId: "j1",
  traceId: "t1",
  topic,
  attempt: 1,
  context,
  envVars: {},
  tenant: "acme",
  workerId: "w1",
  progress,
});

describe("built-in worker kinds", () => {
  it.each(workerKindNames())(
    "%s is a defineWorker definition with its routing-table pool and topics",
    (name) => {
      const definition = workerKind(name).createDefinition(DEPS[name] as never);
      expect(isWorkerDefinition(definition)).toBe(true);
      expect(definition.pool).toBe(WORKER_KIND_ROUTES[name].pool);
      expect(Object.keys(definition.topics)).toEqual([...WORKER_KIND_ROUTES[name].topics]);
    },
  );

  it("checks a context with the topic's input schema: names the field, shows an example, never asks the model", async () => {
    const handler = workerKind("chat-advanced").createHandler({ llm });
    const before = asked.length;
    const err = await handler(
      job("job.chat.advanced", { text: "no prompt" }, () => undefined),
      new AbortController().signal,
    ).catch((e: unknown) => e);
    expect(isCortexError(err) && err.code).toBe("INVALID_ARGUMENT");
    expect((err as Error).message).toMatch(
      /^job j1: the context has no "prompt" \(job\.chat\.advanced's input schema: prompt: /,
    );
    expect(err).toMatchObject({
      hint: expect.stringContaining('{"prompt":"Explain'),
      details: { field: "prompt" },
    });
    expect(asked.length).toBe(before);
  });

  it("streams the model's tokens as token progress and keeps the result document's shape", async () => {
    const seen: [string, string | undefined][] = [];
    const handler = workerKind("chat-advanced").createHandler({ llm });
    const doc = await handler(
      job("job.chat.advanced", { prompt: "hi" }, (text, kind) => seen.push([text, kind])),
      new AbortController().signal,
    );
    expect(seen).toEqual([
      ["Hel", "token"],
      ["lo", "token"],
    ]);
    expect(doc).toEqual({
      job_id: "j1",
      processed_by: "w1",
      model: "m",
      prompt: "hi",
      response: "Hello",
      usage: { prompt_tokens: 1, completion_tokens: 2, duration_ms: 3 },
      completed_at: expect.any(String),
    });
  });

  it("sends a chat's earlier turns (history) before the prompt, after the system message", async () => {
    const handler = workerKind("chat-advanced").createHandler({ llm });
    const history = [
      { role: "user", content: "What is NATS?" },
      { role: "assistant", content: "A messaging system." },
    ];
    await handler(
      job("job.chat.advanced", { prompt: "And JetStream?", system: "Be brief.", history }, () => undefined),
      new AbortController().signal,
    );
    expect(asked.at(-1)?.messages).toEqual([
      { role: "system", content: "Be brief." },
      ...history,
      { role: "user", content: "And JetStream?" },
    ]);
  });

  it("refuses a history turn with a role other than user or assistant", async () => {
    const handler = workerKind("chat-advanced").createHandler({ llm });
    const err = await handler(
      job(
        "job.chat.advanced",
        { prompt: "hi", history: [{ role: "system", content: "x" }] },
        () => undefined,
      ),
      new AbortController().signal,
    ).catch((e: unknown) => e);
    expect(isCortexError(err) && err.code).toBe("INVALID_ARGUMENT");
  });
});
