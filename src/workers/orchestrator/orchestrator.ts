/**
 * The orchestrator worker (`job.workflow.demo`, pool `workflow`): one parent job runs a
 * whole workflow — choose a plan, validate it, run its steps as child jobs, and write one
 * result document. The parent's own attempt timeout is the workflow's total timeout
 * (timeouts.yaml `topics.job.workflow.demo.workflow`). Cancelling or timing out the parent
 * cancels its running children; a drain does not, because the redelivered parent finds
 * and reuses them by their deterministic ids.
 *
 * Written with the worker SDK, but its children go through injected deps, not ctx.submit /
 * ctx.wait: steps need deterministic per-attempt ids, a step index, state callbacks and
 * stopping a child, and each child inherits the parent's env_vars.
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Bus } from "../../bus/bus.js";
import type { PoolsConfig, TimeoutsConfig } from "../../config/index.js";
import { ErrorCode } from "../../core/errors.js";
import { stepJobId } from "../../core/plan.js";
import type { PolicyChecker } from "../../core/policy-checker.js";
import { WORKER_KIND_ROUTES } from "../../core/worker-kinds.js";
import { JobLifecycle } from "../../jobs/index.js";
import { defineWorker, type WorkerContext, type WorkerDefinition } from "../../sdk/index.js";
import type { JobStore } from "../../store/job-store.js";
import { JobAbortError } from "../attempt-outcome.js";
import { JobFailure } from "../job-failure.js";
import { ProgressKind } from "../progress.js";
import { builtinJob } from "../sdk-handler.js";
import { type ChildDeps, type ParentInfo, stopChild, submitChild } from "./child-jobs.js";
import { ChildWatch } from "./child-watch.js";
import { choosePlan, PLANNER_TOPIC, type PlannerChild } from "./choose-plan.js";
import { OrchestratorMetrics, type WorkflowStatus } from "./metrics.js";
import { runPlan, type StepRunner } from "./run-plan.js";
import { type PlanSettings, workflowSettings } from "./settings.js";
import { workflowInputs, workflowResult } from "./workflow-doc.js";

/** A drain hands the parent back to the queue: its children keep running for the next delivery. */
const cancelChildrenOn = (reason: unknown): boolean =>
  !(reason instanceof JobAbortError && reason.kind === "drain");

function abortStatus(reason: unknown): WorkflowStatus | undefined {
  if (reason instanceof JobAbortError) {
    if (reason.kind === "drain") return undefined;
    return reason.kind === "timeout" ? "timeout" : "cancelled";
  }
  return "cancelled";
}

/** Built once by the daemon (src/daemon/worker-deps.ts); the orchestrator reads no env or file. */
export interface OrchestratorDeps {
  /** Sender id of the child jobs it submits. */
  workerId: string;
  logger: Logger;
  /** The runtime's bus and store: children are submitted and followed through them. */
  bus: Bus;
  store: JobStore;
  /** The process's job lifecycle; one of its own (admission deferred to a scheduler) when absent. */
  jobs?: JobLifecycle;
  /** Routing (a plan's steps must be routable) and deadlines (timeouts.yaml workflows). */
  pools: PoolsConfig;
  timeouts: TimeoutsConfig;
  plan: PlanSettings;
  /** Checks every step's topic before any step runs. */
  policy: PolicyChecker;
  /** Where the workflow metrics go (the process's one /metrics, CORTEX_METRICS_PORT). */
  metrics: Registry;
}

const route = WORKER_KIND_ROUTES.orchestrator;

export function orchestratorWorker(deps: OrchestratorDeps): WorkerDefinition {
  const { bus, store, pools, timeouts, policy } = deps;
  const metrics = new OrchestratorMetrics(deps.metrics);
  const log = deps.logger.child({ component: "orchestrator" });
  const watch = new ChildWatch(bus, store, log);
  const jobs =
    deps.jobs ?? new JobLifecycle({ bus, store, logger: log, pools, timeouts, senderId: deps.workerId });
  const childDeps: ChildDeps = { jobs, store, logger: log, senderId: deps.workerId };

  const runWorkflow = async (context: Record<string, unknown>, ctx: WorkerContext) => {
    const { signal } = ctx;
    const job = builtinJob(ctx);
    const startedAt = Date.now();
    const settings = workflowSettings(ctx.topic, timeouts, deps.plan);
    const inputs = workflowInputs(context);
    const record = await store.getJob(ctx.jobId);
    const workflowId = record?.workflowId || record?.parentJobId || ctx.jobId;
    const parent: ParentInfo = {
      jobId: ctx.jobId,
      traceId: ctx.traceId,
      tenant: ctx.tenant,
      priority: record?.priority ?? "INTERACTIVE",
      envVars: job.envVars,
      workflowId,
    };
    const note = (text: string) => job.progress(`${text}\n`, ProgressKind.Progress);
    // A redelivered parent is the same workflow: count it once.
    if (ctx.attempt === 1) metrics.onStart(settings.name);
    let status: WorkflowStatus | undefined = "failed";
    try {
      const planner: PlannerChild = {
        submit: (jobId, context) =>
          submitChild(childDeps, parent, { jobId, topic: PLANNER_TOPIC, context, stepIndex: 0 }),
        waitTerminal: (jobId, deadline, s) => watch.waitTerminal(jobId, deadline, s),
        stop: (jobId, to, reason) => stopChild(childDeps, jobId, to, reason),
        result: (jobId) => store.getResult(jobId),
      };
      const chosen = await choosePlan(
        {
          parentJobId: ctx.jobId,
          tenant: ctx.tenant,
          inputs,
          settings,
          pools,
          policy,
          signal,
          cancelChildrenOn,
        },
        planner,
      );
      note(
        `plan (${chosen.source}${chosen.reason ? `: ${chosen.reason}` : ""}): ${chosen.plan.steps.map((s) => `${s.id}=${s.topic}`).join(", ")}`,
      );
      const runner: StepRunner = {
        submit: (step, stepIndex, attempt, context) =>
          submitChild(childDeps, parent, {
            jobId: stepJobId(ctx.jobId, step.id, attempt),
            topic: step.topic,
            context,
            stepIndex,
          }),
        waitTerminalOrHeld: (jobId, deadline, s, onState) =>
          watch.waitTerminalOrHeld(jobId, deadline, s, onState),
        waitDecided: (jobId, s, onState) => watch.waitDecided(jobId, s, onState),
        stop: (jobId, to, reason) => stopChild(childDeps, jobId, to, reason),
        result: (jobId) => store.getResult(jobId),
        note,
      };
      const run = await runPlan(
        {
          plan: chosen.plan,
          inputs,
          childTimeoutMs: settings.childTimeoutMs,
          maxRetries: settings.maxRetries,
          signal,
          cancelChildrenOn,
        },
        runner,
      );
      if (!run.ok) {
        throw new JobFailure(
          ErrorCode.WorkflowStepFailed,
          run.error,
          {
            workflow_id: workflowId,
            failed_step: run.failedStep,
            plan_source: chosen.source,
            steps: run.steps,
          },
          { hint: `See why with \`cortex job ${run.steps.find((s) => s.id === run.failedStep)?.job_id}\`.` },
        );
      }
      status = "succeeded";
      return workflowResult({
        jobId: ctx.jobId,
        workerId: ctx.workerId,
        workflowId,
        inputs,
        planSource: chosen.source,
        planReason: chosen.reason,
        steps: run.steps,
        results: run.results,
      });
    } catch (err) {
      if (signal.aborted) status = abortStatus(signal.reason);
      log.info({ jobId: ctx.jobId, status, err }, "workflow did not succeed");
      throw err;
    } finally {
      if (status !== undefined) metrics.onEnd(settings.name, status, (Date.now() - startedAt) / 1000);
    }
  };
  return defineWorker({
    pool: route.pool,
    topics: { [route.topics[0]]: (input, ctx) => runWorkflow(input as Record<string, unknown>, ctx) },
  });
}
