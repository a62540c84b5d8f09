/** `cortex policy explain` and `cortex policy test` as text. */
import { createTwoFilesPatch } from "diff";
import type { PolicyCase } from "../config/policy-cases.js";
import { formatDurationMs } from "../core/duration.js";
import { explainPolicy, type PolicyExplanation, type SafetyPolicy } from "../core/policy.js";

/** The deciding rule, its effect (approvers and expiry for require_approval), the reason and the rules checked before it. */
export function explanationLines(topic: string, e: PolicyExplanation): string[] {
  const d = e.decision;
  const by = e.defaultApplied ? "the default effect (no rule matched)" : `rule ${d.ruleId}`;
  const lines = [`${topic} (tenant ${e.tenant}): ${e.effect}, decided by ${by}`, `  reason: ${d.reason}`];
  if (d.approval) {
    const who = d.approval.approvers.length
      ? d.approval.approvers.join(", ")
      : `any key of tenant ${e.tenant}, or an admin key`;
    lines.push(`  approvers: ${who}`, `  expires after: ${formatDurationMs(d.approval.expiresAfterMs)}`);
  }
  const before = e.defaultApplied ? e.checked : e.checked.slice(0, -1);
  if (before.length === 0)
    lines.push(e.defaultApplied ? "no rules in the policy" : "no rules checked before it");
  else {
    lines.push(e.defaultApplied ? "rules checked (none matched):" : "rules checked before it:");
    for (const c of before) lines.push(`  ${c.ruleId} (${c.effect}): ${c.why}`);
  }
  return lines;
}

export interface PolicyCaseResult {
  /** 1-based position in the cases file. */
  case: number;
  topic: string;
  tenant: string;
  expect: string;
  /** The rule the case names, if any. */
  expect_rule?: string;
  actual: string;
  /** The rule that decided; absent when the default did. */
  rule?: string;
  passed: boolean;
}

export function runPolicyCases(policy: SafetyPolicy, cases: readonly PolicyCase[]): PolicyCaseResult[] {
  return cases.map((c, i) => {
    const e = explainPolicy(policy, { topic: c.topic, tenant: c.tenant });
    const rule = e.decision.ruleId;
    const passed = e.effect === c.expect && (c.rule === undefined || c.rule === rule);
    return {
      case: i + 1,
      topic: c.topic,
      tenant: e.tenant,
      expect: c.expect,
      ...(c.rule === undefined ? {} : { expect_rule: c.rule }),
      actual: e.effect,
      ...(rule === undefined ? {} : { rule }),
      passed,
    };
  });
}

const line = (r: PolicyCaseResult, effect: string, rule: string) =>
  `#${r.case} ${r.topic} ${r.tenant} -> ${effect} (${rule})\n`;

/** A unified diff, expected vs actual, of the failing cases: one "#case topic tenant -> effect (rule)" line each. */
export function casesDiff(
  results: readonly PolicyCaseResult[],
  casesFile: string,
  policyFile: string,
): string {
  const failed = results.filter((r) => !r.passed);
  const expected = failed.map((r) => line(r, r.expect, r.expect_rule ?? "any rule")).join("");
  const actual = failed.map((r) => line(r, r.actual, r.rule ?? "default")).join("");
  return createTwoFilesPatch(
    `expected (${casesFile})`,
    `actual (${policyFile})`,
    expected,
    actual,
    undefined,
    undefined,
    {
      context: 0,
    },
  )
    .split("\n")
    .filter((l) => !l.startsWith("====") && !l.startsWith("Index:"))
    .join("\n");
}
