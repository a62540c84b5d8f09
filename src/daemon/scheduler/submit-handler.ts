/**
 * sys.job.submit consumer: safety check, routing, PENDING → SCHEDULED, dispatch.
 * Idempotent by job id: a redelivered submit continues from the job's current state.
 */
import type { WorkMessage } from "../../bus/bus.js";
import { timestampToMs } from "../../bus/codec.js";
import { ErrorCode, isCortexError } from "../../core/errors.js";
import { newTraceId } from "../../core/ids.js";
import { priorityName } from "../../core/priority.js";
import { JobState } from "../../core/states.js";
import { TENANT_ENV_VAR } from "../../core/tenant.js";
import type { JobRequest } from "../../gen/cortex/v1/bus.js";
import type { TransitionOutcome } from "../../store/job-store.js";
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
    const req = payload.jobRequest;
    // Hot path: decide from the packet itself; the guarded PENDING → … transition is the only
    // store call, and its refusal tells us when the job was already decided (a redelivery).
    const job: SubmittedJob = {
      jobId: req.jobId,
      topic: req.topic,
      tenant: req.envVars[TENANT_ENV_VAR] ?? "",
      createdAt: timestampToMs(msg.packet.createdAt) ?? this.deps.clock(),
    };
    const outcome = await this.decide(job, msg.deliveryCount);
    if (outcome.kind !== "pending-state") return outcome.settle;
    if (outcome.state === undefined) {
      // Not in the store: a CortexOS v1 sender wrote ctx:<id> and published straight to NATS.
      if (!(await this.adoptV1Job(msg.packet.traceId, req))) return ACK;
      return (await this.decide(job, msg.deliveryCount)).settle;
    }
    if (outcome.state === JobState.Scheduled) {
      const current = await this.deps.store.getJob(job.jobId);
      if (current?.state === JobState.Scheduled) await this.dispatcher.dispatchIfLive(current);
    }
    return ACK;
  }

  /** Creates the job record for a submit that did not come through the gateway. */
  private async adoptV1Job(traceId: string, req: JobRequest): Promise<boolean> {
    const { store, logger } = this.deps;
    const context = (await store.getContext(req.jobId)) ?? {};
    try {
      await store.createJob({
        jobId: req.jobId,
        traceId: traceId || newTraceId(),
        topic: req.topic,
        tenant: req.envVars[TENANT_ENV_VAR] || "default",
        priority: priorityName(req.priority),
        context,
        ...(req.adapterId ? { adapterId: req.adapterId } : {}),
        ...(req.parentJobId ? { parentJobId: req.parentJobId } : {}),
        ...(req.workflowId ? { workflowId: req.workflowId } : {}),
        ...(req.stepIndex ? { stepIndex: req.stepIndex } : {}),
        envVars: req.envVars,
      });
      logger.info({ jobId: req.jobId, topic: req.topic }, "adopted a job submitted straight to the bus");
      return true;
    } catch (err) {
      if (isCortexError(err, ErrorCode.JobExists)) return true;
      throw err;
    }
  }

  /**
   * Safety check, then PENDING → DENIED | FAILED | SCHEDULED (→ dispatch). When the job is not
   * PENDING, returns its state (undefined = not in the store) for the caller to handle.
   */
  private async decide(job: SubmittedJob, deliveryCount: number): Promise<Decision> {
    const { clock, timeouts, logger } = this.deps;
    const { jobId, topic, tenant } = job;
    let verdict: Awaited<ReturnType<SafetyChecker["check"]>>;
    try {
      verdict = await this.safety.check({ jobId, topic, tenant });
      this.safetyHealth.markUp();
    } catch (err) {
      this.safetyHealth.markDown(clock());
      const deadline = job.createdAt + timeouts.reconciler.dispatch_timeout_seconds * 1000;
      const left = deadline - clock();
      const detail = isCortexError(err) ? { code: err.code, error: err.message } : { err };
      logger.warn({ jobId, ...detail, msLeft: left }, "safety check failed");
      if (left > 0) return settled(retryLater(deliveryCount, left));
      return this.finish(job, JobState.Failed, SAFETY_UNAVAILABLE_REASON);
    }

    if (verdict.decision !== "ALLOW") {
      const decision = await this.finish(
        job,
        JobState.Denied,
        verdict.reason || "denied by the safety kernel",
      );
      if (decision.kind === "settled") this.metrics.denied.inc({ topic });
      return decision;
    }
    if (this.dispatcher.poolOf(topic) === undefined) {
      return this.finish(job, JobState.Failed, noPoolReason(topic));
    }
    // With a live worker the job is scheduled and dispatched in one store call; otherwise it
    // waits in SCHEDULED for the pool's first heartbeat.
    const live = this.dispatcher.hasLiveWorker(topic);
    const scheduled = await this.transitions.apply({
      jobId,
      to: JobState.Scheduled,
      from: [JobState.Pending],
      ...(live ? { andThen: JobState.Dispatched } : {}),
    });
    if (!scheduled.ok) return notPending(scheduled);
    this.metrics.received.inc({ topic });
    if (live) await this.dispatcher.publish(scheduled.job);
    return settled(ACK);
  }

  private async finish(job: SubmittedJob, to: JobState, reason: string): Promise<Decision> {
    const outcome = await this.transitions.apply({ jobId: job.jobId, to, from: [JobState.Pending], reason });
    if (!outcome.ok) return notPending(outcome);
    this.metrics.received.inc({ topic: job.topic });
    return settled(ACK);
  }
}

/** What the submit handler needs of a job, all carried by the submit packet. */
interface SubmittedJob {
  jobId: string;
  topic: string;
  tenant: string;
  createdAt: number;
}

type Decision =
  | { kind: "settled"; settle: Settle }
  | { kind: "pending-state"; state: JobState | undefined; settle: Settle };

const settled = (settle: Settle): Decision => ({ kind: "settled", settle });

function notPending(outcome: Exclude<TransitionOutcome, { ok: true }>): Decision {
  return {
    kind: "pending-state",
    state: outcome.code === "not_found" ? undefined : outcome.current,
    settle: ACK,
  };
}
