/**
 * Every state change the scheduler makes goes through here, so each successful one is
 * announced on sys.job.event (the watchers' feed) and counted exactly once.
 */
import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import { Subjects } from "../../core/subjects.js";
import type {
  JobEventRecord,
  JobStore,
  TransitionOutcome,
  TransitionRequest,
} from "../../store/job-store.js";
import type { SchedulerMetrics } from "./metrics.js";

const encoder = new TextEncoder();

/** Results up to this size ride on the terminal event, sparing the gateway a store read. */
export const INLINE_RESULT_MAX_BYTES = 16 * 1024;

/**
 * Best effort: the event is already in the store (job:events, the capped stream), where
 * watchers can catch up, so a bus hiccup must not undo or retry the transition.
 */
export async function publishJobEvent(
  bus: Bus,
  event: JobEventRecord,
  logger: Logger,
  resultJson?: string,
): Promise<void> {
  try {
    const inline = resultJson !== undefined && resultJson.length <= INLINE_RESULT_MAX_BYTES;
    await bus.publishRaw(
      Subjects.jobEvent,
      encoder.encode(JSON.stringify(inline ? { ...event, resultJson } : event)),
    );
  } catch (err) {
    logger.warn({ err, jobId: event.jobId, seq: event.seq }, "could not publish job event");
  }
}

export class Transitions {
  constructor(
    private readonly store: JobStore,
    private readonly bus: Bus,
    private readonly metrics: SchedulerMetrics,
    private readonly logger: Logger,
  ) {}

  async apply(req: TransitionRequest): Promise<TransitionOutcome> {
    const outcome = await this.store.transition(req);
    if (outcome.ok) {
      this.metrics.onTransition(outcome.job);
      this.logger.debug(
        { jobId: req.jobId, from: outcome.from, to: outcome.job.state, reason: req.reason },
        "job transition",
      );
      for (const event of outcome.events) {
        const last = event === outcome.event;
        await publishJobEvent(this.bus, event, this.logger, last ? outcome.resultJson : undefined);
      }
    }
    return outcome;
  }
}
