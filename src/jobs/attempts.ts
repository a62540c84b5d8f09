/**
 * A worker's side of the job path. A first delivery costs no store call to start: the
 * dispatch carries the attempt number and (small) context. A job still running after a
 * short threshold is marked RUNNING; one that ends sooner records RUNNING together with its
 * end, in the one store step that also writes res:<id>, the terminal state and its events.
 */
import { newPacket } from "../bus/codec.js";
import { isTerminal, JobState } from "../core/states.js";
import { jobStatusFromState } from "../core/status-map.js";
import { Subjects } from "../core/subjects.js";
import { activeTraceparent, annotate, inSpan, jobParent, tracingEnabled } from "../core/tracing.js";
import type { JobRequest } from "../gen/cortex/v1/bus.js";
import type { MoveStep } from "../store/job-store.js";
import type { JobsDeps } from "./deps.js";
import type { Dispatch } from "./dispatch.js";
import type { EventFeed } from "./event-feed.js";
import type { Moves } from "./moves.js";
import { retryReason, shouldRetry } from "./retry-policy.js";

export type Begin =
  | {
      kind: "run";
      attempt: number;
      /** undefined when ctx:<id> is missing (expired or never written). */
      context: Record<string, unknown> | undefined;
      /** RUNNING is already recorded (a redelivery); else the threshold mark is due. */
      running: boolean;
    }
  /** Nothing to do: the job is gone or already finished; ack the message. */
  | { kind: "skip"; reason: string }
  /** Not dispatched yet (the admission's write is behind its publish): hand the message back. */
  | { kind: "requeue"; reason: string };

export type EndState =
  | typeof JobState.Succeeded
  | typeof JobState.Failed
  | typeof JobState.Timeout
  | typeof JobState.Cancelled;

export interface AttemptEnd {
  jobId: string;
  topic: string;
  traceId: string;
  attempt: number;
  workerId: string;
  to: EndState;
  /** Required for FAILED and TIMEOUT (the error message). */
  reason?: string;
  /** The result document's error code, when there is one (decides whether a retry can help). */
  errorCode?: string;
  /** The result document stored at res:<id>. */
  result: unknown;
  executionMs: number;
  /** The context, for the retry's dispatch. */
  context?: Record<string, unknown>;
}

export type Ended = "finished" | "retried" | "stale";

const RUNNING_ON_FIRST_FINISH: MoveStep = {
  to: JobState.Running,
  onlyFrom: JobState.Dispatched,
  incrementAttempts: true,
};

export class Attempts {
  constructor(
    private readonly deps: JobsDeps,
    private readonly moves: Moves,
    private readonly dispatch: Dispatch,
    private readonly feed: EventFeed,
  ) {}

  /** Store failures throw (the caller hands the message back). */
  async begin(req: JobRequest, deliveryCount: number, workerId: string): Promise<Begin> {
    if (deliveryCount === 1 && req.attempt > 0) {
      const inline = parseInlineContext(req.contextJson);
      const context = inline ?? (await this.deps.store.getContext(req.jobId));
      return { kind: "run", attempt: req.attempt, context, running: false };
    }
    if (deliveryCount > 1) {
      const resumed = await this.resume(req.jobId, workerId);
      if (resumed) return resumed;
    }
    // A redelivery (its worker died, or nothing was recorded yet) or a dispatch without an
    // attempt number: RUNNING recorded before it starts. From DISPATCHED this is the same
    // attempt number the dispatch carried (nothing counted it yet); from RUNNING a new one.
    const outcome = await this.moves.apply({
      jobId: req.jobId,
      to: JobState.Running,
      from: [JobState.Scheduled, JobState.Dispatched, JobState.Running],
      incrementAttempts: true,
      workerId,
      withContext: true,
    });
    if (outcome.ok)
      return { kind: "run", attempt: outcome.job.attempts, context: outcome.context, running: true };
    if (outcome.code === "not_found")
      return { kind: "skip", reason: "job record not found (expired or never created)" };
    if (isTerminal(outcome.current)) return { kind: "skip", reason: `job already ${outcome.current}` };
    return { kind: "requeue", reason: `job ${req.jobId} is ${outcome.current}, not dispatched` };
  }

  /**
   * This live worker recorded RUNNING and then handed the message back (the store or bus
   * failed before the end was recorded): the same attempt again, not a new one. A worker
   * that died has an id no live worker has, so its job still gets attempts + 1.
   */
  private async resume(jobId: string, workerId: string): Promise<Begin | undefined> {
    const job = await this.deps.store.getJob(jobId);
    if (job?.state !== JobState.Running || job.workerId !== workerId) return undefined;
    const outcome = await this.moves.apply({
      jobId,
      to: JobState.Running,
      from: [JobState.Running],
      expectAttempt: job.attempts,
      workerId,
      withContext: true,
    });
    if (!outcome.ok) return undefined;
    return { kind: "run", attempt: outcome.job.attempts, context: outcome.context, running: true };
  }

  /**
   * DISPATCHED → RUNNING for an attempt past the threshold. False when the attempt is no
   * longer the job's current one, or the job ended (e.g. cancelled while it was queued).
   */
  async markRunning(jobId: string, attempt: number, workerId: string): Promise<boolean> {
    const outcome = await this.moves.apply({
      jobId,
      to: JobState.Running,
      from: [JobState.Dispatched],
      incrementAttempts: true,
      expectAttempt: attempt - 1,
      workerId,
    });
    return outcome.ok;
  }

  /**
   * Records the attempt's end, or the next attempt when a retry can help, in one store step;
   * then the events, and the v1 JobResult on sys.job.result. Store failures throw.
   */
  finish(end: AttemptEnd): Promise<Ended> {
    if (!tracingEnabled()) return this.finishNow(end);
    const attributes = {
      "cortex.job.id": end.jobId,
      "cortex.job.topic": end.topic,
      "cortex.job.attempt": end.attempt,
      "cortex.job.state": end.to,
    };
    return inSpan("finish", { parent: jobParent(end.traceId), attributes }, async () => {
      const ended = await this.finishNow(end);
      annotate({ "cortex.finish.outcome": ended });
      return ended;
    });
  }

  private async finishNow(end: AttemptEnd): Promise<Ended> {
    const { deps } = this;
    const retry = shouldRetry(deps.timeouts, end.topic, end.to, end.attempt, end.errorCode);
    const steps: MoveStep[] = retry
      ? [
          RUNNING_ON_FIRST_FINISH,
          { to: JobState.Scheduled, reason: retryReason(end.to, end.reason) },
          { to: JobState.Dispatched },
        ]
      : [RUNNING_ON_FIRST_FINISH, { to: end.to, ...(end.reason ? { reason: end.reason } : {}) }];
    const outcome = await deps.store.finishAttempt({
      jobId: end.jobId,
      attempt: end.attempt,
      workerId: end.workerId,
      steps,
      ...(retry ? {} : { result: end.result }),
    });
    if (!outcome.ok) {
      deps.logger.info(
        { jobId: end.jobId, attempt: end.attempt, outcome },
        outcome.code === "not_allowed" && outcome.late ? "late result recorded" : "stale attempt ignored",
      );
      return "stale";
    }
    this.moves.announced(outcome.job);
    if (retry) {
      this.feed.publish(outcome.events);
      const contextJson = end.context === undefined ? undefined : JSON.stringify(end.context);
      // A failed publish leaves the job SCHEDULED; the reconciler dispatches it again.
      await this.dispatch.publish(outcome.job, contextJson).catch((err: unknown) => {
        deps.logger.warn({ err, jobId: end.jobId }, "retry not dispatched; the reconciler will");
      });
      return "retried";
    }
    this.feed.publish(outcome.events, JSON.stringify(end.result ?? null));
    this.publishResult(end, outcome.resultPtr ?? "");
    return "finished";
  }

  /** For CortexOS v1 listeners; the store already holds everything, so this is best effort. */
  private publishResult(end: AttemptEnd, resultPtr: string): void {
    const packet = newPacket(
      {
        $case: "jobResult",
        jobResult: {
          jobId: end.jobId,
          status: jobStatusFromState(end.to),
          resultPtr,
          workerId: end.workerId,
          executionMs: end.executionMs,
          attempt: end.attempt,
          errorMessage: end.reason ?? "",
          finished: true,
        },
      },
      { traceId: end.traceId, senderId: end.workerId, traceparent: activeTraceparent() },
    );
    this.deps.bus.publish(Subjects.jobResult, packet).catch((err: unknown) => {
      this.deps.logger.warn({ err, jobId: end.jobId }, "could not publish the job result");
    });
  }
}

function parseInlineContext(json: string): Record<string, unknown> | undefined {
  if (json === "") return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
