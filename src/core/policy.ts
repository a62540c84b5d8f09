/**
 * Safety policy evaluation (DESIGN.md: the safety kernel allows or denies each job).
 * Pure: the config layer loads and validates config/safety.yaml, the kernel calls this.
 */
import { matchesSubject } from "./topic-match.js";

export type PolicyEffect = "allow" | "deny";

/** One rule of safety.yaml; `topics` are NATS-style patterns (see topic-match.ts). */
export interface PolicyRule {
  id: string;
  effect: PolicyEffect;
  topics: readonly string[];
  /** Tenants the rule applies to; omitted or empty means every tenant. */
  tenants?: readonly string[] | undefined;
  reason?: string | undefined;
}

/** Structurally the parsed safety.yaml. */
export interface SafetyPolicy {
  rules: readonly PolicyRule[];
  default_effect: PolicyEffect;
  default_tenant: string;
}

export interface PolicyRequest {
  topic: string;
  tenant?: string | undefined;
}

export type PolicyVerdict = "ALLOW" | "DENY";

export interface PolicyDecision {
  decision: PolicyVerdict;
  reason: string;
  /** The rule that decided; absent when the default effect applied. */
  ruleId?: string;
}

const verdict = (effect: PolicyEffect): PolicyVerdict => (effect === "allow" ? "ALLOW" : "DENY");

function ruleMatches(rule: PolicyRule, topic: string, tenant: string): boolean {
  const tenantOk = rule.tenants === undefined || rule.tenants.length === 0 || rule.tenants.includes(tenant);
  return tenantOk && rule.topics.some((pattern) => matchesSubject(pattern, topic));
}

/** First matching rule wins; with no match the policy's default effect applies. */
export function evaluatePolicy(policy: SafetyPolicy, request: PolicyRequest): PolicyDecision {
  const tenant = request.tenant ? request.tenant : policy.default_tenant;
  const rule = policy.rules.find((r) => ruleMatches(r, request.topic, tenant));
  if (rule === undefined) {
    return {
      decision: verdict(policy.default_effect),
      reason: `no rule matched; default ${policy.default_effect}`,
    };
  }
  return {
    decision: verdict(rule.effect),
    reason: rule.reason ?? `rule ${rule.id}: ${rule.effect}`,
    ruleId: rule.id,
  };
}
