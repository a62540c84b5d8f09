/**
 * Guarded moves outside the hot path (reconciler repairs, dispatch roll-backs, cancels):
 * the store's transition, then its events on the feed and the observer told once.
 */
import { isTerminal } from "../core/states.js";
import type { JobRecord, TransitionOutcome, TransitionRequest } from "../store/job-store.js";
import type { JobsDeps } from "./deps.js";
import type { EventFeed } from "./event-feed.js";

export class Moves {
  constructor(
    private readonly deps: JobsDeps,
    private readonly feed: EventFeed,
  ) {}

  async apply(req: TransitionRequest): Promise<TransitionOutcome> {
    const outcome = await this.deps.store.transition(req);
    if (outcome.ok) {
      this.announced(outcome.job);
      this.deps.logger.debug(
        { jobId: req.jobId, from: outcome.from, to: outcome.job.state, reason: req.reason },
        "job transition",
      );
      this.feed.publish(outcome.events, outcome.resultJson);
    }
    return outcome;
  }

  /** Tells the observer about a job that just moved (any path). */
  announced(job: JobRecord): void {
    if (isTerminal(job.state)) this.deps.observer?.ended?.(job);
  }
}
