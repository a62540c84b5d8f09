/** Publishing a DISPATCHED job on its topic's work queue, and rolling back when that fails. */
import { timeoutFor } from "../config/index.js";
import { JobState } from "../core/states.js";
import { activeTraceparent, inSpan, jobParent, SpanKind, tracingEnabled } from "../core/tracing.js";
import type { JobRecord } from "../store/job-store.js";
import type { JobsDeps } from "./deps.js";
import { dispatchMsgId, jobRequestPacket } from "./job-request.js";
import type { Moves } from "./moves.js";

export class Dispatch {
  constructor(
    private readonly deps: JobsDeps,
    private readonly moves: Moves,
  ) {}

  /**
   * Publishes a job that is already DISPATCHED (attempt = attempts + 1). When the publish
   * fails the job goes back to SCHEDULED, so the next pass (heartbeat, reconciler) publishes
   * again; the same msgId makes that a no-op if this publish did reach the server.
   */
  async publish(job: JobRecord, contextJson?: string): Promise<void> {
    const attempt = job.attempts + 1;
    if (!tracingEnabled()) return this.publishAttempt(job, attempt, contextJson);
    const attributes = {
      "cortex.job.id": job.jobId,
      "cortex.job.topic": job.topic,
      "cortex.job.attempt": attempt,
    };
    await inSpan("dispatch", { parent: jobParent(job.traceId), kind: SpanKind.PRODUCER, attributes }, () =>
      this.publishAttempt(job, attempt, contextJson),
    );
  }

  private async publishAttempt(job: JobRecord, attempt: number, contextJson?: string): Promise<void> {
    const { bus, timeouts, senderId, logger } = this.deps;
    const timeoutMs = timeoutFor(timeouts, job.topic).timeoutSeconds * 1000;
    try {
      await bus.publishDurable(
        job.topic,
        jobRequestPacket(job, attempt, timeoutMs, senderId, contextJson, activeTraceparent()),
        {
          msgId: dispatchMsgId(job.jobId, attempt),
        },
      );
    } catch (err) {
      await this.moves
        .apply({
          jobId: job.jobId,
          to: JobState.Scheduled,
          from: [JobState.Dispatched],
          reason: "dispatch publish failed; will retry",
        })
        .catch((rollbackErr: unknown) =>
          logger.warn({ err: rollbackErr, jobId: job.jobId }, "could not roll back a failed dispatch"),
        );
      throw err;
    }
    this.deps.observer?.dispatched?.(job, attempt);
    logger.debug({ jobId: job.jobId, topic: job.topic, attempt }, "job dispatched");
  }

  /** SCHEDULED → DISPATCHED, then the publish; false when the job was no longer SCHEDULED. */
  async dispatch(jobId: string): Promise<boolean> {
    const outcome = await this.moves.apply({ jobId, to: JobState.Dispatched, from: [JobState.Scheduled] });
    if (!outcome.ok) return false;
    await this.publish(outcome.job);
    return true;
  }
}
