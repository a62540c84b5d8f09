/**
 * Safety policy evaluation (DESIGN.md: the safety kernel allows, denies or holds each job).
 * Pure: the config layer loads and validates config/safety.yaml, the kernel calls this.
 */
import { parseDurationMs } from "./duration.js";
import { matchesSubject } from "./topic-match.js";

export type PolicyEffect = "allow" | "deny" | "require_approval";

/** How long a held job waits for a decision when its rule names no `expires_after`. */
export const DEFAULT_APPROVAL_EXPIRY_MS = 24 * 3_600_000;

/** One rule of safety.yaml; `topics` are NATS-style patterns (see topic-match.ts). */
export interface PolicyRule {
  id: string;
  effect: PolicyEffect;
  topics: readonly string[];
  /** Tenants the rule applies to; omitted or empty means every tenant. */
  tenants?: readonly string[] | undefined;
  reason?: string | undefined;
  /** require_approval: tenants or API key names that may decide; omitted = any key of the job's tenant, or an admin key. */
  approvers?: readonly string[] | undefined;
  /** require_approval: `24h`, `30m`, `90s`, `7d` or seconds; default 24 h. */
  expires_after?: string | number | undefined;
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

export type PolicyVerdict = "ALLOW" | "DENY" | "REQUIRE_APPROVAL";

/** What a held job needs: who may decide and by when. */
export interface ApprovalTerms {
  /** Empty: any key of the job's tenant, or an admin key. */
  approvers: readonly string[];
  expiresAfterMs: number;
}

export interface PolicyDecision {
  decision: PolicyVerdict;
  reason: string;
  /** The rule that decided; absent when the default effect applied. */
  ruleId?: string;
  /** Set when decision is REQUIRE_APPROVAL. */
  approval?: ApprovalTerms;
}

/** One rule looked at while deciding, and why it did or did not match. */
export interface RuleCheck {
  ruleId: string;
  effect: PolicyEffect;
  matched: boolean;
  why: string;
}

export interface PolicyExplanation {
  /** The tenant the policy was evaluated for (the default tenant when none was given). */
  tenant: string;
  decision: PolicyDecision;
  /** The effect that decided (the rule's, or the default's). */
  effect: PolicyEffect;
  /** The rules checked in order, the deciding one last when a rule decided. */
  checked: RuleCheck[];
  defaultApplied: boolean;
}

const VERDICT: Record<PolicyEffect, PolicyVerdict> = {
  allow: "ALLOW",
  deny: "DENY",
  require_approval: "REQUIRE_APPROVAL",
};

function checkRule(rule: PolicyRule, topic: string, tenant: string): RuleCheck {
  const base = { ruleId: rule.id, effect: rule.effect };
  const tenantOk = rule.tenants === undefined || rule.tenants.length === 0 || rule.tenants.includes(tenant);
  if (!tenantOk)
    return { ...base, matched: false, why: `tenant ${tenant} is not in [${rule.tenants?.join(", ")}]` };
  const pattern = rule.topics.find((p) => matchesSubject(p, topic));
  if (pattern === undefined)
    return { ...base, matched: false, why: `topic ${topic} matches none of [${rule.topics.join(", ")}]` };
  return { ...base, matched: true, why: `topic ${topic} matches ${pattern}` };
}

function ruleDecision(rule: PolicyRule): PolicyDecision {
  const decision: PolicyDecision = {
    decision: VERDICT[rule.effect],
    reason: rule.reason ?? `rule ${rule.id}: ${rule.effect}`,
    ruleId: rule.id,
  };
  if (rule.effect === "require_approval") {
    const expires = rule.expires_after === undefined ? undefined : parseDurationMs(rule.expires_after);
    decision.approval = {
      approvers: rule.approvers ?? [],
      expiresAfterMs: expires ?? DEFAULT_APPROVAL_EXPIRY_MS,
    };
    if (rule.reason === undefined) decision.reason = `rule ${rule.id} requires approval`;
  }
  return decision;
}

/** The decision with the rules checked on the way: first matching rule wins, else the default. */
export function explainPolicy(policy: SafetyPolicy, request: PolicyRequest): PolicyExplanation {
  const tenant = request.tenant ? request.tenant : policy.default_tenant;
  const checked: RuleCheck[] = [];
  for (const rule of policy.rules) {
    const check = checkRule(rule, request.topic, tenant);
    checked.push(check);
    if (check.matched)
      return { tenant, decision: ruleDecision(rule), effect: rule.effect, checked, defaultApplied: false };
  }
  const effect = policy.default_effect;
  return { tenant, decision: defaultDecision(effect), effect, checked, defaultApplied: true };
}

function ruleMatches(rule: PolicyRule, topic: string, tenant: string): boolean {
  const tenantOk = rule.tenants === undefined || rule.tenants.length === 0 || rule.tenants.includes(tenant);
  return tenantOk && rule.topics.some((pattern) => matchesSubject(pattern, topic));
}

function defaultDecision(effect: PolicyEffect): PolicyDecision {
  const decision: PolicyDecision = {
    decision: VERDICT[effect],
    reason: `no rule matched; default ${effect}`,
  };
  if (effect === "require_approval")
    decision.approval = { approvers: [], expiresAfterMs: DEFAULT_APPROVAL_EXPIRY_MS };
  return decision;
}

/** First matching rule wins; with no match the policy's default effect applies. On every admission: no explanation built. */
export function evaluatePolicy(policy: SafetyPolicy, request: PolicyRequest): PolicyDecision {
  const tenant = request.tenant ? request.tenant : policy.default_tenant;
  const rule = policy.rules.find((r) => ruleMatches(r, request.topic, tenant));
  return rule === undefined ? defaultDecision(policy.default_effect) : ruleDecision(rule);
}
