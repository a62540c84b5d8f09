import { describe, expect, it } from "vitest";
import { safetyConfigSchema } from "../../../src/config/safety.js";
import { type ApprovalRecord, approvalContentHash, approvalRefusal } from "../../../src/core/approval.js";
import { formatDurationMs, parseDurationMs } from "../../../src/core/duration.js";
import {
  DEFAULT_APPROVAL_EXPIRY_MS,
  evaluatePolicy,
  explainPolicy,
  type SafetyPolicy,
} from "../../../src/core/policy.js";

const policy: SafetyPolicy = {
  default_tenant: "default",
  default_effect: "allow",
  rules: [
    { id: "deny-destroy", effect: "deny", topics: ["sys.destroy"] },
    {
      id: "hold-deploy",
      effect: "require_approval",
      topics: ["job.deploy.>"],
      approvers: ["ops"],
      expires_after: "30m",
    },
    { id: "hold-pay", effect: "require_approval", topics: ["job.pay"], tenants: ["acme"] },
  ],
};

describe("require_approval rules", () => {
  it("holds with the rule's approvers and expiry, default 24 h", () => {
    expect(evaluatePolicy(policy, { topic: "job.deploy.prod" })).toEqual({
      decision: "REQUIRE_APPROVAL",
      reason: "rule hold-deploy requires approval",
      ruleId: "hold-deploy",
      approval: { approvers: ["ops"], expiresAfterMs: 30 * 60_000 },
    });
    expect(evaluatePolicy(policy, { topic: "job.pay", tenant: "acme" }).approval).toEqual({
      approvers: [],
      expiresAfterMs: DEFAULT_APPROVAL_EXPIRY_MS,
    });
    expect(evaluatePolicy(policy, { topic: "job.pay", tenant: "other" }).decision).toBe("ALLOW");
  });

  it("explain lists the rules checked before the deciding one, and why each did not match", () => {
    const e = explainPolicy(policy, { topic: "job.pay", tenant: "acme" });
    expect(e.effect).toBe("require_approval");
    expect(e.defaultApplied).toBe(false);
    expect(e.checked.map((c) => [c.ruleId, c.matched])).toEqual([
      ["deny-destroy", false],
      ["hold-deploy", false],
      ["hold-pay", true],
    ]);
    expect(e.checked[0]?.why).toBe("topic job.pay matches none of [sys.destroy]");
    const other = explainPolicy(policy, { topic: "job.pay", tenant: "zeta" });
    expect(other.defaultApplied).toBe(true);
    expect(other.checked[2]?.why).toBe("tenant zeta is not in [acme]");
  });

  it("config accepts approval terms only on require_approval rules, and checks durations", () => {
    const base = { default_tenant: "d", default_effect: "allow" };
    const ok = safetyConfigSchema.safeParse({
      ...base,
      rules: [
        { id: "r", effect: "require_approval", topics: ["job.x"], approvers: ["ops"], expires_after: "2h" },
      ],
    });
    expect(ok.success).toBe(true);
    const misplaced = safetyConfigSchema.safeParse({
      ...base,
      rules: [{ id: "r", effect: "allow", topics: ["job.x"], approvers: ["ops"] }],
    });
    expect(misplaced.error?.issues[0]?.message).toMatch(/only on a rule with effect require_approval/);
    const badDuration = safetyConfigSchema.safeParse({
      ...base,
      rules: [{ id: "r", effect: "require_approval", topics: ["job.x"], expires_after: "soon" }],
    });
    expect(badDuration.error?.issues[0]?.message).toMatch(/duration such as 90s/);
  });

  it("parses and prints durations", () => {
    expect(parseDurationMs("90s")).toBe(90_000);
    expect(parseDurationMs(3600)).toBe(3_600_000);
    expect(parseDurationMs("0h")).toBeUndefined();
    expect(parseDurationMs("1.5h")).toBeUndefined();
    expect(formatDurationMs(86_400_000)).toBe("1d");
    expect(formatDurationMs(90_000)).toBe("90s");
  });
});

describe("approval decisions", () => {
  const record = (approvers: string[]): ApprovalRecord => ({
    ruleId: "r",
    ruleReason: "",
    approvers,
    requestedAt: 0,
    expiresAt: 1,
    contentHash: "h",
  });

  it("a bound key decides its own tenant's job only when the rule names no approvers", () => {
    expect(
      approvalRefusal(record([]), "acme", { name: "acme-ci", tenant: "acme", open: false }),
    ).toBeUndefined();
    expect(approvalRefusal(record([]), "beta", { name: "acme-ci", tenant: "acme", open: false })).toMatch(
      /only act for tenant acme/,
    );
    expect(
      approvalRefusal(record(["ops"]), "acme", { name: "acme-ci", tenant: "acme", open: false }),
    ).toMatch(/not one of them/);
    expect(
      approvalRefusal(record(["ops"]), "acme", { name: "ops-lead", tenant: "ops", open: false }),
    ).toBeUndefined();
    expect(
      approvalRefusal(record(["ops-lead"]), "acme", { name: "ops-lead", tenant: undefined, open: false }),
    ).toBeUndefined();
    expect(
      approvalRefusal(record(["ops"]), "acme", { name: "anonymous", tenant: undefined, open: true }),
    ).toBeUndefined();
  });

  it("the content hash binds topic, context and env, not key order", () => {
    const a = approvalContentHash({ topic: "job.x", context: { a: 1, b: 2 } });
    expect(approvalContentHash({ topic: "job.x", context: { b: 2, a: 1 }, envVars: {} })).toBe(a);
    expect(approvalContentHash({ topic: "job.x", context: { a: 1, b: 3 } })).not.toBe(a);
    expect(approvalContentHash({ topic: "job.x", context: { a: 1, b: 2 }, envVars: { k: "v" } })).not.toBe(a);
  });
});
