/**
 * The LLM client against the Ollama-compatible fixture: real HTTP, real sockets.
 */
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { CortexError, ErrorCode } from "../../src/core/errors.js";
import { createLlmClient, type LlmClient, type PullProgress } from "../../src/llm/index.js";
import { freePort } from "../support/free-port.js";
import {
  DEFAULT_FIXTURE_ANSWER,
  type OllamaFixture,
  startOllamaFixture,
  tokensOf,
} from "../support/ollama-fixture.js";

let fixture: OllamaFixture;

beforeAll(async () => {
  fixture = await startOllamaFixture();
});
afterAll(async () => {
  await fixture.stop();
});
beforeEach(async () => {
  await fixture.setBehaviour({});
  fixture.requests.length = 0;
});

const client = (over: Partial<Parameters<typeof createLlmClient>[0]> = {}): LlmClient =>
  createLlmClient({
    baseUrl: fixture.url,
    model: "llama3",
    retryBaseMs: 5,
    logger: pino({ level: "silent" }),
    ...over,
  });

const user = (content: string) => [{ role: "user" as const, content }];

async function failure(p: Promise<unknown>): Promise<CortexError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CortexError);
    return err as CortexError;
  }
  throw new Error("expected a CortexError");
}

const chatRequests = () => fixture.requests.filter((r) => r.path === "/api/chat");

describe("chat", () => {
  it("answers without streaming, with usage", async () => {
    const res = await client().chat({ messages: user("hi there") });
    expect(res.content).toBe(DEFAULT_FIXTURE_ANSWER);
    expect(res.model).toBe("llama3");
    expect(res.usage.completion_tokens).toBe(tokensOf(DEFAULT_FIXTURE_ANSWER).length);
    expect(res.usage.prompt_tokens).toBe(2);
    expect(res.usage.duration_ms).toBeGreaterThanOrEqual(0);
    expect(chatRequests()).toHaveLength(1);
    expect(chatRequests()[0]?.body).toMatchObject({
      model: "llama3",
      stream: false,
      messages: user("hi there"),
    });
  });

  it("streams tokens in order before it resolves, and the result holds the whole text", async () => {
    const answer = "one two three four five";
    await fixture.setBehaviour({ answer, slowMsPerToken: 30 });
    const seen: { text: string; at: number }[] = [];
    const res = await client().chat({
      messages: user("count"),
      onToken: (text) => seen.push({ text, at: performance.now() }),
    });
    const doneAt = performance.now();
    expect(seen.map((s) => s.text)).toEqual(tokensOf(answer));
    expect(res.content).toBe(answer);
    // the first token arrived well before the answer was complete (5 tokens × 30 ms apart)
    expect(doneAt - (seen[0]?.at ?? doneAt)).toBeGreaterThanOrEqual(80);
    expect(chatRequests()[0]?.body).toMatchObject({ stream: true });
  });

  it("passes a JSON schema as `format` and returns the JSON text", async () => {
    const schema = {
      type: "object",
      properties: { revised_code: { type: "string" } },
      required: ["revised_code"],
    };
    await fixture.setBehaviour({ answer: (req) => JSON.stringify({ revised_code: `// ${req.prompt}` }) });
    const res = await client().chat({ messages: user("fix it"), format: schema });
    expect(JSON.parse(res.content)).toEqual({ revised_code: "// fix it" });
    expect(chatRequests()[0]?.body?.format).toEqual(schema);
  });

  it("uses the request's model over the client's", async () => {
    fixture.models.push("phi3:latest");
    try {
      const res = await client().chat({ model: "phi3", messages: user("x") });
      expect(res.model).toBe("phi3");
      expect(chatRequests()[0]?.body?.model).toBe("phi3");
    } finally {
      fixture.models.splice(fixture.models.indexOf("phi3:latest"), 1);
    }
  });
});

describe("retries", () => {
  it("retries HTTP 503 and then succeeds", async () => {
    await fixture.setBehaviour({ fail503Times: 2 });
    const res = await client({ retries: 3 }).chat({ messages: user("hi") });
    expect(res.content).toBe(DEFAULT_FIXTURE_ANSWER);
    expect(chatRequests()).toHaveLength(3);
  });

  it("gives up after `retries` and reports Ollama as busy", async () => {
    await fixture.setBehaviour({ fail503Times: 10 });
    const err = await failure(client({ retries: 2 }).chat({ messages: user("hi") }));
    expect(err.code).toBe(ErrorCode.LlmUnavailable);
    expect(err.details).toMatchObject({ status: 503, attempts: 3 });
    expect(chatRequests()).toHaveLength(3);
  });

  it("never retries a 4xx", async () => {
    await fixture.setBehaviour({ modelMissing: true });
    const err = await failure(client().chat({ messages: user("hi") }));
    expect(err.code).toBe(ErrorCode.LlmModelMissing);
    expect(chatRequests()).toHaveLength(1);
  });

  it("does not retry once tokens reached the caller", async () => {
    await fixture.setBehaviour({ answer: "a b c d e f", slowMsPerToken: 50 });
    const tokens: string[] = [];
    const call = client({ retries: 3 }).chat({
      messages: user("x"),
      onToken: (t) => {
        tokens.push(t);
        // the server drops the connection mid-answer: transient, but tokens were already shown
        if (tokens.length === 1) void fixture.setBehaviour({ refuse: true });
      },
    });
    const err = await failure(call);
    expect(err.code).toBe(ErrorCode.LlmUnavailable);
    expect(err.details).toMatchObject({ attempts: 1 });
    expect(tokens).toEqual(["a "]);
  });
});

describe("failures", () => {
  it("connection refused → LLM_UNAVAILABLE naming the URL, with the hint", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await failure(
      createLlmClient({ baseUrl: url, model: "llama3", retries: 1, retryBaseMs: 1 }).chat({
        messages: user("x"),
      }),
    );
    expect(err.code).toBe(ErrorCode.LlmUnavailable);
    expect(err.message).toContain(url);
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.hint).toBe("Start Ollama or set OLLAMA_URL; then `cortex pull-model llama3`.");
    expect(err.details).toMatchObject({ attempts: 2, networkCode: "ECONNREFUSED" });
  });

  it("a silent server → LLM_TIMEOUT after the retries", async () => {
    await fixture.setBehaviour({ slowMsPerToken: 400 });
    const before = fixture.abortedRequests();
    const started = performance.now();
    const err = await failure(client({ retries: 1 }).chat({ messages: user("x"), timeoutMs: 100 }));
    expect(err.code).toBe(ErrorCode.LlmTimeout);
    expect(err.message).toContain(fixture.url);
    expect(chatRequests()).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(2_000);
    // each timed-out attempt closed its request
    await fixture.waitForAborted(before + 2);
  });

  it("the timeout is inactivity: a stream that keeps coming is not cut off", async () => {
    await fixture.setBehaviour({ veryLong: 10, slowMsPerToken: 40 });
    const tokens: string[] = [];
    const res = await client({ retries: 0 }).chat({
      messages: user("x"),
      timeoutMs: 250,
      onToken: (t) => tokens.push(t),
    });
    expect(tokens).toHaveLength(10);
    expect(res.content.split(" ")).toHaveLength(10);
  });

  it("a missing model → LLM_MODEL_MISSING with the pull-model hint", async () => {
    const err = await failure(client().chat({ model: "nope", messages: user("x") }));
    expect(err.code).toBe(ErrorCode.LlmModelMissing);
    expect(err.message).toContain('"nope"');
    expect(err.message).toContain(fixture.url);
    expect(err.hint).toContain("cortex pull-model nope");
  });

  it("a malformed answer → LLM_BAD_RESPONSE, streamed or not, and nothing on the console", async () => {
    await fixture.setBehaviour({ malformed: true });
    const warn = vi.spyOn(console, "warn");
    const log = vi.spyOn(console, "log");
    try {
      const single = await failure(client().chat({ messages: user("x") }));
      expect(single.code).toBe(ErrorCode.LlmBadResponse);
      const streamed = await failure(client().chat({ messages: user("x"), onToken: () => {} }));
      expect(streamed.code).toBe(ErrorCode.LlmBadResponse);
      expect(streamed.message).toContain("not JSON");
      expect(warn).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
    expect(chatRequests()).toHaveLength(2);
  });

  it("a very long answer arrives whole", async () => {
    await fixture.setBehaviour({ veryLong: 5_000 });
    let count = 0;
    const res = await client().chat({ messages: user("x"), onToken: () => count++ });
    expect(count).toBe(5_000);
    expect(res.content.endsWith("tok4999")).toBe(true);
    expect(res.usage.completion_tokens).toBe(5_000);
  });
});

describe("cancellation", () => {
  it("aborting a streamed chat closes the HTTP request and rejects with the signal's reason", async () => {
    await fixture.setBehaviour({ veryLong: 100, slowMsPerToken: 50 });
    const before = fixture.abortedRequests();
    const controller = new AbortController();
    const reason = new Error("job cancelled");
    const call = client().chat({
      messages: user("x"),
      signal: controller.signal,
      onToken: () => controller.abort(reason),
    });
    await expect(call).rejects.toBe(reason);
    await fixture.waitForAborted(before + 1);
    expect(chatRequests()).toHaveLength(1);
  });

  it("aborting a single (non-streamed) answer closes the HTTP request too", async () => {
    await fixture.setBehaviour({ slowMsPerToken: 1_000 });
    const before = fixture.abortedRequests();
    const controller = new AbortController();
    const call = client().chat({ messages: user("x"), signal: controller.signal });
    await vi.waitFor(() => expect(chatRequests()).toHaveLength(1), { timeout: 5_000 });
    controller.abort(new Error("stop"));
    await expect(call).rejects.toThrow("stop");
    await fixture.waitForAborted(before + 1);
  });

  it("an already aborted signal sends nothing", async () => {
    const reason = new Error("too late");
    await expect(client().chat({ messages: user("x"), signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(chatRequests()).toHaveLength(0);
  });

  it("aborting during a retry's backoff stops the retries", async () => {
    await fixture.setBehaviour({ fail503Times: 10 });
    const controller = new AbortController();
    const call = client({ retries: 5, retryBaseMs: 10_000 }).chat({
      messages: user("x"),
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(chatRequests()).toHaveLength(1), { timeout: 5_000 });
    controller.abort(new Error("cancelled"));
    await expect(call).rejects.toThrow("cancelled");
    expect(chatRequests()).toHaveLength(1);
  });
});

describe("health", () => {
  it("lists the models and whether the configured one is there (llama3 = llama3:latest)", async () => {
    const h = await client().health();
    expect(h).toEqual({
      url: fixture.url,
      reachable: true,
      models: ["llama3:latest"],
      model: "llama3",
      modelPresent: true,
    });
    expect((await client({ model: "phi3" }).health()).modelPresent).toBe(false);
    expect(fixture.requests.every((r) => r.path === "/api/tags")).toBe(true);
  });

  it("reports an unreachable server without throwing", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const h = await createLlmClient({ baseUrl: url, model: "llama3" }).health();
    expect(h).toMatchObject({ url, reachable: false, models: [], modelPresent: false });
    expect(h.error).toContain(url);
  });
});

describe("pull", () => {
  it("streams progress and ends with success; the model is then listed", async () => {
    const events: PullProgress[] = [];
    await client().pull("tinyllama", { onProgress: (p) => events.push(p) });
    expect(events[0]).toEqual({ status: "pulling manifest" });
    expect(events.at(-1)).toEqual({ status: "success" });
    const layer = events.find((e) => e.total !== undefined);
    expect(layer?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(events.some((e) => e.total !== undefined && e.completed === e.total)).toBe(true);
    expect((await client({ model: "tinyllama" }).health()).modelPresent).toBe(true);
  });

  it("an unknown model → LLM_PULL_FAILED with Ollama's reason", async () => {
    const err = await failure(client().pull("no-such-model", {}));
    expect(err.code).toBe(ErrorCode.LlmPullFailed);
    expect(err.message).toContain("file does not exist");
    expect(err.message).toContain('"no-such-model"');
    expect(fixture.requests.filter((r) => r.path === "/api/pull")).toHaveLength(1);
  });

  it("aborting a pull closes the request", async () => {
    await fixture.setBehaviour({ slowMsPerToken: 200 });
    const before = fixture.abortedRequests();
    const controller = new AbortController();
    const call = client().pull("phi3", { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(call).rejects.toThrow();
    await fixture.waitForAborted(before + 1);
  });
});
