/** The pure parts of the orchestrator: settings from config/env, inputs and the result document. */
import { describe, expect, it } from "vitest";
import type { TimeoutsConfig } from "../../../src/config/index.js";
import { planSettingsFromEnv } from "../../../src/daemon/plan-settings-from-env.js";
import { DEFAULT_WORKFLOW_TOPICS, workflowSettings } from "../../../src/workers/orchestrator/settings.js";
import { workflowInputs, workflowResult } from "../../../src/workers/orchestrator/workflow-doc.js";

const reconciler = { dispatch_timeout_seconds: 120, running_timeout_seconds: 300, scan_interval_seconds: 30 };

describe("workflowSettings", () => {
  it("reads the workflow a topic runs, and the env", () => {
    const timeouts: TimeoutsConfig = {
      workflows: { review: { child_timeout_seconds: 30, total_timeout_seconds: 90, max_retries: 2 } },
      topics: { "job.workflow.demo": { workflow: "review" } },
      reconciler,
    };
    expect(
      workflowSettings(
        "job.workflow.demo",
        timeouts,
        planSettingsFromEnv({
          USE_PLANNER: false,
          CORTEX_WORKFLOW_TOPICS: ["job.echo"],
          CORTEX_WORKFLOW_EXPLAIN_TOPIC: "job.chat.simple",
        }),
      ),
    ).toEqual({
      name: "review",
      childTimeoutMs: 30_000,
      totalTimeoutMs: 90_000,
      maxRetries: 2,
      allowedTopics: ["job.echo"],
      explainTopic: "job.chat.simple",
      usePlanner: false,
    });
  });

  it("falls back to code_review_demo's limits, then to the topic's own deadline", () => {
    const named: TimeoutsConfig = {
      workflows: {
        code_review_demo: { child_timeout_seconds: 180, total_timeout_seconds: 600, max_retries: 1 },
      },
      topics: {},
      reconciler,
    };
    expect(workflowSettings("job.workflow.demo", named, planSettingsFromEnv({}))).toMatchObject({
      name: "code_review_demo",
      childTimeoutMs: 180_000,
      totalTimeoutMs: 600_000,
      maxRetries: 1,
      allowedTopics: DEFAULT_WORKFLOW_TOPICS,
      explainTopic: "job.chat.advanced",
      usePlanner: true,
    });
    expect(
      workflowSettings(
        "job.workflow.demo",
        { workflows: {}, topics: {}, reconciler },
        planSettingsFromEnv({}),
      ),
    ).toMatchObject({
      childTimeoutMs: 300_000,
      totalTimeoutMs: 300_000,
      maxRetries: 0,
    });
  });
});

describe("workflow documents", () => {
  it("inputs need a code_snippet and an instruction", () => {
    expect(workflowInputs({ code_snippet: "x", instruction: "y" })).toEqual({
      file_path: "snippet",
      code_snippet: "x",
      instruction: "y",
    });
    expect(() => workflowInputs({ instruction: "y" })).toThrow(/code_snippet/);
    expect(() => workflowInputs({ code_snippet: "x", instruction: " " })).toThrow(/instruction/);
  });

  it("the result takes the patch and the explanation from their steps", () => {
    const steps = [
      { id: "patch", topic: "job.code.llm", job_id: "p", state: "SUCCEEDED", attempts: 1, duration_ms: 5 },
      {
        id: "explain",
        topic: "job.chat.advanced",
        job_id: "e",
        state: "SUCCEEDED",
        attempts: 1,
        duration_ms: 5,
      },
    ];
    const doc = workflowResult({
      jobId: "w",
      workerId: "orch",
      workflowId: "w",
      inputs: { file_path: "a.py", code_snippet: "old", instruction: "do" },
      planSource: "default",
      planReason: "planner disabled",
      steps,
      results: {
        patch: { original_code: "old\n", patch: { type: "unified_diff", content: "--- a/a.py" } },
        explain: { response: "because" },
      },
    });
    expect(doc).toMatchObject({
      file_path: "a.py",
      original_code: "old\n",
      instruction: "do",
      patch: { type: "unified_diff", content: "--- a/a.py" },
      explanation: "because",
      plan_source: "default",
      plan_reason: "planner disabled",
      steps,
    });
  });

  it("a plan without a patch step says so instead of inventing one", () => {
    const doc = workflowResult({
      jobId: "w",
      workerId: "orch",
      workflowId: "w",
      inputs: { file_path: "a.py", code_snippet: "old", instruction: "do" },
      planSource: "model",
      planReason: undefined,
      steps: [],
      results: { a: { response: "first" }, b: { response: "second" } },
    });
    expect(doc.patch).toEqual({ type: "none", content: "" });
    expect(doc.original_code).toBe("old");
    expect("plan_reason" in doc).toBe(false);
  });
});
