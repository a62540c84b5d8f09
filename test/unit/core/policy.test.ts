import { describe, expect, expectTypeOf, it } from "vitest";
import type { SafetyConfig } from "../../../src/config/safety.js";
import { evaluatePolicy, type SafetyPolicy } from "../../../src/core/policy.js";

const policy: SafetyPolicy = {
  default_tenant: "default",
  default_effect: "allow",
  rules: [
    { id: "deny-destroy", effect: "deny", topics: ["sys.destroy"], reason: "destructive topic" },
    { id: "acme-code-only", effect: "allow", topics: ["job.code.>"], tenants: ["acme"] },
    { id: "acme-deny-rest", effect: "deny", topics: ["job.>"], tenants: ["acme"] },
    { id: "default-no-chat", effect: "deny", topics: ["job.chat.*"], tenants: ["default"] },
  ],
};

describe("evaluatePolicy", () => {
  it("a matching deny rule denies with its reason and id", () => {
    expect(evaluatePolicy(policy, { topic: "sys.destroy", tenant: "acme" })).toStrictEqual({
      decision: "DENY",
      reason: "destructive topic",
      ruleId: "deny-destroy",
    });
  });

  it("the first matching rule wins over later ones", () => {
    // job.code.llm matches both acme rules; the allow comes first
    expect(evaluatePolicy(policy, { topic: "job.code.llm", tenant: "acme" })).toStrictEqual({
      decision: "ALLOW",
      reason: "rule acme-code-only: allow",
      ruleId: "acme-code-only",
    });
    expect(evaluatePolicy(policy, { topic: "job.echo", tenant: "acme" })).toMatchObject({
      decision: "DENY",
      ruleId: "acme-deny-rest",
    });
  });

  it("a rule limited to tenants does not apply to other tenants", () => {
    expect(evaluatePolicy(policy, { topic: "job.echo", tenant: "globex" })).toStrictEqual({
      decision: "ALLOW",
      reason: "no rule matched; default allow",
    });
  });

  it("an empty or missing tenant is the default tenant", () => {
    for (const tenant of [undefined, ""]) {
      expect(evaluatePolicy(policy, { topic: "job.chat.simple", tenant })).toMatchObject({
        decision: "DENY",
        ruleId: "default-no-chat",
      });
    }
    expect(evaluatePolicy(policy, { topic: "job.chat.simple", tenant: "globex" }).decision).toBe("ALLOW");
  });

  it("with no match the default effect applies, and says so", () => {
    const denyByDefault: SafetyPolicy = { ...policy, default_effect: "deny" };
    expect(evaluatePolicy(denyByDefault, { topic: "job.echo", tenant: "globex" })).toStrictEqual({
      decision: "DENY",
      reason: "no rule matched; default deny",
    });
    expect(evaluatePolicy({ ...denyByDefault, rules: [] }, { topic: "sys.destroy" })).toStrictEqual({
      decision: "DENY",
      reason: "no rule matched; default deny",
    });
  });

  it("a rule matches when any of its topic patterns does", () => {
    const p: SafetyPolicy = {
      default_tenant: "t",
      default_effect: "deny",
      rules: [{ id: "r", effect: "allow", topics: ["job.echo", "job.chat.*"] }],
    };
    expect(evaluatePolicy(p, { topic: "job.chat.advanced" }).decision).toBe("ALLOW");
    expect(evaluatePolicy(p, { topic: "job.echo" }).decision).toBe("ALLOW");
    expect(evaluatePolicy(p, { topic: "job.code.llm" }).decision).toBe("DENY");
  });

  it("an empty tenants list applies to every tenant", () => {
    const p: SafetyPolicy = {
      default_tenant: "t",
      default_effect: "allow",
      rules: [{ id: "r", effect: "deny", topics: [">"], tenants: [] }],
    };
    expect(evaluatePolicy(p, { topic: "job.echo", tenant: "x" }).decision).toBe("DENY");
  });

  it("accepts the parsed safety.yaml as is", () => {
    expectTypeOf<SafetyConfig>().toExtend<SafetyPolicy>();
  });
});
