/**
 * Contract for the approval record of a held job: written with the admission, replaced with a
 * move, and AWAITING_APPROVAL listed like any other state.
 */
import { describe, expect, it } from "vitest";
import type { ApprovalRecord } from "../../src/core/approval.js";
import type { JobStore, NewJob } from "../../src/store/job-store.js";

export interface ApprovalHandles {
  store(): JobStore;
  newJob(overrides?: Partial<NewJob>): NewJob;
}

const record = (over: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  ruleId: "deploys",
  ruleReason: "deploys need a human",
  approvers: ["ops", "alice"],
  requestedAt: 1_000,
  expiresAt: 90_000,
  contentHash: "ab".repeat(32),
  ...over,
});

export function describeApprovals(h: ApprovalHandles): void {
  describe("approval records", () => {
    it("admits a job straight to AWAITING_APPROVAL with its approval record, in one step", async () => {
      const store = h.store();
      const job = h.newJob({ topic: "job.deploy" });
      const approval = record();
      const out = await store.admitJob({
        job,
        steps: [{ to: "AWAITING_APPROVAL", reason: "waiting for approval (rule deploys)" }],
        approval,
      });
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.job).toMatchObject({ state: "AWAITING_APPROVAL", approval });
      expect(out.events.map((e) => e.to)).toEqual(["PENDING", "AWAITING_APPROVAL"]);
      expect(await store.getJob(job.jobId)).toMatchObject({
        state: "AWAITING_APPROVAL",
        reason: "waiting for approval (rule deploys)",
        approval,
      });
      const [batch] = await store.getJobs([job.jobId]);
      expect(batch?.approval).toEqual(approval);
    });

    it("has no approval on a job admitted without one", async () => {
      const store = h.store();
      const job = h.newJob();
      const out = await store.admitJob({ job, steps: [{ to: "SCHEDULED", incrementAttempts: true }] });
      expect(out.ok && out.job.approval).toBe(undefined);
      expect((await store.getJob(job.jobId))?.approval).toBeUndefined();
    });

    it("replaces the approval record with a move, and keeps it on moves without one", async () => {
      const store = h.store();
      const job = h.newJob();
      await store.admitJob({
        job,
        steps: [{ to: "AWAITING_APPROVAL", reason: "held" }],
        approval: record(),
      });
      const decided = record({
        decision: "approved",
        decidedBy: "alice",
        decidedAt: 5_000,
        decisionReason: "looks fine",
      });
      const moved = await store.transition({
        jobId: job.jobId,
        to: "SCHEDULED",
        from: ["AWAITING_APPROVAL"],
        reason: "approved by alice: looks fine",
        incrementAttempts: true,
        approval: decided,
      });
      expect(moved.ok && moved.job.approval).toEqual(decided);
      expect((await store.getJob(job.jobId))?.approval).toEqual(decided);
      await store.transition({ jobId: job.jobId, to: "DISPATCHED" });
      expect((await store.getJob(job.jobId))?.approval).toEqual(decided);
    });

    it("writes no approval when the guarded move is refused", async () => {
      const store = h.store();
      const job = h.newJob();
      await store.admitJob({ job, steps: [{ to: "AWAITING_APPROVAL", reason: "held" }], approval: record() });
      await store.transition({ jobId: job.jobId, to: "CANCELLED", reason: "cancelled" });
      const refused = await store.transition({
        jobId: job.jobId,
        to: "DENIED",
        from: ["AWAITING_APPROVAL"],
        reason: "rejected",
        approval: record({ decision: "rejected", decidedBy: "bob" }),
      });
      expect(refused).toMatchObject({ ok: false, code: "not_allowed", current: "CANCELLED" });
      expect((await store.getJob(job.jobId))?.approval).toEqual(record());
    });

    it("lists held jobs by state AWAITING_APPROVAL, and not once they left it", async () => {
      const store = h.store();
      const tenant = `t-${Math.random().toString(36).slice(2)}`;
      const held = [h.newJob({ tenant }), h.newJob({ tenant })];
      for (const job of held) {
        await store.admitJob({
          job,
          steps: [{ to: "AWAITING_APPROVAL", reason: "held" }],
          approval: record(),
        });
      }
      await store.admitJob({ job: h.newJob({ tenant }), steps: [] });
      const page = await store.listJobs({ state: "AWAITING_APPROVAL", tenant });
      expect(page.jobs.map((j) => j.jobId).sort()).toEqual(held.map((j) => j.jobId).sort());
      expect(page.jobs.every((j) => j.approval?.ruleId === "deploys")).toBe(true);
      const first = held[0] as NewJob;
      await store.transition({ jobId: first.jobId, to: "DENIED", reason: "rejected" });
      const after = await store.listJobs({ state: "AWAITING_APPROVAL", tenant });
      expect(after.jobs.map((j) => j.jobId)).toEqual([held[1]?.jobId]);
    });
  });
}
