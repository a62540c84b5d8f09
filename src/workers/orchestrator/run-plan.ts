/**
 * Runs a validated plan: a step starts as soon as every step it depends on has succeeded,
 * so independent steps run in parallel. Each attempt of a step is a child job; a child that
 * ends FAILED, DENIED, TIMEOUT or CANCELLED — or outlives the child timeout — fails the
 * attempt, and a failed step is retried up to maxRetries times. The first step that fails
 * for good stops the workflow: its running siblings are cancelled, waiting steps skipped.
 * A step whose child a policy holds for approval pauses there, outside its child timeout; a
 * rejected (or otherwise DENIED) step fails the workflow at once, as a retry would only ask again.
 */
import { type Plan, type PlanStep, resolveTemplates } from "../../core/plan.js";
import { JobState } from "../../core/states.js";
import type { JobRecord } from "../../store/job-store.js";

/** One step as the workflow result reports it. */
export interface StepReport {
  id: string;
  topic: string;
  /** The child job of the last attempt ("" when the step never started). */
  job_id: string;
  /** The child's state, or SKIPPED / WAITING for a step that never started. */
  state: string;
  attempts: number;
  duration_ms: number;
  /** Why the last attempt did not succeed. */
  reason?: string;
}

/** What runPlan needs from the world: child jobs in the store and on the bus. */
export interface StepRunner {
  /** Creates and submits (or reuses) the child of `step`'s attempt. */
  submit(
    step: PlanStep,
    stepIndex: number,
    attempt: number,
    context: Record<string, unknown>,
  ): Promise<JobRecord>;
  /**
   * The child's record once it is terminal or held for approval (AWAITING_APPROVAL), or
   * undefined once `deadline` passed; rejects on abort.
   */
  waitTerminalOrHeld(
    jobId: string,
    deadline: number,
    signal: AbortSignal,
    onState: (state: string) => void,
  ): Promise<JobRecord | undefined>;
  /** The child's record once it left AWAITING_APPROVAL; rejects on abort. */
  waitDecided(
    jobId: string,
    signal: AbortSignal,
    onState: (state: string) => void,
  ): Promise<JobRecord | undefined>;
  stop(
    jobId: string,
    to: typeof JobState.Cancelled | typeof JobState.Timeout,
    reason: string,
  ): Promise<JobRecord | undefined>;
  result(jobId: string): Promise<unknown>;
  /** A line of progress for watchers of the parent. */
  note(text: string): void;
}

export interface RunPlanOptions {
  plan: Plan;
  /** The workflow's own inputs: the base of every step's context and `{{workflow.*}}`. */
  inputs: Record<string, unknown>;
  childTimeoutMs: number;
  maxRetries: number;
  signal: AbortSignal;
  /** false for an abort that hands the parent back (a drain): its children keep running and are reused. */
  cancelChildrenOn: (abortReason: unknown) => boolean;
}

export type PlanRun =
  | { ok: true; steps: StepReport[]; results: Record<string, unknown> }
  | { ok: false; steps: StepReport[]; results: Record<string, unknown>; failedStep: string; error: string };

/** A step that failed for good; aborts its siblings. */
class StepFailed extends Error {
  override readonly name = "StepFailed";
  constructor(
    readonly stepId: string,
    message: string,
  ) {
    super(message);
  }
}

const describe = (reason: unknown): string => (reason instanceof Error ? reason.message : String(reason));

export async function runPlan(opts: RunPlanOptions, runner: StepRunner): Promise<PlanRun> {
  const { plan } = opts;
  const reports = new Map<string, StepReport>(
    plan.steps.map((s) => [
      s.id,
      { id: s.id, topic: s.topic, job_id: "", state: "WAITING", attempts: 0, duration_ms: 0 },
    ]),
  );
  const results: Record<string, unknown> = {};
  const succeeded = new Set<string>();
  const started = new Set<string>();
  const running = new Map<string, Promise<void>>();
  let failure: StepFailed | undefined;

  // One signal for every step: the parent stopping, or the first step failing for good.
  const stop = new AbortController();
  const onParentAbort = () => stop.abort(opts.signal.reason);
  if (opts.signal.aborted) onParentAbort();
  opts.signal.addEventListener("abort", onParentAbort, { once: true });

  const contextOf = (step: PlanStep): Record<string, unknown> => {
    const input = resolveTemplates(step.input, { workflow: opts.inputs, steps: results }) as Record<
      string,
      unknown
    >;
    if (step.depends_on.length === 0) return { ...opts.inputs, ...input };
    const dependencies = Object.fromEntries(step.depends_on.map((d) => [d, results[d]]));
    return { ...opts.inputs, ...input, dependencies };
  };

  const runStep = async (step: PlanStep, stepIndex: number): Promise<void> => {
    const report = reports.get(step.id) as StepReport;
    let lastReason = "";
    for (let attempt = 1; attempt <= opts.maxRetries + 1; attempt++) {
      stop.signal.throwIfAborted();
      report.attempts = attempt;
      const child = await runner.submit(step, stepIndex, attempt, contextOf(step));
      report.job_id = child.jobId;
      report.state = child.state;
      runner.note(
        `step ${step.id}: ${step.topic} job ${child.jobId}${attempt > 1 ? ` (attempt ${attempt})` : ""}`,
      );
      let end: JobRecord | undefined;
      const onState = (state: string) => {
        report.state = state;
      };
      try {
        // The child timeout starts again once a hold is decided: a human's time is not the step's.
        let deadline = child.createdAt + opts.childTimeoutMs;
        let seen: JobRecord | undefined = child;
        while (seen !== undefined) {
          if (seen.state !== JobState.AwaitingApproval)
            seen = await runner.waitTerminalOrHeld(child.jobId, deadline, stop.signal, onState);
          if (seen?.state !== JobState.AwaitingApproval) break;
          report.state = seen.state;
          runner.note(
            `step ${step.id}: waiting for approval${seen.approval?.ruleId ? ` (rule ${seen.approval.ruleId})` : ""} — \`cortex approve ${child.jobId}\` or \`cortex reject ${child.jobId} --reason …\``,
          );
          seen = await runner.waitDecided(child.jobId, stop.signal, onState);
          if (seen !== undefined && seen.state !== JobState.Denied) runner.note(`step ${step.id}: approved`);
          deadline = Date.now() + opts.childTimeoutMs;
        }
        end = seen;
      } catch (err) {
        if (stop.signal.aborted && opts.cancelChildrenOn(stop.signal.reason)) {
          const why = `workflow stopped: ${describe(stop.signal.reason)}`;
          const stopped = await runner.stop(child.jobId, JobState.Cancelled, why).catch(() => undefined);
          if (stopped) record(report, stopped);
        }
        throw err;
      }
      end ??= await runner.stop(
        child.jobId,
        JobState.Timeout,
        `workflow step "${step.id}" ran past its child timeout of ${Math.round(opts.childTimeoutMs / 1000)}s`,
      );
      if (end) record(report, end);
      if (end?.state === JobState.Succeeded) {
        results[step.id] = await runner.result(end.jobId);
        delete report.reason;
        runner.note(`step ${step.id}: SUCCEEDED`);
        return;
      }
      lastReason = `${end?.state ?? "LOST"}${end?.reason ? `: ${end.reason}` : ""}`;
      report.reason = lastReason;
      runner.note(`step ${step.id}: ${lastReason}`);
      if (end?.state === JobState.Denied)
        throw new StepFailed(step.id, `step "${step.id}" (${step.topic}) ${lastReason}`);
    }
    const tries = opts.maxRetries + 1;
    throw new StepFailed(
      step.id,
      `step "${step.id}" (${step.topic}) failed${tries > 1 ? ` after ${tries} attempts` : ""}: ${lastReason}`,
    );
  };

  const startReady = (): void => {
    if (stop.signal.aborted) return;
    plan.steps.forEach((step, i) => {
      if (started.has(step.id) || !step.depends_on.every((d) => succeeded.has(d))) return;
      started.add(step.id);
      const run = runStep(step, i + 1).then(
        () => {
          succeeded.add(step.id);
        },
        (err: unknown) => {
          if (failure) return;
          // Stopping already (the parent aborted): this step's abort is not its own failure.
          if (stop.signal.aborted && !(err instanceof StepFailed)) return;
          failure =
            err instanceof StepFailed
              ? err
              : new StepFailed(step.id, `step "${step.id}" (${step.topic}) could not run: ${describe(err)}`);
          stop.abort(failure);
        },
      );
      running.set(
        step.id,
        run.finally(() => running.delete(step.id)),
      );
    });
  };

  try {
    startReady();
    while (running.size > 0) {
      await Promise.race(running.values());
      startReady();
    }
  } finally {
    opts.signal.removeEventListener("abort", onParentAbort);
  }
  if (opts.signal.aborted) throw opts.signal.reason;
  for (const report of reports.values()) if (report.state === "WAITING") report.state = "SKIPPED";
  const steps = [...reports.values()];
  if (failure) return { ok: false, steps, results, failedStep: failure.stepId, error: failure.message };
  return { ok: true, steps, results };
}

function record(report: StepReport, job: JobRecord): void {
  report.state = job.state;
  const from = job.startedAt ?? job.createdAt;
  report.duration_ms = Math.max(0, (job.finishedAt ?? Date.now()) - from);
  if (job.state !== JobState.Succeeded && job.reason) report.reason = job.reason;
}
