/**
 * A code-review workflow whose patch step a require_approval rule holds, through the built CLI
 * on each backend: `cortex submit code-review --wait` pauses (the workflow RUNNING, the step held,
 * no model call for it), `cortex approvals` lists the step, `cortex approve` resumes it and the
 * patch comes back; `cortex reject` fails the workflow with the reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApprovalsResult, JobResult } from "../../src/client/json-shapes.js";
import { type CliResult, runCli } from "../support/cli.js";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { reviewAnswer } from "../support/review-model.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const TIMEOUTS = `workflows:
  code_review_demo: { child_timeout_seconds: 30, total_timeout_seconds: 90, max_retries: 1 }
topics:
  job.workflow.demo: { workflow: code_review_demo }
  job.code.llm: { timeout_seconds: 30 }
  job.chat.advanced: { timeout_seconds: 30 }
reconciler: { dispatch_timeout_seconds: 30, running_timeout_seconds: 60, scan_interval_seconds: 2 }
`;

const SAFETY = `default_tenant: default
default_effect: allow
rules:
  - id: hold-patches
    effect: require_approval
    topics: ["job.code.llm"]
    reason: "a person reads every patch first"
`;

const ORIGINAL = "def add(a, b):\n    return a + b\n";
const REVISED = "def add(a: int, b: int) -> int:\n    return a + b\n";

const answer = reviewAnswer({ revised: REVISED, explanation: "It adds type hints." });

let stack: TestStack;
let fixture: OllamaFixture;
let repo: string;

beforeAll(async () => {
  fixture = await startOllamaFixture();
  await fixture.setBehaviour({ answer });
  stack = await startTestStack({
    timeoutsYaml: TIMEOUTS,
    safetyYaml: SAFETY,
    extraEnv: { OLLAMA_URL: fixture.url, USE_PLANNER: "0" },
  });
  const up = await stack.cli(["up", "--json"]);
  expect(up.code, up.stderr).toBe(0);
  repo = mkdtempSync(join(tmpdir(), "cortex-approval-repo-"));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await fixture?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

function review(name: string, instruction: string): Promise<CliResult> {
  writeFileSync(join(repo, name), ORIGINAL);
  const args = ["submit", "code-review", "-file", name, "-instruction", instruction, "--wait", "--json"];
  return runCli(args, stack.env, 90_000, repo);
}

/** The held patch step of the workflow whose instruction is `instruction`, once `cortex approvals` lists it. */
async function heldStep(instruction: string): Promise<{ id: string; workflowId: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await stack.cli(["approvals", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const item = (r.json as ApprovalsResult).approvals.find(
      (a) => JSON.stringify(a.context ?? {}).includes(instruction) && a.job?.topic === "job.code.llm",
    );
    if (item?.job) return { id: String(item.job.job_id), workflowId: String(item.job.workflow_id) };
    if (Date.now() > deadline) throw new Error(`no held step for "${instruction}" after 30 s`);
    await sleep(250);
  }
}

async function job(id: string): Promise<NonNullable<JobResult["job"]>> {
  const r = await stack.cli(["job", id, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return (r.json as JobResult).job as NonNullable<JobResult["job"]>;
}

describe("a code-review workflow with a held patch step", () => {
  it("waits for approval, then the patch comes back", async () => {
    const run = review("calc.py", "add hints please");
    const step = await heldStep("add hints please");
    const modelCalls = fixture.requests.length;
    await sleep(1_500);
    expect(await job(step.id)).toMatchObject({ state: "AWAITING_APPROVAL", attempts: 0 });
    expect((await job(step.workflowId)).state).toBe("RUNNING");
    expect(fixture.requests.length).toBe(modelCalls);

    const ok = await stack.cli(["approve", step.id, "--reason", "read it"]);
    expect(ok.code, ok.stderr).toBe(0);
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const out = r.json as { state: string; result?: { patch?: { content: string } } };
    expect(out.state).toBe("SUCCEEDED");
    expect(out.result?.patch?.content).toContain("+def add(a: int, b: int) -> int:");
  });

  it("a rejection fails the workflow with the reason", async () => {
    const run = review("other.py", "risky rewrite");
    const step = await heldStep("risky rewrite");
    const no = await stack.cli(["reject", step.id, "--reason", "too risky"]);
    expect(no.code, no.stderr).toBe(0);
    const r = await run;
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toContain("too risky");
    expect((await job(step.workflowId)).state).toBe("FAILED");
  });
});
