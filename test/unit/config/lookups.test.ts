import { describe, expect, it } from "vitest";
import {
  type PoolsConfig,
  poolForTopic,
  type TimeoutsConfig,
  timeoutFor,
  timeoutsConfigSchema,
  workflowForTopic,
  workflowTimeouts,
} from "../../../src/config/index.js";

const pools: PoolsConfig = { topics: { "job.echo": "echo", "job.code.llm": "code-llm" } };

const timeouts: TimeoutsConfig = {
  workflows: { code_review_demo: { child_timeout_seconds: 180, total_timeout_seconds: 600, max_retries: 1 } },
  topics: {
    "job.code.llm": { timeout_seconds: 120, max_retries: 1 },
    "job.chat.simple": { timeout_seconds: 60 },
    "job.workflow.demo": { workflow: "code_review_demo" },
  },
  reconciler: { dispatch_timeout_seconds: 120, running_timeout_seconds: 300, scan_interval_seconds: 30 },
};

describe("poolForTopic", () => {
  it("maps a routed topic to its pool", () => {
    expect(poolForTopic(pools, "job.code.llm")).toBe("code-llm");
  });

  it("returns undefined for unrouted topics, prefixes and inherited names", () => {
    expect(poolForTopic(pools, "job.unknown")).toBeUndefined();
    expect(poolForTopic(pools, "job")).toBeUndefined();
    expect(poolForTopic(pools, "constructor")).toBeUndefined();
  });
});

describe("timeoutFor", () => {
  it("uses the topic's entry", () => {
    expect(timeoutFor(timeouts, "job.code.llm")).toEqual({ timeoutSeconds: 120, maxRetries: 1 });
  });

  it("defaults max_retries to 0 when the entry has none", () => {
    expect(timeoutFor(timeouts, "job.chat.simple")).toEqual({ timeoutSeconds: 60, maxRetries: 0 });
  });

  it("gives a topic that runs a workflow the workflow's total timeout", () => {
    expect(timeoutFor(timeouts, "job.workflow.demo")).toEqual({ timeoutSeconds: 600, maxRetries: 0 });
    expect(workflowForTopic(timeouts, "job.workflow.demo")).toBe("code_review_demo");
    expect(workflowForTopic(timeouts, "job.code.llm")).toBeUndefined();
    expect(workflowForTopic(timeouts, "constructor")).toBeUndefined();
  });

  it("a topic entry names either timeout_seconds or an existing workflow", () => {
    const file = (topic: Record<string, unknown>) => ({
      workflows: timeouts.workflows,
      topics: { "job.workflow.demo": topic },
      reconciler: timeouts.reconciler,
    });
    const messages = (topic: Record<string, unknown>) =>
      timeoutsConfigSchema
        .safeParse(file(topic))
        .error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages({ workflow: "code_review_demo" })).toBeUndefined();
    expect(messages({ workflow: "nope" })).toEqual([
      'topics.job.workflow.demo.workflow: expected the name of a workflow under workflows (code_review_demo), got "nope"',
    ]);
    expect(messages({ workflow: "code_review_demo", timeout_seconds: 5 })).toEqual([
      "topics.job.workflow.demo.workflow: expected either timeout_seconds or workflow, not both",
    ]);
    expect(messages({ max_retries: 1 })).toEqual([
      "topics.job.workflow.demo.timeout_seconds: required key is missing (expected a positive integer, or `workflow: <name>`)",
    ]);
  });

  it("falls back to the reconciler's running timeout and no retries", () => {
    expect(timeoutFor(timeouts, "job.echo")).toEqual({ timeoutSeconds: 300, maxRetries: 0 });
    expect(timeoutFor(timeouts, "toString")).toEqual({ timeoutSeconds: 300, maxRetries: 0 });
  });
});

describe("workflowTimeouts", () => {
  it("returns a configured workflow's limits", () => {
    expect(workflowTimeouts(timeouts, "code_review_demo")).toEqual({
      childTimeoutSeconds: 180,
      totalTimeoutSeconds: 600,
      maxRetries: 1,
    });
  });

  it("returns undefined for an unknown workflow", () => {
    expect(workflowTimeouts(timeouts, "nope")).toBeUndefined();
  });
});
