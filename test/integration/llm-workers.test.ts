/**
 * The LLM workers (chat-advanced, code-llm) in a real WorkerRuntime against real
 * nats-server and redis-server, talking HTTP to the Ollama fixture. The test plays the
 * scheduler: it creates jobs in the store, marks them DISPATCHED, publishes the JobRequest
 * and reads JobResults from sys.job.result and JobProgress from sys.job.progress.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execaSync } from "execa";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Bus } from "../../src/bus/bus.js";
import { newPacket } from "../../src/bus/codec.js";
import { connectNatsBus } from "../../src/bus/nats-bus.js";
import { Subjects } from "../../src/core/subjects.js";
import { type JobProgress, type JobResult, JobStatus } from "../../src/gen/cortex/v1/bus.js";
import { createLlmClient, type LlmClient } from "../../src/llm/index.js";
import type { JobStore } from "../../src/store/job-store.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import { workerKind } from "../../src/workers/registry.js";
import { WorkerRuntime } from "../../src/workers/runtime.js";
import { consumeResults, dispatchJob } from "../support/fake-scheduler.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { DEFAULT_FIXTURE_ANSWER, type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";

const logger = pino({ level: process.env.LOG_LEVEL ?? "silent" });
const prefix = uniquePrefix();

let nats: NatsHandle;
let redis: RedisHandle;
let bus: Bus;
let store: JobStore;
let fixture: OllamaFixture;
let llm: LlmClient;
const runtimes: WorkerRuntime[] = [];

/** Progress and results in arrival order, with the time each arrived. */
type Seen =
  | { type: "progress"; at: number; progress: JobProgress }
  | { type: "result"; at: number; result: JobResult };
const seen: Seen[] = [];
const resultWaiters = new Map<string, (r: JobResult) => void>();

beforeAll(async () => {
  [nats, redis, fixture] = await Promise.all([startNats(), startRedis(), startOllamaFixture()]);
  bus = await connectNatsBus({ url: nats.url, name: "llm-workers-test", logger });
  store = await createRedisStore({ url: redis.url, prefix });
  llm = createLlmClient({ baseUrl: fixture.url, model: "llama3", retryBaseMs: 20, logger });
  await bus.provision();
  await bus.subscribe(Subjects.jobProgress, (packet) => {
    if (packet.payload?.$case === "jobProgress")
      seen.push({ type: "progress", at: Date.now(), progress: packet.payload.jobProgress });
  });
  await consumeResults(bus, (result) => {
    seen.push({ type: "result", at: Date.now(), result });
    resultWaiters.get(result.jobId)?.(result);
  });
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.drain(500)));
  await fixture.setBehaviour({});
});

afterAll(async () => {
  await bus?.close();
  await store?.close();
  await Promise.allSettled([nats?.stop(), redis?.stop(), fixture?.stop()]);
});

/** A runtime of `kind` on its own topic (each test gets fresh queues). */
async function startWorker(kindName: "chat-advanced" | "code-llm", topic: string, timeoutMs = 20_000) {
  const kind = workerKind(kindName);
  const workerId = `${kindName}-test-${runtimes.length}`;
  const runtime = new WorkerRuntime({
    bus,
    store,
    kind: kind.kind,
    pool: kind.pool,
    topics: [topic],
    workerId,
    handler: kind.createHandler({ llm }),
    heartbeatIntervalMs: 1_000,
    ackWaitMs: 5_000,
    timeoutMs,
    logger,
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

/** What the scheduler does: job record, DISPATCHED, JobRequest on the topic. */
function submit(topic: string, context: Record<string, unknown>): Promise<string> {
  return dispatchJob({ bus, store, prefix }, topic, context);
}

function nextResult(jobId: string): Promise<JobResult> {
  const found = seen.find((s) => s.type === "result" && s.result.jobId === jobId);
  if (found?.type === "result") return Promise.resolve(found.result);
  return new Promise((resolve) => resultWaiters.set(jobId, resolve));
}

function progressOf(jobId: string): JobProgress[] {
  return seen.flatMap((s) => (s.type === "progress" && s.progress.jobId === jobId ? [s.progress] : []));
}

async function waitForProgress(jobId: string): Promise<void> {
  for (let i = 0; i < 200 && progressOf(jobId).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
}

function cancel(jobId: string): Promise<void> {
  return bus.publish(
    Subjects.jobCancel,
    newPacket(
      { $case: "jobCancel", jobCancel: { jobId, reason: "user asked" } },
      { traceId: "", senderId: "test" },
    ),
  );
}

const repos: string[] = [];
afterAll(() => {
  for (const r of repos.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A fresh git repo holding `files` and `patch` as change.patch (removed after the file's tests). */
function repoWith(files: Record<string, string>, patch: string): string {
  const repo = mkdtempSync(join(tmpdir(), "cortex-patch-"));
  repos.push(repo);
  execaSync("git", ["init", "-q", repo]);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  writeFileSync(join(repo, "change.patch"), patch);
  return repo;
}

/** `git apply [--check]` in `repo`; throws with git's output when the patch does not apply. */
function gitApply(repo: string, check: boolean): void {
  execaSync("git", ["apply", ...(check ? ["--check"] : []), "change.patch"], { cwd: repo });
}

describe("chat-advanced worker", () => {
  it("answers through Ollama and streams the tokens as progress before the result", async () => {
    const runtime = await startWorker("chat-advanced", "job.test.llm.chat");
    const answer = "Vector clocks order events across processes without a global clock.";
    await fixture.setBehaviour({ answer, slowMsPerToken: 80 });
    const jobId = await submit("job.test.llm.chat", { prompt: "what is a vector clock?" });

    const result = await nextResult(jobId);
    expect(result.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    const doc = (await store.getResult(jobId)) as Record<string, unknown>;
    expect(doc).toEqual({
      job_id: jobId,
      processed_by: runtime.workerId,
      model: "llama3",
      prompt: "what is a vector clock?",
      response: answer,
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        duration_ms: expect.any(Number),
      },
      completed_at: expect.any(String),
    });

    const progress = progressOf(jobId);
    expect(progress.map((p) => p.text).join("")).toBe(answer);
    expect(progress.map((p) => p.seq)).toEqual(progress.map((_, i) => i + 1));
    expect(progress[0]).toMatchObject({
      kind: "token",
      workerId: runtime.workerId,
      topic: "job.test.llm.chat",
      tenant: "acme",
      attempt: 1,
    });
    expect(progress[0]?.traceId).not.toBe("");
    const order = seen.filter((s) =>
      s.type === "progress" ? s.progress.jobId === jobId : s.result.jobId === jobId,
    );
    expect(order.at(-1)?.type).toBe("result");
    // 9 tokens 80 ms apart: the first is out long before the answer is complete.
    const firstAt = order[0]?.at ?? 0;
    const resultAt = order.at(-1)?.at ?? 0;
    expect(resultAt - firstAt).toBeGreaterThan(400);
  });

  it("batches a long answer into far fewer packets than tokens, losing no text", async () => {
    await startWorker("chat-advanced", "job.test.llm.long");
    await fixture.setBehaviour({ veryLong: 2_000 });
    const jobId = await submit("job.test.llm.long", { prompt: "count" });

    expect((await nextResult(jobId)).status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    const response = ((await store.getResult(jobId)) as { response: string }).response;
    expect(response.split(" ")).toHaveLength(2_000);
    const progress = progressOf(jobId);
    expect(progress.map((p) => p.text).join("")).toBe(response);
    expect(progress.length).toBeLessThan(200);
  });

  it("uses the model and system prompt from the context", async () => {
    fixture.models.push("phi3:latest");
    await startWorker("chat-advanced", "job.test.llm.model");
    const jobId = await submit("job.test.llm.model", { prompt: "hi", model: "phi3", system: "be brief" });

    expect((await nextResult(jobId)).status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    expect(await store.getResult(jobId)).toMatchObject({ model: "phi3", response: DEFAULT_FIXTURE_ANSWER });
    const chat = fixture.requests.filter((r) => r.path === "/api/chat").at(-1);
    expect(chat?.body).toMatchObject({
      model: "phi3",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
    });
  });

  it("retries Ollama's 503 and succeeds", async () => {
    await startWorker("chat-advanced", "job.test.llm.busy");
    await fixture.setBehaviour({ fail503Times: 2 });
    const before = fixture.requests.filter((r) => r.path === "/api/chat").length;
    const jobId = await submit("job.test.llm.busy", { prompt: "hello" });

    expect((await nextResult(jobId)).status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    expect(await store.getResult(jobId)).toMatchObject({ response: DEFAULT_FIXTURE_ANSWER });
    expect(fixture.requests.filter((r) => r.path === "/api/chat").length - before).toBe(3);
  });

  it("fails with the URL tried and what to do when Ollama is not there — never a fake answer", async () => {
    const runtime = await startWorker("chat-advanced", "job.test.llm.down");
    await fixture.setBehaviour({ refuse: true });
    const jobId = await submit("job.test.llm.down", { prompt: "hello" });

    const result = await nextResult(jobId);
    expect(result.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(result.errorMessage).toContain(fixture.url);
    expect(await store.getResult(jobId)).toEqual({
      job_id: jobId,
      processed_by: runtime.workerId,
      error: {
        code: "LLM_UNAVAILABLE",
        message: expect.stringContaining(fixture.url),
        hint: expect.stringMatching(/OLLAMA_URL[\s\S]*cortex pull-model llama3/),
      },
    });
  });

  it("fails with `cortex pull-model` as the fix when the model is missing", async () => {
    await startWorker("chat-advanced", "job.test.llm.nomodel");
    const jobId = await submit("job.test.llm.nomodel", { prompt: "hello", model: "mistral" });

    expect((await nextResult(jobId)).status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(await store.getResult(jobId)).toMatchObject({
      error: {
        code: "LLM_MODEL_MISSING",
        message: expect.stringContaining(fixture.url),
        hint: expect.stringContaining("cortex pull-model mistral"),
      },
    });
  });

  it("fails a job without a prompt, naming the field, without asking the model", async () => {
    await startWorker("chat-advanced", "job.test.llm.noprompt");
    const before = fixture.requests.length;
    const jobId = await submit("job.test.llm.noprompt", { text: "no prompt here" });

    const result = await nextResult(jobId);
    expect(result.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(result.errorMessage).toMatch(/"prompt"/);
    expect(fixture.requests.length).toBe(before);
  });

  it("aborts the HTTP request when the attempt times out", async () => {
    await startWorker("chat-advanced", "job.test.llm.timeout", 500);
    await fixture.setBehaviour({ answer: "one two three four five six seven eight", slowMsPerToken: 400 });
    const aborted = fixture.abortedRequests();
    const jobId = await submit("job.test.llm.timeout", { prompt: "slow" });

    const result = await nextResult(jobId);
    expect(result.status).toBe(JobStatus.JOB_STATUS_TIMEOUT);
    await fixture.waitForAborted(aborted + 1);
    expect(await store.getResult(jobId)).toMatchObject({ error: { code: "TIMEOUT" } });
  });

  it("aborts the HTTP request when the job is cancelled", async () => {
    await startWorker("chat-advanced", "job.test.llm.cancel");
    await fixture.setBehaviour({ answer: "a b c d e f g h i j k l m n o p", slowMsPerToken: 300 });
    const aborted = fixture.abortedRequests();
    const jobId = await submit("job.test.llm.cancel", { prompt: "slow" });
    await waitForProgress(jobId);
    expect(progressOf(jobId).length).toBeGreaterThan(0);
    await cancel(jobId);

    const result = await nextResult(jobId);
    expect(result).toMatchObject({ status: JobStatus.JOB_STATUS_CANCELLED, errorMessage: "user asked" });
    await fixture.waitForAborted(aborted + 1);
  });
});

describe("code-llm worker", () => {
  const original = "def add(a, b):\n    return a + b\n\n\nprint(add(2, 3))\n";
  const revised =
    'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n\n\nprint(add(2, 3))\n';

  it("returns a unified diff that git apply accepts, with the model's explanation", async () => {
    const runtime = await startWorker("code-llm", "job.test.code.ok");
    await fixture.setBehaviour({
      answer: JSON.stringify({ revised_code: revised, explanation: "Typed it." }),
    });
    const jobId = await submit("job.test.code.ok", {
      file_path: "calc.py",
      code_snippet: original,
      instruction: "add type hints and a docstring",
      language: "python",
    });

    expect((await nextResult(jobId)).status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    const doc = (await store.getResult(jobId)) as { patch: { type: string; content: string } };
    expect(doc).toEqual({
      job_id: jobId,
      processed_by: runtime.workerId,
      file_path: "calc.py",
      original_code: original,
      instruction: "add type hints and a docstring",
      language: "python",
      patch: {
        type: "unified_diff",
        content: expect.stringMatching(/^--- a\/calc\.py\n\+\+\+ b\/calc\.py\n@@/),
      },
      explanation: "Typed it.",
      model: "llama3",
      usage: expect.objectContaining({ completion_tokens: expect.any(Number) }),
      completed_at: expect.any(String),
    });
    expect(doc.patch.content.endsWith("\n")).toBe(true);
    expect(() => gitApply(repoWith({ "calc.py": original }, doc.patch.content), true)).not.toThrow();

    // Ollama was asked for structured output with the answer's JSON schema.
    const chat = fixture.requests.filter((r) => r.path === "/api/chat").at(-1);
    expect(chat?.body?.format).toMatchObject({ type: "object", required: ["revised_code"] });
    // The model's JSON streamed as progress too.
    expect(progressOf(jobId).length).toBeGreaterThan(0);
  });

  it("builds a patch that applies to a file without a trailing newline (and to a fenced answer)", async () => {
    await startWorker("code-llm", "job.test.code.noeol");
    const noEol = original.trimEnd();
    // The last line changes too, so the hunk has to say "No newline at end of file".
    const wanted = revised.replace("add(2, 3)", "add(20, 30)");
    // The model adds a final newline and wraps the code in a Markdown fence; neither may leak into the patch.
    await fixture.setBehaviour({
      answer: JSON.stringify({ revised_code: `\`\`\`python\n${wanted}\`\`\`` }),
    });
    const jobId = await submit("job.test.code.noeol", {
      file_path: "./src/calc.py",
      code_snippet: noEol,
      instruction: "add type hints",
    });

    expect((await nextResult(jobId)).status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    const doc = (await store.getResult(jobId)) as { file_path: string; patch: { content: string } };
    expect(doc.file_path).toBe("./src/calc.py");
    expect(doc.patch.content).toMatch(/^--- a\/src\/calc\.py\n/);
    expect(doc.patch.content).toContain("\\ No newline at end of file");
    expect(doc.patch.content).not.toContain("```");
    const repo = repoWith({ "src/calc.py": noEol }, doc.patch.content);
    gitApply(repo, true);
    gitApply(repo, false);
    expect(readFileSync(join(repo, "src/calc.py"), "utf8")).toBe(wanted.trimEnd());
  });

  it.each([
    ["the same code", () => JSON.stringify({ revised_code: original }), /unchanged/],
    ["empty code", () => JSON.stringify({ revised_code: "   " }), /empty code/],
    ["JSON without revised_code", () => JSON.stringify({ code: "x" }), /no "revised_code"/],
    ["JSON that is not an object", () => "42", /no "revised_code"/],
  ])("fails with patch.type error when the model answers %s", async (_name, answer, reason) => {
    const topic = `job.test.code.bad${String(Math.random()).slice(2, 8)}`;
    const runtime = await startWorker("code-llm", topic);
    await fixture.setBehaviour({ answer: answer() });
    const jobId = await submit(topic, {
      file_path: "calc.py",
      code_snippet: original,
      instruction: "improve it",
    });

    const result = await nextResult(jobId);
    expect(result.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(result.errorMessage).toMatch(reason);
    expect(await store.getResult(jobId)).toEqual({
      job_id: jobId,
      processed_by: runtime.workerId,
      file_path: "calc.py",
      original_code: original,
      instruction: "improve it",
      patch: { type: "error", content: expect.stringMatching(reason) },
      model: "llama3",
      usage: expect.any(Object),
      error: { code: "LLM_BAD_RESPONSE", message: expect.stringMatching(reason), hint: expect.any(String) },
    });
  });

  it("fails a context without instruction, naming the field, without asking the model", async () => {
    await startWorker("code-llm", "job.test.code.noinstr");
    const before = fixture.requests.length;
    const jobId = await submit("job.test.code.noinstr", { file_path: "calc.py", code_snippet: original });

    const result = await nextResult(jobId);
    expect(result.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(result.errorMessage).toMatch(/"instruction"/);
    expect(await store.getResult(jobId)).toMatchObject({ error: { code: "INVALID_ARGUMENT" } });
    expect(fixture.requests.length).toBe(before);
  });
});
