/**
 * Results from workers that did not finish their own jobs (CortexOS v1 workers): the outcome
 * of an attempt is recorded here, or the next attempt scheduled when a retry can help.
 * Results of cortex workers (`finished`) are already in the store and cost nothing here.
 */
import { isTerminal, JobState } from "../core/states.js";
import { stateFromJobStatus } from "../core/status-map.js";
import { inSpan, jobParent, tracingEnabled } from "../core/tracing.js";
import type { JobResult } from "../gen/cortex/v1/bus.js";
import type { TransitionRequest } from "../store/job-store.js";
import type { JobsDeps } from "./deps.js";
import type { Dispatch } from "./dispatch.js";
import type { Moves } from "./moves.js";
import { retryReason, shouldRetry } from "./retry-policy.js";

/** A result may arrive before the worker's RUNNING write is seen, or for a job never marked RUNNING. */
const ACTIVE: readonly JobState[] = [JobState.Scheduled, JobState.Dispatched, JobState.Running];

export class V1Results {
  constructor(
    private readonly deps: JobsDeps,
    private readonly moves: Moves,
    private readonly dispatch: Dispatch,
  ) {}

  /** `live(topic)`: a worker of the topic's pool is live, so a retry is dispatched at once. Store failures throw. */
  async apply(
    result: JobResult,
    live: (topic: string) => boolean,
    packet: { traceId: string; traceparent: string } = { traceId: "", traceparent: "" },
  ): Promise<void> {
    if (result.finished) return;
    if (!tracingEnabled() || packet.traceId === "") return this.applyNow(result, live);
    const attributes = {
      "cortex.job.id": result.jobId,
      "cortex.job.attempt": result.attempt,
      "cortex.worker.id": result.workerId,
    };
    await inSpan("finish", { parent: jobParent(packet.traceId, packet.traceparent), attributes }, () =>
      this.applyNow(result, live),
    );
  }

  private async applyNow(result: JobResult, live: (topic: string) => boolean): Promise<void> {
    const { logger, store, timeouts } = this.deps;
    const { to, reason } = targetOf(result);
    const job = await store.getJob(result.jobId);
    if (!job) {
      logger.warn({ jobId: result.jobId }, "dropping a result for a job the store does not know");
      return;
    }
    if (isTerminal(job.state)) {
      logger.info({ jobId: job.jobId, state: job.state, workerId: result.workerId }, "late result ignored");
      return;
    }
    // A v1 worker never records RUNNING, so its attempt is still uncounted while DISPATCHED:
    // the dispatch carried attempts + 1, and the result counts it.
    const uncounted = job.state === JobState.Dispatched;
    const base: Omit<TransitionRequest, "to" | "reason"> = {
      jobId: result.jobId,
      from: uncounted ? [JobState.Dispatched] : ACTIVE,
      ...(uncounted ? { incrementAttempts: true } : {}),
      ...(result.workerId ? { workerId: result.workerId } : {}),
      ...(result.resultPtr ? { resultPtr: result.resultPtr } : {}),
      // A result from an attempt that has since been superseded must not move the job.
      ...(result.attempt > 0 ? { expectAttempt: uncounted ? result.attempt - 1 : result.attempt } : {}),
    };
    const attempt = uncounted ? job.attempts + 1 : job.attempts;
    // Ending the job: the result goes out with the terminal event.
    const ending = { ...base, withResult: true, ...(reason === undefined ? {} : { reason }) };
    if (shouldRetry(timeouts, job.topic, to, attempt)) {
      const retry = await this.moves.apply({
        ...base,
        to: JobState.Scheduled,
        reason: retryReason(to, reason),
      });
      if (!retry.ok) logger.info({ jobId: job.jobId, outcome: retry }, "stale result ignored");
      else if (live(job.topic)) await this.dispatch.dispatch(job.jobId);
      return;
    }
    const done = await this.moves.apply({ ...ending, to });
    if (!done.ok) logger.info({ jobId: job.jobId, outcome: done }, "late or stale result ignored");
  }
}

/** The state a result leads to, and the reason recorded with it (required for FAILED and TIMEOUT). */
function targetOf(result: JobResult): { to: JobState; reason?: string } {
  let to: JobState;
  try {
    to = stateFromJobStatus(result.status);
  } catch {
    return { to: JobState.Failed, reason: `worker sent a result without a status (${result.status})` };
  }
  const message = result.errorMessage || undefined;
  switch (to) {
    case JobState.Succeeded:
    case JobState.Cancelled:
      return message === undefined ? { to } : { to, reason: message };
    // DENIED is only reachable before dispatch; a worker refusing a job is a failure of that job.
    case JobState.Denied:
      return { to: JobState.Failed, reason: message ?? "worker refused the job" };
    default:
      return { to, reason: message ?? `worker reported ${to}` };
  }
}
