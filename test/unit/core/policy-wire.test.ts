import { describe, expect, it } from "vitest";
import { explainPolicy, type SafetyPolicy } from "../../../src/core/policy.js";
import { explanationFromWire, explanationJson, explanationToWire } from "../../../src/core/policy-wire.js";
import { DecisionType } from "../../../src/gen/cortex/v1/safety.js";

const policy: SafetyPolicy = {
  default_tenant: "default",
  default_effect: "allow",
  rules: [
    { id: "no-destroy", effect: "deny", topics: ["sys.destroy"] },
    { id: "hold", effect: "require_approval", topics: ["job.pay"], approvers: ["ops"], expires_after: "30m" },
  ],
};

describe("policy explanation on the wire", () => {
  it.each([
    ["job.pay", "acme"],
    ["sys.destroy", ""],
    ["job.echo", "acme"],
  ])("round-trips %s (tenant %j)", (topic, tenant) => {
    const e = explainPolicy(policy, { topic, tenant });
    expect(explanationFromWire(explanationToWire(e))).toEqual(e);
  });

  it("reads a response without a decision as DENY (fail closed)", () => {
    const wire = explanationToWire(explainPolicy(policy, { topic: "job.echo" }));
    const e = explanationFromWire({ ...wire, decision: DecisionType.DECISION_TYPE_UNSPECIFIED });
    expect(e.decision.decision).toBe("DENY");
  });

  it("writes JSON with snake_case keys and approval terms only when held", () => {
    const held = explanationJson("job.pay", explainPolicy(policy, { topic: "job.pay" }));
    expect(held).toMatchObject({ rule_id: "hold", approvers: ["ops"], expires_after_ms: 1_800_000 });
    const allowed = explanationJson("job.echo", explainPolicy(policy, { topic: "job.echo" }));
    expect(allowed).not.toHaveProperty("approvers");
    expect(allowed).not.toHaveProperty("rule_id");
    expect(allowed.default_applied).toBe(true);
  });
});
