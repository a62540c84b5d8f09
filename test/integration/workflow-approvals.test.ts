/**
 * A workflow step held by a require_approval rule (the default plan's patch step, job.code.llm)
 * pauses the workflow outside its child timeout; an approval resumes it, a rejection fails it
 * at once with the reason (never retried), and cancelling the parent cancels the held step.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TimeoutsConfig } from "../../src/config/index.js";
import type { SafetyConfig } from "../../src/config/safety.js";
import type { Decider } from "../../src/core/approval.js";
import { Subjects } from "../../src/core/subjects.js";
import { scriptedAnswer, startWorkflowStack, type WorkflowStack } from "./workflow-stack.js";

const CHILD_TIMEOUT_S = 3;

const TIMEOUTS: TimeoutsConfig = {
  workflows: {
    code_review_demo: { child_timeout_seconds: CHILD_TIMEOUT_S, total_timeout_seconds: 60, max_retries: 1 },
  },
  topics: {
    "job.workflow.demo": { workflow: "code_review_demo" },
    "job.code.llm": { timeout_seconds: 30 },
    "job.chat.advanced": { timeout_seconds: 30 },
  },
  reconciler: { dispatch_timeout_seconds: 20, running_timeout_seconds: 30, scan_interval_seconds: 1 },
};

const SAFETY: SafetyConfig = {
  default_tenant: "default",
  default_effect: "allow",
  rules: [
    { id: "hold-patch", effect: "require_approval", topics: ["job.code.llm"], reason: "patches need a look" },
  ],
};

const HUMAN: Decider = { name: "reviewer", tenant: undefined, open: true };
const CODE = "def add(a, b):\n    return a + b\n";
let stack: WorkflowStack;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeouts: TIMEOUTS, safety: SAFETY, env: { USE_PLANNER: "0" } });
  await stack.fixture.setBehaviour({ answer: scriptedAnswer(new Map()) });
});

afterAll(async () => {
  await stack?.stop();
});

/** The parent's progress lines as watchers see them. */
async function progressOf(parentId: string): Promise<{ lines: string[]; stop: () => Promise<void> }> {
  const lines: string[] = [];
  const sub = await stack.bus.subscribe(Subjects.jobProgress, (packet) => {
    if (packet.payload?.$case !== "jobProgress") return;
    if (packet.payload.jobProgress.jobId === parentId) lines.push(packet.payload.jobProgress.text);
  });
  return { lines, stop: () => sub.unsubscribe() };
}

async function submitHeld(instruction: string): Promise<{ id: string; patch: string }> {
  const id = await stack.submitWorkflow({ file_path: "add.py", code_snippet: CODE, instruction });
  const patch = `${id}-s-patch-1`;
  await stack.waitForState(patch, "AWAITING_APPROVAL");
  return { id, patch };
}

describe("a workflow step that needs approval", () => {
  it("pauses the workflow past the child timeout, and an approval resumes it", async () => {
    const id = await stack.submitWorkflow({
      file_path: "add.py",
      code_snippet: CODE,
      instruction: "document it",
    });
    const progress = await progressOf(id);
    const patch = `${id}-s-patch-1`;
    await stack.waitForState(patch, "AWAITING_APPROVAL");
    const modelCallsBefore = stack.fixture.requests.length;
    // Longer than the child timeout: a held step's clock has not started.
    await sleep(CHILD_TIMEOUT_S * 1000 + 1000);
    expect((await stack.store.getJob(id))?.state).toBe("RUNNING");
    const held = await stack.store.getJob(patch);
    expect(held).toMatchObject({ state: "AWAITING_APPROVAL", attempts: 0 });
    expect(held?.approval?.ruleId).toBe("hold-patch");
    expect(stack.fixture.requests.length).toBe(modelCallsBefore);
    expect(progress.lines.join("")).toContain("step patch: waiting for approval (rule hold-patch)");

    await stack.jobs.decideApproval(
      { jobId: patch, approve: true, reason: "looks fine", decider: HUMAN },
      () => true,
    );
    const parent = await stack.waitTerminal(id);
    await progress.stop();
    expect(parent.state).toBe("SUCCEEDED");
    const done = await stack.store.getJob(patch);
    expect(done?.state).toBe("SUCCEEDED");
    expect(done?.approval).toMatchObject({
      decision: "approved",
      decidedBy: "reviewer",
      decisionReason: "looks fine",
    });
    expect(progress.lines.join("")).toContain("step patch: approved");
  });

  it("a rejection fails the workflow with the reason, without another attempt", async () => {
    const { id, patch } = await submitHeld("risky change");
    await stack.jobs.decideApproval({ jobId: patch, approve: false, reason: "not today", decider: HUMAN });
    const parent = await stack.waitTerminal(id);
    expect(parent.state).toBe("FAILED");
    expect(parent.reason).toContain('step "patch"');
    expect(parent.reason).toContain("rejected by reviewer: not today");
    expect(await stack.store.getJob(`${id}-s-patch-2`)).toBeUndefined();
  });

  it("cancelling the parent cancels the held step", async () => {
    const { id, patch } = await submitHeld("cancel me");
    await stack.client.cancelJob(id, "changed my mind");
    expect((await stack.waitTerminal(id)).state).toBe("CANCELLED");
    expect((await stack.waitTerminal(patch, 10_000)).state).toBe("CANCELLED");
  });
});
