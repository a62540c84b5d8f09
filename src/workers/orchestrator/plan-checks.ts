/**
 * Full plan validation: the pure structural checks of src/core/plan.ts, then the safety
 * kernel for every step's topic — all before any step runs, so a plan with one forbidden
 * step never starts its harmless ones.
 */
import type { PoolsConfig } from "../../config/index.js";
import { poolForTopic } from "../../config/index.js";
import { checkPlan, type PlanCheck, type PlanProblem } from "../../core/plan.js";
import type { PolicyChecker } from "../../core/policy-checker.js";

export interface PlanValidationOptions {
  allowedTopics: readonly string[];
  pools: PoolsConfig;
  /** Omitted: no safety check (the scheduler still checks every child). */
  policy?: PolicyChecker;
  tenant: string;
  /** The job id the step would run as, for the safety request. */
  jobIdFor: (stepId: string) => string;
  /**
   * An unreachable kernel rejects the plan (true: a model plan, which has a fallback) or is
   * left to the scheduler's own fail-closed check of each child (false: the default plan).
   */
  failClosed: boolean;
}

export async function validatePlan(candidate: unknown, opts: PlanValidationOptions): Promise<PlanCheck> {
  const check = checkPlan(candidate, {
    allowedTopics: opts.allowedTopics,
    isRoutable: (topic) => poolForTopic(opts.pools, topic) !== undefined,
  });
  if (!check.ok || !opts.policy) return check;
  const problems: PlanProblem[] = [];
  for (const step of check.plan.steps) {
    try {
      const verdict = await opts.policy.check({
        jobId: opts.jobIdFor(step.id),
        topic: step.topic,
        tenant: opts.tenant,
      });
      // A step that needs approval is a valid plan: the workflow pauses at it until someone decides.
      if (verdict.decision === "DENY") {
        problems.push({
          code: "topic_denied",
          step: step.id,
          message: `step "${step.id}": topic ${step.topic} is denied by the safety kernel (${verdict.reason || "no reason given"})`,
        });
      }
    } catch (err) {
      if (!opts.failClosed) continue;
      problems.push({
        code: "topic_denied",
        step: step.id,
        message: `step "${step.id}": the safety kernel could not check ${step.topic} (${err instanceof Error ? err.message : String(err)})`,
      });
    }
  }
  return problems.length === 0 ? check : { ok: false, problems };
}
