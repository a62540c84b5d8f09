/**
 * Which plan a workflow runs. With the planner on, a `job.workflow.plan` child asks the
 * model; its plan is validated here again (allow-list, routing, safety, DAG) before any
 * step runs — the planner may be an older or remote worker. Anything short of a valid
 * model plan (planner off, failed, timed out, plan rejected) runs the default plan, and
 * the result says which plan ran and why.
 */
import { CortexError, ErrorCode } from "../../core/errors.js";
import {
  defaultPlan,
  describeProblems,
  type Plan,
  type PlanSource,
  plannerJobId,
  stepJobId,
} from "../../core/plan.js";
import type { PolicyChecker } from "../../core/policy-checker.js";
import { JobState } from "../../core/states.js";
import { JobTopics } from "../../core/subjects.js";
import type { JobRecord } from "../../store/job-store.js";
import { type PlanValidationOptions, validatePlan } from "./plan-checks.js";
import type { WorkflowSettings } from "./settings.js";
import type { WorkflowInputs } from "./workflow-doc.js";

export const PLANNER_TOPIC = JobTopics.workflowPlan;

export interface ChosenPlan {
  plan: Plan;
  source: PlanSource;
  /** Why the default plan was used; undefined for a model plan. */
  reason?: string;
}

/** The planner child's life, as the orchestrator runs it. */
export interface PlannerChild {
  submit(jobId: string, context: Record<string, unknown>): Promise<JobRecord>;
  waitTerminal(jobId: string, deadline: number, signal: AbortSignal): Promise<JobRecord | undefined>;
  stop(
    jobId: string,
    to: typeof JobState.Cancelled | typeof JobState.Timeout,
    reason: string,
  ): Promise<unknown>;
  result(jobId: string): Promise<unknown>;
}

export interface ChoosePlanOptions {
  parentJobId: string;
  tenant: string;
  inputs: WorkflowInputs;
  settings: WorkflowSettings;
  pools: PlanValidationOptions["pools"];
  policy: PolicyChecker;
  signal: AbortSignal;
  cancelChildrenOn: (abortReason: unknown) => boolean;
}

export async function choosePlan(opts: ChoosePlanOptions, planner: PlannerChild): Promise<ChosenPlan> {
  const { settings } = opts;
  const checks = (failClosed: boolean): PlanValidationOptions => ({
    allowedTopics: settings.allowedTopics,
    pools: opts.pools,
    policy: opts.policy,
    tenant: opts.tenant,
    jobIdFor: (stepId) => stepJobId(opts.parentJobId, stepId, 1),
    failClosed,
  });

  let fallback: string;
  if (!settings.usePlanner) {
    fallback = "planner disabled (USE_PLANNER is off)";
  } else {
    const asked = await askPlanner(opts, planner);
    if ("reason" in asked) {
      fallback = asked.reason;
    } else {
      const check = await validatePlan(asked.plan, checks(true));
      if (check.ok) return { plan: check.plan, source: "model" };
      fallback = `the model's plan was rejected: ${describeProblems(check.problems)}`;
    }
  }

  const plan = defaultPlan(settings.explainTopic);
  const check = await validatePlan(plan, checks(false));
  if (!check.ok) {
    throw new CortexError(
      ErrorCode.ConfigInvalid,
      `the default plan cannot run: ${describeProblems(check.problems)}`,
      {
        hint: "Route job.code.llm and the explain topic in pools.yaml, allow them in CORTEX_WORKFLOW_TOPICS and the safety policy.",
      },
    );
  }
  return { plan: check.plan, source: "default", reason: fallback };
}

/** The planner's model plan, or why there is none. */
async function askPlanner(
  opts: ChoosePlanOptions,
  planner: PlannerChild,
): Promise<{ plan: unknown } | { reason: string }> {
  const jobId = plannerJobId(opts.parentJobId, 1);
  const child = await planner.submit(jobId, {
    file_path: opts.inputs.file_path,
    code_snippet: opts.inputs.code_snippet,
    instruction: opts.inputs.instruction,
    allowed_topics: [...opts.settings.allowedTopics],
    explain_topic: opts.settings.explainTopic,
  });
  let end: JobRecord | undefined;
  try {
    end = await planner.waitTerminal(jobId, child.createdAt + opts.settings.childTimeoutMs, opts.signal);
  } catch (err) {
    if (opts.signal.aborted && opts.cancelChildrenOn(opts.signal.reason)) {
      await planner.stop(jobId, JobState.Cancelled, "workflow stopped while planning").catch(() => undefined);
    }
    throw err;
  }
  if (!end) {
    await planner.stop(jobId, JobState.Timeout, "the planner ran past the workflow's child timeout");
    return { reason: `the planner (job ${jobId}) timed out` };
  }
  if (end.state !== JobState.Succeeded) {
    return { reason: `the planner (job ${jobId}) ended ${end.state}${end.reason ? `: ${end.reason}` : ""}` };
  }
  const result = await planner.result(jobId);
  const doc = typeof result === "object" && result !== null ? (result as Record<string, unknown>) : {};
  if (doc.plan_source !== "model") {
    const why = typeof doc.plan_reason === "string" ? doc.plan_reason : "no model plan";
    return { reason: `the planner fell back: ${why}` };
  }
  return { plan: doc.plan };
}
