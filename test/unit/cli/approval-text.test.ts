/** How the CLI shows held jobs, finds the one meant, and says once that a --wait job is held. */
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { approvalLines, approvalRow, resolveHeldJobId } from "../../../src/cli/approval-text.js";
import { followedTransition } from "../../../src/cli/print-job.js";
import { explainWaiting } from "../../../src/cli/waiting-hints.js";
import type { ApprovalInfo, JobInfo } from "../../../src/gen/cortex/v1/api.js";
import { FakeGateway, jobInfo } from "../tui/fake-gateway.js";

const T0 = 1_800_000_000_000;

function approval(p: Partial<ApprovalInfo> = {}): ApprovalInfo {
  return {
    ruleId: "hold-deploys",
    ruleReason: "deploys need a human",
    approvers: [],
    requestedAtMs: T0,
    expiresAtMs: T0 + 3_600_000,
    contentHash: "ab".repeat(32),
    decision: "",
    decidedBy: "",
    decidedAtMs: 0,
    decisionReason: "",
    ...p,
  };
}

const held = (p: Partial<JobInfo> = {}) =>
  jobInfo({
    jobId: "4f0c1a2b-0000-4000-8000-000000000001",
    topic: "job.deploy",
    tenant: "acme",
    state: "AWAITING_APPROVAL",
    createdAtMs: T0,
    approval: approval(),
    ...p,
  });

describe("approval text", () => {
  it("a table row: rule, how long it waited, when it expires, who decides", () => {
    expect(approvalRow(held(), T0 + 90_000)).toEqual([
      "4f0c1a2b",
      "job.deploy",
      "acme",
      "hold-deploys",
      "1m30s",
      "58m30s",
      "tenant acme",
    ]);
    const named = held({ approval: approval({ approvers: ["ops-lead", "sre"], ruleId: "" }) });
    expect(approvalRow(named, T0).slice(3)).toEqual(["(default)", "0s", "1h0m", "ops-lead, sre"]);
  });

  it("cortex job's section: the request, then the decision", () => {
    const waiting = approvalLines(held()).map((l) => stripVTControlCharacters(l));
    expect(waiting[0]).toBe("approval");
    expect(waiting[1]).toBe("  rule       hold-deploys (deploys need a human)");
    expect(waiting.at(-1)).toBe(
      "  decide with `cortex approve 4f0c1a2b` or `cortex reject 4f0c1a2b --reason …`",
    );
    const decided = held({
      state: "DENIED",
      approval: approval({
        decision: "rejected",
        decidedBy: "ops-lead",
        decidedAtMs: T0 + 1000,
        decisionReason: "freeze",
      }),
    });
    const lines = approvalLines(decided).map((l) => stripVTControlCharacters(l));
    expect(lines).toContain(`  decision   rejected by ops-lead at ${new Date(T0 + 1000).toISOString()}`);
    expect(lines).toContain("  why        freeze");
    expect(approvalLines(jobInfo())).toEqual([]);
  });

  it("--wait leaves a hold's reason to the waiting line", () => {
    const ev = { to: "AWAITING_APPROVAL", workerId: "", reason: "waiting for approval (rule r)", attempt: 0 };
    expect(stripVTControlCharacters(followedTransition("AWAITING_APPROVAL", ev as never))).toBe(
      "→ AWAITING_APPROVAL",
    );
    const denied = { to: "DENIED", workerId: "", reason: "freeze", attempt: 0 };
    expect(stripVTControlCharacters(followedTransition("DENIED", denied as never))).toBe("→ DENIED (freeze)");
  });
});

describe("resolveHeldJobId", () => {
  it("finds a job of another tenant among the held jobs the key may decide", async () => {
    const foreign = held({ jobId: "initech~9d3c0000-0000-4000-8000-000000000002" });
    const gw = new FakeGateway({ jobs: [] });
    gw.listApprovals = async () => ({ approvals: [{ job: foreign, contextJson: "{}" }], nextCursor: "" });
    expect(await resolveHeldJobId(gw, foreign.jobId)).toBe(foreign.jobId);
    // As the approvals table shows it: the tenant kept, the id cut short.
    expect(approvalRow(foreign, T0)[0]).toBe("initech~9d3c0000");
    expect(await resolveHeldJobId(gw, "initech~9d3c0000")).toBe(foreign.jobId);
    await expect(resolveHeldJobId(gw, "77777777")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
  });
});

describe("explainWaiting", () => {
  it("says once that a job is held, and what holds it when the gateway gives no reason", async () => {
    const gw = new FakeGateway({ jobs: [held()] });
    const said: string[] = [];
    const w = explainWaiting(gw, held().jobId, (why) => said.push(why));
    await new Promise((r) => setTimeout(r, 2_800));
    await w.stop();
    expect(said).toEqual([
      "waiting for approval (rule hold-deploys): `cortex approve 4f0c1a2b` or `cortex reject 4f0c1a2b --reason …`",
    ]);
  });
});
