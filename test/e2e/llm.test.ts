/**
 * The LLM flows end to end: the built CLI against a real daemon (NATS, Redis) whose
 * workers talk to the Ollama fixture — streamed tokens, retries, failures with a fix,
 * timeouts and cancels that close the HTTP request, patches that `git apply` accepts, and
 * `cortex smoke` skipping the LLM flows when Ollama is not there.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execaSync } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventStream } from "../../src/client/gateway-client.js";
import type { SmokeResult } from "../../src/client/json-shapes.js";
import type { SubmitCodeResult } from "../../src/commands/submit/code.js";
import type { JobEvent } from "../../src/gen/cortex/v1/api.js";
import { type CliResult, runCli } from "../support/cli.js";
import { type ModelRequest, type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const TIMEOUTS = `workflows: {}
topics:
  job.echo:
    timeout_seconds: 20
    max_retries: 0
  job.chat.simple:
    timeout_seconds: 20
    max_retries: 0
  job.chat.advanced:
    timeout_seconds: 4
    max_retries: 0
  job.code.llm:
    timeout_seconds: 30
    max_retries: 0
reconciler:
  dispatch_timeout_seconds: 30
  running_timeout_seconds: 60
  scan_interval_seconds: 5
`;

/** The CLI's shape, with the result these workers write. */
type SubmitJson = SubmitCodeResult & {
  result?: Record<string, unknown> & {
    error?: { code: string; message: string; hint?: string };
    patch?: { type: string; content: string };
  };
};

const ORIGINAL_CALC = "def add(a, b):\n    return a + b\n";
const REVISED_CALC = 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n';
const ORIGINAL_TOOL = "import sys\n\nprint(sys.argv)";
const REVISED_TOOL = "import sys\n\nprint(sys.argv[1:])";

/** The code the "model" writes for each file the worker asks about. */
function codeAnswer(req: ModelRequest): string {
  if (req.prompt.includes("File: calc.py"))
    return JSON.stringify({ revised_code: REVISED_CALC, explanation: "Added type hints and a docstring." });
  if (req.prompt.includes("File: tool.py"))
    return JSON.stringify({ revised_code: REVISED_TOOL, explanation: "Drops the program name." });
  return JSON.stringify({ revised_code: ORIGINAL_CALC });
}

describe("LLM workers through the CLI", () => {
  let stack: TestStack;
  let fixture: OllamaFixture;
  let repo: string;

  /** The built CLI run from `cwd` (patch paths are relative to it). */
  function cliIn(cwd: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
    return runCli(args, stack.env, timeoutMs, cwd);
  }

  /** Collects every event of `topic` with its arrival time, from before the job is submitted. */
  async function watchTopic(topic: string) {
    const stream: EventStream = stack.client().watchEvents({ topics: [topic] });
    await stream.ready;
    const events: { at: number; ev: JobEvent }[] = [];
    const listeners = new Set<() => void>();
    const loop = (async () => {
      try {
        for await (const ev of stream) {
          events.push({ at: Date.now(), ev });
          for (const l of listeners) l();
        }
      } catch {
        // cancelled
      }
    })();
    return {
      of: (jobId: string) => events.filter((e) => e.ev.jobId === jobId),
      /** Resolves once an event matching `pred` has arrived. */
      until(pred: (ev: JobEvent) => boolean, timeoutMs = 15_000): Promise<void> {
        return new Promise((resolve, reject) => {
          const check = () => {
            if (!events.some((e) => pred(e.ev))) return;
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            listeners.delete(check);
            reject(new Error("event did not arrive"));
          }, timeoutMs);
          listeners.add(check);
          check();
        });
      },
      async stop() {
        stream.cancel();
        await loop;
      },
    };
  }

  beforeAll(async () => {
    fixture = await startOllamaFixture();
    stack = await startTestStack({
      timeoutsYaml: TIMEOUTS,
      extraEnv: { OLLAMA_URL: fixture.url, OLLAMA_MODEL: "llama3" },
    });
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    repo = mkdtempSync(join(tmpdir(), "cortex-e2e-repo-"));
    execaSync("git", ["init", "-q", repo]);
    writeFileSync(join(repo, "calc.py"), ORIGINAL_CALC);
    writeFileSync(join(repo, "tool.py"), ORIGINAL_TOOL);
  });

  afterAll(async () => {
    await stack?.stop();
    await fixture?.stop();
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it("chat-advanced answers with the model's text; tokens stream as progress well before the result", async () => {
    const answer = "Raft elects a leader, replicates a log, and commits entries once a majority has them.";
    await fixture.setBehaviour({ answer, slowMsPerToken: 70 });
    const watch = await watchTopic("job.chat.advanced");
    const r = await stack.cli(["submit", "chat-advanced", "explain raft", "--wait", "--json"]);
    await watch.stop();

    expect(r.code, r.stderr).toBe(0);
    const out = r.json as SubmitJson;
    expect(out.state).toBe("SUCCEEDED");
    expect(out.result).toMatchObject({
      job_id: out.job_id,
      model: "llama3",
      prompt: "explain raft",
      response: answer,
      usage: { prompt_tokens: expect.any(Number), completion_tokens: 15, duration_ms: expect.any(Number) },
      completed_at: expect.any(String),
    });

    const events = watch.of(out.job_id);
    const tokens = events.filter((e) => e.ev.kind === "token");
    const terminal = events.findIndex((e) => e.ev.to === "SUCCEEDED");
    expect(tokens.map((e) => e.ev.text).join("")).toBe(answer);
    expect(terminal).toBeGreaterThan(-1);
    const lastToken = events.findLastIndex((e) => e.ev.kind === "token");
    expect(lastToken).toBeLessThan(terminal);
    // 15 tokens 70 ms apart: the first is on screen about a second before the answer is done.
    const firstAt = tokens[0]?.at ?? 0;
    expect((events[terminal]?.at ?? 0) - firstAt).toBeGreaterThan(500);
  });

  it("--wait without --json prints the answer on stdout and the states on stderr", async () => {
    await fixture.setBehaviour({ answer: "Short and sweet.", slowMsPerToken: 20 });
    const r = await stack.cli(["submit", "chat-advanced", "be brief", "--wait"]);
    expect(r.code, r.stderr).toBe(0);
    // Streamed live, exactly once, with no state line mixed in.
    expect(r.stdout).toBe("Short and sweet.\n");
    expect(r.stderr).not.toMatch(/incomplete/);
    expect(r.stderr).toMatch(/RUNNING/);
    expect(r.stderr).toMatch(/SUCCEEDED/);
    expect(r.stderr).toMatch(/llama3 · \d+ prompt \+ 3 completion tokens/);
  });

  it("Ollama's 503 is retried and the job succeeds", async () => {
    await fixture.setBehaviour({ fail503Times: 2, answer: "after the storm" });
    const r = await stack.cli(["submit", "chat-advanced", "hello", "--wait", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as SubmitJson).result?.response).toBe("after the storm");
  });

  it("with Ollama down the job FAILs with the URL and the fix, and smoke skips the LLM flows", async () => {
    await fixture.setBehaviour({ refuse: true });
    try {
      const r = await stack.cli(["submit", "chat-advanced", "hello", "--wait", "--json"]);
      expect(r.code).toBe(1);
      const out = r.json as SubmitJson;
      expect(out.state).toBe("FAILED");
      expect(out.reason).toContain(fixture.url);
      expect(out.result?.error).toMatchObject({
        code: "LLM_UNAVAILABLE",
        message: expect.stringContaining(fixture.url),
        hint: expect.stringMatching(/OLLAMA_URL[\s\S]*cortex pull-model llama3/),
      });
      expect(out.result).not.toHaveProperty("response");

      const human = await stack.cli(["submit", "chat-advanced", "hello", "--wait"]);
      expect(human.code).toBe(1);
      expect(human.stderr).toContain(`FAILED: cannot reach Ollama at ${fixture.url}`);
      expect(human.stderr).toMatch(/cortex pull-model llama3/);

      const smoke = await stack.cli(["smoke", "--json"]);
      expect(smoke.code, smoke.stdout).toBe(0);
      const checks = (smoke.json as SmokeResult).checks;
      expect(checks.find((c) => c.name === "echo")?.outcome).toBe("pass");
      for (const name of ["chat-advanced", "code-llm"]) {
        const check = checks.find((c) => c.name === name);
        expect(check?.outcome).toBe("skip");
        expect(check?.detail).toContain(fixture.url);
      }
      // The text says the same word as the JSON.
      const text = await stack.cli(["smoke"]);
      expect(text.code, text.stdout).toBe(0);
      expect(`${text.stdout}${text.stderr}`).toMatch(/chat-advanced\b.*\bskip\b/);
      expect(`${text.stdout}${text.stderr}`).not.toContain("skipped");
    } finally {
      await fixture.setBehaviour({});
    }
  });

  it("a slow answer past the topic's timeout ends TIMEOUT and the HTTP request is closed", async () => {
    await fixture.setBehaviour({
      answer: Array.from({ length: 30 }, (_, i) => `w${i}`).join(" "),
      slowMsPerToken: 500,
    });
    const aborted = fixture.abortedRequests();
    const r = await stack.cli(["submit", "chat-advanced", "take your time", "--wait", "--json"]);
    expect(r.code).toBe(1);
    expect((r.json as SubmitJson).state).toBe("TIMEOUT");
    await fixture.waitForAborted(aborted + 1, 10_000);
  });

  it("`cortex cancel` on a running LLM job closes the HTTP request to Ollama", async () => {
    await fixture.setBehaviour({
      answer: Array.from({ length: 60 }, (_, i) => `t${i}`).join(" "),
      slowMsPerToken: 400,
    });
    const aborted = fixture.abortedRequests();
    const watch = await watchTopic("job.code.llm");
    const sub = await stack.client().submitJob({
      topic: "job.code.llm",
      contextJson: JSON.stringify({
        file_path: "calc.py",
        code_snippet: ORIGINAL_CALC,
        instruction: "slowly",
      }),
    });
    await watch.until((ev) => ev.jobId === sub.jobId && ev.kind === "token");
    const c = await stack.cli(["cancel", sub.jobId, "--json"]);
    await watch.stop();
    expect(c.json).toMatchObject({ job_id: sub.jobId, cancelled: true });
    await fixture.waitForAborted(aborted + 1, 10_000);
    const job = await stack.cli(["job", sub.jobId, "--json"]);
    expect(job.json).toMatchObject({ job: { state: "CANCELLED" } });
  });

  it("submit code --out writes a patch that git apply accepts", async () => {
    await fixture.setBehaviour({ answer: codeAnswer });
    const r = await cliIn(repo, [
      "submit",
      "code",
      "--file",
      "calc.py",
      "--instruction",
      "add type hints and a docstring",
      "--out",
      "calc.patch",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json as SubmitJson;
    expect(out).toMatchObject({ state: "SUCCEEDED", patch_file: "calc.patch" });
    expect(out.result).toMatchObject({
      file_path: "calc.py",
      original_code: ORIGINAL_CALC,
      instruction: "add type hints and a docstring",
      language: "python",
      patch: { type: "unified_diff" },
      model: "llama3",
    });
    execaSync("git", ["apply", "--check", "calc.patch"], { cwd: repo });
  });

  it("submit code --wait prints the plain diff when piped, and it applies to a file without a final newline", async () => {
    await fixture.setBehaviour({ answer: codeAnswer });
    const r = await cliIn(repo, [
      "submit",
      "code",
      "--file",
      "tool.py",
      "--instruction",
      "skip argv[0]",
      "--wait",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^--- a\/tool\.py\n\+\+\+ b\/tool\.py\n@@/);
    expect(r.stdout).not.toContain("\u001b[");
    expect(r.stdout).toContain("\\ No newline at end of file");
    expect(r.stderr).toContain("Drops the program name.");
    // The model's code streamed live to stderr as text, even for a job this fast (the watch is open before the submit).
    expect(r.stderr).toContain("print(sys.argv[1:])");
    expect(r.stderr).not.toContain('{"revised_code":');
    writeFileSync(join(repo, "tool.patch"), r.stdout);
    execaSync("git", ["apply", "--check", "tool.patch"], { cwd: repo });
  });

  it("an unusable answer (the code unchanged) FAILs with patch.type error", async () => {
    await fixture.setBehaviour({ answer: JSON.stringify({ revised_code: ORIGINAL_CALC }) });
    const r = await cliIn(repo, [
      "submit",
      "code",
      "--file",
      "calc.py",
      "--instruction",
      "do nothing",
      "--wait",
      "--json",
    ]);
    expect(r.code).toBe(1);
    const out = r.json as SubmitJson;
    expect(out.state).toBe("FAILED");
    expect(out.result?.patch).toEqual({ type: "error", content: expect.stringMatching(/unchanged/) });
    expect(out.result?.error?.code).toBe("LLM_BAD_RESPONSE");
  });

  it("submit code refuses a missing file before submitting anything (exit 2)", async () => {
    const r = await cliIn(repo, ["submit", "code", "--file", "nope.py", "--instruction", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/file not found: nope\.py/);
  });

  it("smoke passes the LLM flows when Ollama answers", async () => {
    await fixture.setBehaviour({});
    const smoke = await stack.cli(["smoke", "--json"]);
    expect(smoke.code, smoke.stdout).toBe(0);
    const out = smoke.json as SmokeResult;
    expect(out.ok).toBe(true);
    expect(out.checks.find((c) => c.name === "chat-advanced")?.outcome).toBe("pass");
    expect(out.checks.find((c) => c.name === "code-llm")?.outcome).toBe("pass");
  });
});
