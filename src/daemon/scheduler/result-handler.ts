/**
 * sys.job.result consumer: records the outcome of an attempt, or schedules the next attempt
 * when a FAILED/TIMEOUT attempt has retries left (timeouts.yaml max_retries).
 */
import type { WorkMessage } from "../../bus/bus.js";
import { timeoutFor } from "../../config/index.js";
import { isTerminal, JobState } from "../../core/states.js";
import { stateFromJobStatus } from "../../core/status-map.js";
import type { JobResult } from "../../gen/cortex/v1/bus.js";
import type { TransitionRequest } from "../../store/job-store.js";
import type { Dispatcher } from "./dispatcher.js";
import { ACK, retryLater, type Settle, settle } from "./settle.js";
import type { Transitions } from "./transitions.js";
import type { SchedulerDeps } from "./types.js";

/** A result may arrive before the worker's RUNNING write is seen, or for a job never marked RUNNING. */
const ACTIVE: readonly JobState[] = [JobState.Scheduled, JobState.Dispatched, JobState.Running];

export class ResultHandler {
  constructor(
    private readonly deps: SchedulerDeps,
    private readonly transitions: Transitions,
    private readonly dispatcher: Dispatcher,
  ) {}

  readonly handle = async (msg: WorkMessage): Promise<void> => {
    let outcome: Settle;
    try {
      outcome = await this.process(msg);
    } catch (err) {
      this.deps.logger.warn({ err, deliveryCount: msg.deliveryCount }, "result not processed; will retry");
      outcome = retryLater(msg.deliveryCount);
    }
    await settle(msg, outcome, this.deps.logger);
  };

  private async process(msg: WorkMessage): Promise<Settle> {
    const { logger, store, timeouts } = this.deps;
    const payload = msg.packet.payload;
    if (payload?.$case !== "jobResult") {
      logger.warn({ payloadCase: payload?.$case }, "dropping a result message that holds no job result");
      return { kind: "term" };
    }
    const result = payload.jobResult;
    const { to, reason } = targetOf(result);
    const base: Omit<TransitionRequest, "to" | "reason"> = {
      jobId: result.jobId,
      from: ACTIVE,
      ...(result.workerId ? { workerId: result.workerId } : {}),
      ...(result.resultPtr ? { resultPtr: result.resultPtr } : {}),
      // A result from an attempt that has since been superseded must not move the job.
      ...(result.attempt > 0 ? { expectAttempt: result.attempt } : {}),
    };
    // Ending the job: the result goes out with the terminal event (see publishJobEvent).
    const ending = { ...base, withResult: true };
    // Hot path: a success needs no retry decision, so the guarded transition is the only store call.
    if (to === JobState.Succeeded) {
      const done = await this.transitions.apply({
        ...ending,
        to,
        ...(reason === undefined ? {} : { reason }),
      });
      if (!done.ok) logger.info({ jobId: result.jobId, outcome: done }, "late or stale result ignored");
      return ACK;
    }

    const job = await store.getJob(result.jobId);
    if (!job) {
      logger.warn({ jobId: result.jobId }, "dropping a result for a job the store does not know");
      return ACK;
    }
    if (isTerminal(job.state)) {
      // The worker's putResult already recorded it as late.
      logger.info({ jobId: job.jobId, state: job.state, workerId: result.workerId }, "late result ignored");
      return ACK;
    }

    const { maxRetries } = timeoutFor(timeouts, job.topic);
    const retryable = to === JobState.Failed || to === JobState.Timeout;
    if (retryable && job.attempts < maxRetries + 1) {
      const retry = await this.transitions.apply({
        ...base,
        to: JobState.Scheduled,
        reason: `retry after ${to}${reason === undefined ? "" : `: ${reason}`}`,
      });
      if (retry.ok) await this.dispatcher.dispatchIfLive(retry.job);
      else logger.info({ jobId: job.jobId, outcome: retry }, "stale result ignored");
      return ACK;
    }
    const done = await this.transitions.apply({ ...ending, to, ...(reason === undefined ? {} : { reason }) });
    if (!done.ok) logger.info({ jobId: job.jobId, outcome: done }, "stale result ignored");
    return ACK;
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
