/**
 * `cortex submit code-review` end to end: the built CLI against a real daemon (NATS, Redis)
 * whose planner, code-llm and chat-advanced workers talk to the Ollama fixture. The patch
 * applies with `git apply --check`, `--apply` changes the file, a file edited while the
 * workflow ran is refused and left intact, and the steps show up live.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execaSync } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodeReviewOutput } from "../../src/cli/code-review.js";
import type { ErrorJson } from "../../src/client/json-shapes.js";
import type { JobEvent } from "../../src/gen/cortex/v1/api.js";
import { type CliResult, runCli } from "../support/cli.js";
import { type ModelRequest, type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { reviewTimeouts } from "../support/review-model.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const TIMEOUTS = reviewTimeouts();

const ORIGINAL = "def add(a, b):\n    return a + b\n";
const REVISED = 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n';
const EXPLANATION = "The function now declares int parameters and return type, and says what it does.";

/** The plan the "model" proposes: the code-review shape, with its own explain prompt. */
const MODEL_PLAN = {
  steps: [
    { id: "patch", topic: "job.code.llm", depends_on: [], input: {} },
    {
      id: "explain",
      topic: "job.chat.advanced",
      depends_on: ["patch"],
      input: { prompt: "Explain for {{workflow.file_path}}:\n{{steps.patch.patch.content}}" },
    },
  ],
};

function answer(req: ModelRequest): string {
  const props = (req.format as { properties?: Record<string, unknown> } | null)?.properties ?? {};
  if ("steps" in props) return JSON.stringify(MODEL_PLAN);
  if ("revised_code" in props) return JSON.stringify({ revised_code: REVISED });
  // the explain prompt must carry the patch
  return req.prompt.includes("+def add(a: int, b: int) -> int:") ? EXPLANATION : "no patch in the prompt";
}

/** The CLI's shape, with the result the code-review workflow writes. */
type ReviewJson = CodeReviewOutput & {
  result?: {
    patch: { type: string; content: string };
    explanation: string;
    original_code: string;
    plan_source: string;
    workflow_id: string;
    steps: { id: string; topic: string; state: string; job_id: string }[];
    error?: { code: string; message: string };
  };
} & Partial<ErrorJson>;

describe("cortex submit code-review", () => {
  let stack: TestStack;
  let fixture: OllamaFixture;
  let repo: string;

  /** The built CLI run from `cwd` (patch paths are relative to it). */
  function cliIn(cwd: string, args: string[], timeoutMs = 90_000): Promise<CliResult> {
    return runCli(args, stack.env, timeoutMs, cwd);
  }

  function file(name: string, content = ORIGINAL): string {
    writeFileSync(join(repo, name), content);
    return name;
  }

  beforeAll(async () => {
    fixture = await startOllamaFixture();
    await fixture.setBehaviour({ answer });
    stack = await startTestStack({ timeoutsYaml: TIMEOUTS, extraEnv: { OLLAMA_URL: fixture.url } });
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    repo = mkdtempSync(join(tmpdir(), "cortex-review-repo-"));
    execaSync("git", ["init", "-q", repo]);
  });

  afterAll(async () => {
    await stack?.stop();
    await fixture?.stop();
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it("works as typed with single-dash flags; the patch passes git apply --check", async () => {
    const name = file("calc.py");
    const r = await cliIn(repo, [
      "submit",
      "code-review",
      "-file",
      name,
      "-instruction",
      "add type hints",
      "-out",
      "fix.patch",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json as ReviewJson;
    expect(out).toMatchObject({ state: "SUCCEEDED", patch_file: "fix.patch" });
    expect(out.result).toMatchObject({
      patch: { type: "unified_diff" },
      explanation: EXPLANATION,
      original_code: ORIGINAL,
      plan_source: "model",
      workflow_id: out.job_id,
    });
    expect(out.result?.steps.map((s) => [s.id, s.topic, s.state])).toEqual([
      ["patch", "job.code.llm", "SUCCEEDED"],
      ["explain", "job.chat.advanced", "SUCCEEDED"],
    ]);
    expect(readFileSync(join(repo, "fix.patch"), "utf8")).toBe(out.result?.patch.content);
    execaSync("git", ["apply", "--check", "fix.patch"], { cwd: repo });
    // the file itself is untouched without --apply
    expect(readFileSync(join(repo, name), "utf8")).toBe(ORIGINAL);
  });

  it("shows the steps live, then the diff and the explanation (--file/--instruction)", async () => {
    const name = file("live.py");
    const r = await cliIn(repo, [
      "submit",
      "workflow",
      "--file",
      name,
      "--instruction",
      "add type hints",
      "--wait",
    ]);
    expect(r.code, r.stderr).toBe(0);
    for (const step of ["plan", "patch", "explain"]) {
      expect(r.stderr).toMatch(new RegExp(`${step}\\s+\\S+\\s+→ RUNNING`));
      expect(r.stderr).toMatch(new RegExp(`${step}\\s+\\S+\\s+→ SUCCEEDED`));
    }
    expect(r.stderr).toContain("plan (model)");
    expect(r.stderr).toContain(EXPLANATION);
    // stdout is the patch alone (plain when piped), so `> fix.patch` works
    expect(r.stdout).toContain(`--- a/${name}`);
    expect(r.stdout).toContain("+def add(a: int, b: int) -> int:");
    expect(r.stdout).not.toContain(EXPLANATION);
  });

  it("--apply changes the file as the patch says", async () => {
    const name = file("apply.py");
    const r = await cliIn(repo, [
      "submit",
      "code-review",
      "-file",
      name,
      "-instruction",
      "add type hints",
      "--apply",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as ReviewJson).applied).toBe(true);
    expect(readFileSync(join(repo, name), "utf8")).toBe(REVISED);
  });

  it("--apply refuses a file edited while the workflow ran and leaves it intact", async () => {
    const name = file("edited.py");
    // slow model answers: time to edit the file while the patch step runs
    await fixture.setBehaviour({ answer, slowMsPerToken: 150 });
    const stream = stack.client().watchEvents({ topics: ["job.code.llm"], states: ["RUNNING"] });
    await stream.ready;
    const running = (async () => {
      for await (const ev of stream as AsyncIterable<JobEvent>) if (ev.to === "RUNNING") return;
    })();
    const cli = cliIn(repo, [
      "submit",
      "code-review",
      "-file",
      name,
      "-instruction",
      "add type hints",
      "--apply",
    ]);
    await running;
    stream.cancel();
    const edited = `${ORIGINAL}\n# edited by hand meanwhile\n`;
    writeFileSync(join(repo, name), edited);
    const r = await cli;
    await fixture.setBehaviour({ answer });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${name} changed since it was sent for review`);
    expect(readFileSync(join(repo, name), "utf8")).toBe(edited);
  });

  it("refuses missing and binary files before submitting anything", async () => {
    const missing = await cliIn(repo, [
      "submit",
      "code-review",
      "-file",
      "nope.py",
      "-instruction",
      "x",
      "--json",
    ]);
    expect(missing.code).toBe(2);
    expect((missing.json as ReviewJson).error?.message).toContain("file not found: nope.py");
    writeFileSync(join(repo, "blob.bin"), Buffer.from([0x89, 0x50, 0x00, 0xff, 0xfe, 0x00]));
    const binary = await cliIn(repo, ["submit", "code-review", "-file", "blob.bin", "-instruction", "x"]);
    expect(binary.code).toBe(2);
    expect(binary.stderr).toMatch(/blob\.bin (is not UTF-8 text|looks binary)/);
  });

  it("serves the workflow metrics on CORTEX_ORCHESTRATOR_METRICS_PORT", async () => {
    const res = await fetch(`http://127.0.0.1:${stack.env.CORTEX_ORCHESTRATOR_METRICS_PORT}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/cortex_orchestrator_workflows_started_total\{workflow="code_review_demo"\} [1-9]/);
    expect(text).toMatch(
      /cortex_orchestrator_workflows_completed_total\{workflow="code_review_demo",status="succeeded"\} [1-9]/,
    );
    expect(text).toContain("cortex_orchestrator_workflow_duration_seconds_bucket");
  });
});
