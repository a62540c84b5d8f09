/**
 * sys.job.submit consumer: safety check, routing, PENDING → SCHEDULED, dispatch.
 * Idempotent by job id: a redelivered submit continues from the job's current state.
 */
import type { WorkMessage } from "../../bus/bus.js";
import { isCortexError } from "../../core/errors.js";
import { JobState } from "../../core/states.js";
import type { JobRecord } from "../../store/job-store.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SchedulerMetrics } from "./metrics.js";
import type { SafetyHealth } from "./safety-health.js";
import { ACK, retryLater, type Settle, settle } from "./settle.js";
import type { Transitions } from "./transitions.js";
import type { SafetyChecker, SchedulerDeps } from "./types.js";

export const SAFETY_UNAVAILABLE_REASON = "safety kernel unavailable";

export function noPoolReason(topic: string): string {
  return `no pool for topic ${topic} (add it to config/pools.yaml)`;
}

export class SubmitHandler {
  constructor(
    private readonly deps: SchedulerDeps,
    private readonly safety: SafetyChecker,
    private readonly safetyHealth: SafetyHealth,
    private readonly transitions: Transitions,
    private readonly dispatcher: Dispatcher,
    private readonly metrics: SchedulerMetrics,
  ) {}

  readonly handle = async (msg: WorkMessage): Promise<void> => {
    const { logger } = this.deps;
    let outcome: Settle;
    try {
      outcome = await this.process(msg);
    } catch (err) {
      // Store or bus trouble: the job must not be lost, so the submit comes back later.
      logger.warn({ err, deliveryCount: msg.deliveryCount }, "submit not processed; will retry");
      outcome = retryLater(msg.deliveryCount);
    }
    await settle(msg, outcome, logger);
  };

  private async process(msg: WorkMessage): Promise<Settle> {
    const payload = msg.packet.payload;
    if (payload?.$case !== "jobRequest") {
      this.deps.logger.warn({ payloadCase: payload?.$case }, "dropping a submit that holds no job request");
      return { kind: "term" };
    }
    const { jobId } = payload.jobRequest;
    const job = await this.deps.store.getJob(jobId);
    if (!job) {
      // The gateway writes the job before publishing; without a record (expired, or a sender
      // that bypassed the gateway) there is no context to run it with.
      this.deps.logger.warn({ jobId }, "dropping a submit for a job the store does not know");
      return ACK;
    }
    switch (job.state) {
      case JobState.Pending:
        return this.decide(job, msg.deliveryCount);
      case JobState.Scheduled:
        // Scheduled by an earlier delivery that did not get to dispatch or ack.
        await this.dispatcher.dispatchIfLive(job);
        return ACK;
      default:
        return ACK;
    }
  }

  private async decide(job: JobRecord, deliveryCount: number): Promise<Settle> {
    const { clock, timeouts, logger } = this.deps;
    const { jobId, topic, tenant } = job;
    let verdict: Awaited<ReturnType<SafetyChecker["check"]>>;
    try {
      verdict = await this.safety.check({ jobId, topic, tenant });
      this.safetyHealth.markUp();
    } catch (err) {
      // Fail closed: no job runs unchecked. Any failure counts, not only SAFETY_UNAVAILABLE.
      this.safetyHealth.markDown(clock());
      const deadline = job.createdAt + timeouts.reconciler.dispatch_timeout_seconds * 1000;
      const left = deadline - clock();
      // An expected outage is one line per retry; anything else keeps its stack.
      const detail = isCortexError(err) ? { code: err.code, error: err.message } : { err };
      logger.warn({ jobId, ...detail, msLeft: left }, "safety check failed");
      if (left > 0) return retryLater(deliveryCount, left);
      await this.finish(job, JobState.Failed, SAFETY_UNAVAILABLE_REASON);
      return ACK;
    }

    if (verdict.decision !== "ALLOW") {
      const ok = await this.finish(job, JobState.Denied, verdict.reason || "denied by the safety kernel");
      if (ok) this.metrics.denied.inc({ topic });
      return ACK;
    }
    if (this.dispatcher.poolOf(topic) === undefined) {
      await this.finish(job, JobState.Failed, noPoolReason(topic));
      return ACK;
    }
    const scheduled = await this.transitions.apply({
      jobId,
      to: JobState.Scheduled,
      from: [JobState.Pending],
    });
    if (!scheduled.ok) return ACK; // cancelled (or decided) meanwhile
    this.metrics.received.inc({ topic });
    await this.dispatcher.dispatchIfLive(scheduled.job);
    return ACK;
  }

  /** PENDING → a terminal state; counts the job as received when this call made the decision. */
  private async finish(job: JobRecord, to: JobState, reason: string): Promise<boolean> {
    const outcome = await this.transitions.apply({ jobId: job.jobId, to, from: [JobState.Pending], reason });
    if (outcome.ok) this.metrics.received.inc({ topic: job.topic });
    return outcome.ok;
  }
}
