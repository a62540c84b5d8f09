/**
 * Workflows end to end in one process, real NATS/Redis, the Ollama fixture as the model:
 * the default plan (code-llm patch → chat-advanced explanation), plans the model proposes
 * (rejected ones fall back to the default plan before any step runs), parallel steps,
 * step retries and a step that keeps failing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TimeoutsConfig } from "../../src/config/index.js";
import { parseStepJobId, plannerJobId } from "../../src/core/plan.js";
import { scriptedAnswer, startWorkflowStack, TEST_STEP_TOPIC, type WorkflowStack } from "./workflow-stack.js";

const TIMEOUTS: TimeoutsConfig = {
  workflows: { code_review_demo: { child_timeout_seconds: 20, total_timeout_seconds: 60, max_retries: 1 } },
  topics: {
    "job.workflow.demo": { workflow: "code_review_demo" },
    "job.workflow.plan": { timeout_seconds: 20 },
    "job.code.llm": { timeout_seconds: 20 },
    "job.chat.advanced": { timeout_seconds: 20 },
    [TEST_STEP_TOPIC]: { timeout_seconds: 20 },
  },
  reconciler: { dispatch_timeout_seconds: 20, running_timeout_seconds: 30, scan_interval_seconds: 5 },
};

const CODE = "function add(a, b) {\n  return a + b;\n}\n";

const plans = new Map<string, unknown>();
let stack: WorkflowStack;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeouts: TIMEOUTS });
  await stack.fixture.setBehaviour({ answer: scriptedAnswer(plans) });
});

afterAll(async () => {
  await stack?.stop();
});

/** Runs a workflow whose planner answers `plan`; resolves with the parent's record and result. */
async function run(instruction: string, plan?: unknown) {
  if (plan !== undefined) plans.set(instruction, plan);
  const id = await stack.submitWorkflow({ file_path: "src/add.js", code_snippet: CODE, instruction });
  const parent = await stack.waitTerminal(id);
  const result = (await stack.store.getResult(id)) as Record<string, unknown>;
  const jobs = await stack.traceJobs(id);
  return { id, parent, result, jobs };
}

const stepTopics = (jobs: { jobId: string; topic: string }[], parentId: string) =>
  jobs.filter((j) => parseStepJobId(parentId, j.jobId)).map((j) => j.topic);

describe("the default plan", () => {
  it("patches with code-llm, then explains the patch with chat-advanced", async () => {
    const { id, parent, result, jobs } = await run("add a comment", {
      steps: [{ id: "x", topic: "job.nope" }],
    });
    expect(parent.state).toBe("SUCCEEDED");
    expect(result).toMatchObject({
      file_path: "src/add.js",
      original_code: CODE,
      instruction: "add a comment",
      patch: { type: "unified_diff" },
      plan_source: "default",
      workflow_id: id,
    });
    expect((result.patch as { content: string }).content).toContain("+// reviewed: add a comment");
    // the explain step was prompted with the patch
    expect(result.explanation).toContain("[saw the patch]");
    expect(
      (result.steps as { id: string; state: string; attempts: number }[]).map((s) => [
        s.id,
        s.state,
        s.attempts,
      ]),
    ).toEqual([
      ["patch", "SUCCEEDED", 1],
      ["explain", "SUCCEEDED", 1],
    ]);
    // children carry the workflow, the parent and their step; the explain context holds the patch result
    const explain = jobs.find((j) => j.topic === "job.chat.advanced");
    expect(explain).toMatchObject({ parentJobId: id, workflowId: id, stepIndex: 2, tenant: parent.tenant });
    const ctx = await stack.store.getContext(explain?.jobId ?? "");
    expect(ctx?.dependencies).toMatchObject({ patch: { patch: { type: "unified_diff" } } });
    expect(jobs.find((j) => j.jobId === plannerJobId(id, 1))?.state).toBe("SUCCEEDED");
  });
});

describe("plans from the model", () => {
  const rejected: [string, unknown, RegExp][] = [
    [
      "an unknown topic",
      {
        steps: [
          { id: "a", topic: TEST_STEP_TOPIC },
          { id: "b", topic: "job.unknown" },
        ],
      },
      /job\.unknown/,
    ],
    [
      "sys.destroy (denied by the safety kernel)",
      {
        steps: [
          { id: "a", topic: TEST_STEP_TOPIC },
          { id: "boom", topic: "sys.destroy" },
        ],
      },
      /safety kernel.*sys\.destroy is forbidden/,
    ],
    [
      "a cycle",
      {
        steps: [
          { id: "a", topic: TEST_STEP_TOPIC, depends_on: ["b"] },
          { id: "b", topic: TEST_STEP_TOPIC, depends_on: ["a"] },
        ],
      },
      /cycle/,
    ],
    ["no steps", { steps: [] }, /at least one step/],
  ];
  for (const [what, plan, reason] of rejected) {
    it(`a plan with ${what} is rejected before any step runs; the default plan runs`, async () => {
      const { id, parent, result, jobs } = await run(`rejected: ${what}`, plan);
      expect(parent.state).toBe("SUCCEEDED");
      expect(result.plan_source).toBe("default");
      expect(result.plan_reason).toMatch(reason);
      expect(stepTopics(jobs, id).sort()).toEqual(["job.chat.advanced", "job.code.llm"]);
      expect(stack.calls.filter((c) => c.jobId.startsWith(id))).toEqual([]);
    });
  }

  it("runs independent steps in parallel and passes results to dependents", async () => {
    const key = `par-${Date.now()}`;
    const { id, parent, result } = await run("parallel", {
      steps: [
        { id: "left", topic: TEST_STEP_TOPIC, depends_on: [], input: { key: `${key}-l`, sleep_ms: 1500 } },
        { id: "right", topic: TEST_STEP_TOPIC, depends_on: [], input: { key: `${key}-r`, sleep_ms: 1500 } },
        {
          id: "join",
          topic: TEST_STEP_TOPIC,
          depends_on: ["left", "right"],
          input: { key: `${key}-j`, prompt: "{{steps.left.response}} + {{steps.right.response}}" },
        },
      ],
    });
    expect(parent.state).toBe("SUCCEEDED");
    expect(result.plan_source).toBe("model");
    const call = (suffix: string) => stack.calls.find((c) => c.key === `${key}-${suffix}`);
    const [left, right, join] = [call("l"), call("r"), call("j")];
    // running intervals overlap
    expect(left && right && left.start < right.end && right.start < left.end).toBe(true);
    expect(join?.start).toBeGreaterThanOrEqual(Math.max(left?.end ?? 0, right?.end ?? 0));
    const joinCtx = await stack.store.getContext(`${id}-s-join-1`);
    expect(joinCtx?.prompt).toBe(`done ${key}-l + done ${key}-r`);
    expect(joinCtx?.dependencies).toMatchObject({ left: { response: `done ${key}-l` } });
    expect(joinCtx?.instruction).toBe("parallel");
  });

  it("retries a step that fails once; the workflow succeeds", async () => {
    const key = `flaky-${Date.now()}`;
    const { id, parent, result, jobs } = await run("flaky", {
      steps: [{ id: "flaky", topic: TEST_STEP_TOPIC, depends_on: [], input: { key, fail_times: 1 } }],
    });
    expect(parent.state).toBe("SUCCEEDED");
    expect(result.steps).toEqual([
      expect.objectContaining({ id: "flaky", state: "SUCCEEDED", attempts: 2, job_id: `${id}-s-flaky-2` }),
    ]);
    expect(jobs.find((j) => j.jobId === `${id}-s-flaky-1`)?.state).toBe("FAILED");
  });

  it("a step that always fails ends the parent FAILED naming the step; its dependents never run", async () => {
    const key = `bad-${Date.now()}`;
    const { id, parent, result, jobs } = await run("always failing", {
      steps: [
        { id: "bad", topic: TEST_STEP_TOPIC, depends_on: [], input: { key, fail_times: 99 } },
        { id: "after", topic: TEST_STEP_TOPIC, depends_on: ["bad"], input: { key: `${key}-after` } },
      ],
    });
    expect(parent.state).toBe("FAILED");
    expect(parent.reason).toContain('step "bad"');
    expect(result).toMatchObject({
      workflow_id: id,
      failed_step: "bad",
      error: { code: "WORKFLOW_STEP_FAILED" },
      steps: [
        expect.objectContaining({ id: "bad", state: "FAILED", attempts: 2 }),
        expect.objectContaining({ id: "after", state: "SKIPPED", attempts: 0, job_id: "" }),
      ],
    });
    expect(stepTopics(jobs, id)).toEqual([TEST_STEP_TOPIC, TEST_STEP_TOPIC]);
  });
});

describe("the planner", () => {
  it("returns the default plan, saying why, when the model cannot be reached", async () => {
    await stack.fixture.setBehaviour({ refuse: true });
    try {
      const sub = await stack.client.submitJob({
        topic: "job.workflow.plan",
        contextJson: JSON.stringify({ file_path: "a.js", code_snippet: CODE, instruction: "anything" }),
      });
      const job = await stack.waitTerminal(sub.jobId);
      expect(job.state).toBe("SUCCEEDED");
      const result = (await stack.store.getResult(sub.jobId)) as Record<string, unknown>;
      expect(result).toMatchObject({
        plan_source: "default",
        plan: {
          steps: [
            { id: "patch", topic: "job.code.llm" },
            { id: "explain", topic: "job.chat.advanced" },
          ],
        },
      });
      expect(result.plan_reason).toContain(stack.fixture.url.replace("http://", ""));
    } finally {
      await stack.fixture.setBehaviour({ answer: scriptedAnswer(plans) });
    }
  });
});

describe("metrics", () => {
  it("counts started and completed workflows by status", async () => {
    const text = await stack.metrics.metrics();
    expect(text).toMatch(/cortex_orchestrator_workflows_started_total\{workflow="code_review_demo"\} [1-9]/);
    expect(text).toMatch(
      /cortex_orchestrator_workflows_completed_total\{workflow="code_review_demo",status="succeeded"\} [1-9]/,
    );
    expect(text).toMatch(
      /cortex_orchestrator_workflows_completed_total\{workflow="code_review_demo",status="failed"\} 1/,
    );
    expect(text).toMatch(
      /cortex_orchestrator_workflow_duration_seconds_count\{workflow="code_review_demo"\} [1-9]/,
    );
  });
});
