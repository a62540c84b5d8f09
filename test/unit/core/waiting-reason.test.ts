import { describe, expect, it } from "vitest";
import { waitingReason, workerKindFor } from "../../../src/core/waiting-reason.js";

const base = { state: "SCHEDULED", topic: "job.echo", pool: "echo", live: false, backend: "nats" };

describe("waiting reason", () => {
  it("names the pool and the worker kind to start on the nats backend", () => {
    expect(waitingReason(base)).toBe(
      "no live worker in pool echo — start one with `cortex worker start echo`",
    );
  });

  it("names the module command for a user pool (worker SDK)", () => {
    expect(waitingReason({ ...base, topic: "job.summarize", pool: "summarize" })).toBe(
      'no live worker in pool summarize — start one with `cortex worker start <module>`, a module whose defineWorker has pool "summarize"',
    );
    const embedded = waitingReason({
      ...base,
      topic: "job.summarize",
      pool: "summarize",
      backend: "embedded",
    });
    expect(embedded).toContain("cortex up --worker <module>");
    expect(embedded).not.toContain("worker start");
  });

  it("points at pools.yaml and cortex up on embedded, where worker start is refused", () => {
    const text = waitingReason({ ...base, backend: "embedded" });
    expect(text).toContain("no live worker in pool echo");
    expect(text).toContain("pools.yaml");
    expect(text).toContain("cortex up");
    expect(text).not.toContain("worker start");
  });

  it("is empty when a worker is live, the job moved on, or no pool serves the topic", () => {
    expect(waitingReason({ ...base, live: true })).toBe("");
    expect(waitingReason({ ...base, state: "RUNNING" })).toBe("");
    expect(waitingReason({ ...base, pool: undefined })).toBe("");
    expect(waitingReason({ ...base, state: "PENDING" })).not.toBe("");
  });

  it("finds the kind serving a topic", () => {
    expect(workerKindFor("job.workflow.plan")).toBe("planner");
    expect(workerKindFor("job.nope")).toBeUndefined();
  });

  it("tells how to decide a held job and when it expires, live worker or not", () => {
    const held = {
      jobId: "j1",
      ruleId: "deploys",
      expiresAt: 10_000_000,
      now: 10_000_000 - (5 * 3_600_000 + 120_000),
    };
    const text = waitingReason({ ...base, state: "AWAITING_APPROVAL", live: true, held });
    expect(text).toBe(
      "waiting for approval (rule deploys) — cortex approve j1 or cortex reject j1 --reason …; expires in 5h 2m",
    );
    const byDefault = waitingReason({
      ...base,
      state: "AWAITING_APPROVAL",
      held: { ...held, ruleId: "", now: 1 },
    });
    expect(byDefault).toContain("(rule (default))");
    expect(
      waitingReason({ ...base, state: "AWAITING_APPROVAL", held: { ...held, now: held.expiresAt + 1 } }),
    ).toContain("expired");
    expect(waitingReason({ ...base, state: "AWAITING_APPROVAL" })).toBe("");
  });
});
