/**
 * A policy explanation on the wire (SafetyKernel.Explain, CortexApi.ExplainPolicy) and as
 * JSON (HTTP, `cortex policy explain --json`): one mapping each way, so the kernel, the
 * gateway and the CLI print the same thing whether the policy was evaluated here or remotely.
 */
import { DecisionType, type PolicyExplainResponse } from "../gen/cortex/v1/safety.js";
import type { PolicyEffect, PolicyExplanation, PolicyVerdict, SafetyPolicy } from "./policy.js";

const WIRE: Record<PolicyVerdict, DecisionType> = {
  ALLOW: DecisionType.DECISION_TYPE_ALLOW,
  DENY: DecisionType.DECISION_TYPE_DENY,
  REQUIRE_APPROVAL: DecisionType.DECISION_TYPE_REQUIRE_APPROVAL,
};

const EFFECTS: readonly string[] = ["allow", "deny", "require_approval"];
const asEffect = (s: string): PolicyEffect => (EFFECTS.includes(s) ? (s as PolicyEffect) : "deny");

export function explanationToWire(e: PolicyExplanation): PolicyExplainResponse {
  return {
    decision: WIRE[e.decision.decision],
    reason: e.decision.reason,
    ruleId: e.decision.ruleId ?? "",
    effect: e.effect,
    tenant: e.tenant,
    checked: e.checked.map((c) => ({ ...c })),
    defaultApplied: e.defaultApplied,
    approvers: [...(e.decision.approval?.approvers ?? [])],
    expiresAfterMs: e.decision.approval?.expiresAfterMs ?? 0,
  };
}

export function explanationFromWire(res: PolicyExplainResponse): PolicyExplanation {
  // Fail closed, as Check does: anything but an explicit ALLOW or REQUIRE_APPROVAL reads as DENY.
  const verdict: PolicyVerdict =
    res.decision === DecisionType.DECISION_TYPE_ALLOW
      ? "ALLOW"
      : res.decision === DecisionType.DECISION_TYPE_REQUIRE_APPROVAL
        ? "REQUIRE_APPROVAL"
        : "DENY";
  return {
    tenant: res.tenant,
    effect: asEffect(res.effect),
    defaultApplied: res.defaultApplied,
    checked: res.checked.map((c) => ({ ...c, effect: asEffect(c.effect) })),
    decision: {
      decision: verdict,
      reason: res.reason,
      ...(res.ruleId === "" ? {} : { ruleId: res.ruleId }),
      ...(verdict === "REQUIRE_APPROVAL"
        ? { approval: { approvers: res.approvers, expiresAfterMs: Number(res.expiresAfterMs) } }
        : {}),
    },
  };
}

/** GET /api/v1/policy/explain and `cortex policy explain --json`. */
export interface PolicyExplanationJson {
  topic: string;
  tenant: string;
  decision: PolicyVerdict;
  effect: PolicyEffect;
  rule_id?: string;
  reason: string;
  default_applied: boolean;
  approvers?: string[];
  expires_after_ms?: number;
  checked: { rule_id: string; effect: PolicyEffect; matched: boolean; why: string }[];
}

export function explanationJson(topic: string, e: PolicyExplanation): PolicyExplanationJson {
  const { decision } = e;
  return {
    topic,
    tenant: e.tenant,
    decision: decision.decision,
    effect: e.effect,
    ...(decision.ruleId === undefined ? {} : { rule_id: decision.ruleId }),
    reason: decision.reason,
    default_applied: e.defaultApplied,
    ...(decision.approval
      ? { approvers: [...decision.approval.approvers], expires_after_ms: decision.approval.expiresAfterMs }
      : {}),
    checked: e.checked.map((c) => ({ rule_id: c.ruleId, effect: c.effect, matched: c.matched, why: c.why })),
  };
}

/** GET /api/v1/policy: the rules in force, as safety.yaml spells them. */
export interface PolicyJson {
  default_tenant: string;
  default_effect: PolicyEffect;
  rules: SafetyPolicy["rules"][number][];
}

export function policyJson(policy: SafetyPolicy): PolicyJson {
  return {
    default_tenant: policy.default_tenant,
    default_effect: policy.default_effect,
    rules: policy.rules.map((r) => ({ ...r })),
  };
}
