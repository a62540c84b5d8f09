/**
 * Workflow deadlines and cancellation, with the planner off (USE_PLANNER=0: the default
 * plan, code-llm then chat-advanced, on the Ollama fixture) and small timeouts: a workflow
 * longer than the reconciler's running timeout completes, a child past the child timeout
 * ends TIMEOUT and fails the parent, and cancelling the parent cancels its running child
 * (the model request is aborted).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TimeoutsConfig } from "../../src/config/index.js";
import { isTerminal, type JobState } from "../../src/core/states.js";
import { scriptedAnswer, startWorkflowStack, type WorkflowStack } from "./workflow-stack.js";

const RUNNING_TIMEOUT_S = 2;
const CHILD_TIMEOUT_S = 5;

const TIMEOUTS: TimeoutsConfig = {
  workflows: {
    code_review_demo: { child_timeout_seconds: CHILD_TIMEOUT_S, total_timeout_seconds: 40, max_retries: 0 },
  },
  topics: {
    "job.workflow.demo": { workflow: "code_review_demo" },
    "job.code.llm": { timeout_seconds: 30 },
    "job.chat.advanced": { timeout_seconds: 30 },
  },
  // grace 0 in the harness: a RUNNING job past 2 s with no entry of its own is timed out
  reconciler: {
    dispatch_timeout_seconds: 20,
    running_timeout_seconds: RUNNING_TIMEOUT_S,
    scan_interval_seconds: 1,
  },
};

const CODE = "def add(a, b):\n    return a + b\n";
let stack: WorkflowStack;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeouts: TIMEOUTS, env: { USE_PLANNER: "0" } });
});

afterEach(async () => {
  await stack.fixture.setBehaviour({ answer: scriptedAnswer(new Map()) });
});

afterAll(async () => {
  await stack?.stop();
});

async function submit(instruction: string): Promise<string> {
  return stack.submitWorkflow({ file_path: "add.py", code_snippet: CODE, instruction });
}

describe("workflow deadlines", () => {
  it("a workflow longer than the reconciler's running timeout still completes", async () => {
    // each model call streams for about 1.5 s: the whole workflow takes over 3 s
    await stack.fixture.setBehaviour({ answer: scriptedAnswer(new Map()), slowMsPerToken: 150 });
    const id = await submit("document the function");
    const parent = await stack.waitTerminal(id);
    expect(parent.state).toBe("SUCCEEDED");
    expect((parent.finishedAt ?? 0) - (parent.startedAt ?? 0)).toBeGreaterThan(
      RUNNING_TIMEOUT_S * 1000 + 500,
    );
    const result = (await stack.store.getResult(id)) as Record<string, unknown>;
    expect(result).toMatchObject({
      plan_source: "default",
      plan_reason: expect.stringContaining("USE_PLANNER"),
    });
    expect(parent.attempts).toBe(1);
  });

  it("a child past its timeout ends TIMEOUT, its model request is aborted and the parent FAILED", async () => {
    await stack.fixture.setBehaviour({ answer: scriptedAnswer(new Map()), slowMsPerToken: 2_000 });
    const abortedBefore = stack.fixture.abortedRequests();
    const id = await submit("never finishes");
    const parent = await stack.waitTerminal(id);
    expect(parent.state).toBe("FAILED");
    expect(parent.reason).toContain('step "patch"');
    const patch = await stack.store.getJob(`${id}-s-patch-1`);
    expect(patch?.state).toBe("TIMEOUT");
    expect(patch?.reason).toContain(`child timeout of ${CHILD_TIMEOUT_S}s`);
    expect(await stack.store.getResult(id)).toMatchObject({
      failed_step: "patch",
      steps: [
        expect.objectContaining({ id: "patch", state: "TIMEOUT" }),
        expect.objectContaining({ id: "explain", state: "SKIPPED" }),
      ],
    });
    await stack.fixture.waitForAborted(abortedBefore + 1, 10_000);
  });
});

describe("cancelling a workflow", () => {
  it("cancels its running children and leaves none running", async () => {
    await stack.fixture.setBehaviour({ answer: scriptedAnswer(new Map()), slowMsPerToken: 2_000 });
    const abortedBefore = stack.fixture.abortedRequests();
    const id = await submit("cancel me");
    await stack.waitForState(`${id}-s-patch-1`, "RUNNING");
    const res = await stack.client.cancelJob(id, "test cancels the workflow");
    expect(res.cancelled).toBe(true);
    expect((await stack.waitTerminal(id)).state).toBe("CANCELLED");
    const child = await stack.waitTerminal(`${id}-s-patch-1`, 10_000);
    expect(child.state).toBe("CANCELLED");
    expect(child.reason).toContain("workflow stopped");
    await stack.fixture.waitForAborted(abortedBefore + 1, 10_000);
    const states = (await stack.traceJobs(id)).map((j) => j.state as JobState);
    expect(states.every(isTerminal)).toBe(true);
    const metrics = await stack.metrics.metrics();
    expect(metrics).toMatch(/workflows_completed_total\{workflow="code_review_demo",status="cancelled"\} 1/);
  });
});
