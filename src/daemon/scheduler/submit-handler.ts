/**
 * sys.job.submit consumer, for jobs that were not admitted where they arrived: CortexOS v1
 * senders publish straight to NATS, and a gateway that could not reach the safety kernel
 * leaves the job PENDING here. Idempotent by job id: a redelivered submit continues from the
 * job's current state.
 */
import type { WorkMessage } from "../../bus/bus.js";
import { timestampToMs } from "../../bus/codec.js";
import { clip, errFields } from "../../core/clip.js";
import { ErrorCode, isCortexError } from "../../core/errors.js";
import { newTraceId } from "../../core/ids.js";
import { priorityName } from "../../core/priority.js";
import { JobState } from "../../core/states.js";
import { TENANT_ENV_VAR } from "../../core/tenant.js";
import { withSender } from "../../core/tracing.js";
import type { JobRequest } from "../../gen/cortex/v1/bus.js";
import { type JobLifecycle, SAFETY_UNAVAILABLE_REASON } from "../../jobs/index.js";
import type { TransitionOutcome } from "../../store/job-store.js";
import { busSubmitProblem, recordDeadLetter } from "./dead-letter.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SafetyHealth } from "./safety-health.js";
import { ACK, retryLater, type Settle, settle } from "./settle.js";
import type { SchedulerDeps } from "./types.js";

export class SubmitHandler {
  constructor(
    private readonly deps: SchedulerDeps,
    private readonly jobs: JobLifecycle,
    private readonly safetyHealth: SafetyHealth,
    private readonly dispatcher: Dispatcher,
    private readonly maxContextBytes: number,
  ) {}

  readonly handle = async (msg: WorkMessage): Promise<void> => {
    const { logger } = this.deps;
    let outcome: Settle;
    try {
      outcome = await this.process(msg);
    } catch (err) {
      // Store or bus trouble: the job must not be lost, so the submit comes back later. Expected
      // during an outage, so no stack trace.
      logger.warn(
        { ...errFields(err), deliveryCount: msg.deliveryCount },
        "submit not processed; will retry",
      );
      outcome = retryLater(msg.deliveryCount);
    }
    await settle(msg, outcome, logger);
  };

  private async process(msg: WorkMessage): Promise<Settle> {
    const payload = msg.packet.payload;
    if (payload?.$case !== "jobRequest") {
      this.deps.logger.warn(
        { payloadCase: clip(String(payload?.$case)) },
        "dropping a submit that holds no job request",
      );
      return { kind: "term" };
    }
    const req = payload.jobRequest;
    const problem = busSubmitProblem(msg.packet.traceId, req, this.maxContextBytes);
    if (problem !== undefined) {
      // Throws (-> retried) only when the store or bus is down: then it is recorded on a later delivery.
      await recordDeadLetter(this.jobs, msg.packet, msg.subject, problem, this.deps.clock());
      this.deps.logger.warn(
        {
          jobId: clip(req.jobId),
          topic: clip(req.topic),
          code: problem.code,
          reason: problem.message,
          deliveryCount: msg.deliveryCount,
        },
        "invalid submit dead-lettered on sys.job.dlq",
      );
      return { kind: "term" };
    }
    const job: SubmittedJob = {
      jobId: req.jobId,
      topic: req.topic,
      tenant: req.envVars[TENANT_ENV_VAR] ?? "",
      createdAt: timestampToMs(msg.packet.createdAt) ?? this.deps.clock(),
    };
    // A deferred job's admit span joins the span that deferred it.
    const { traceId, traceparent } = msg.packet;
    const outcome = await withSender(traceId, traceparent, () => this.decide(job, msg.deliveryCount));
    if (outcome.kind !== "pending-state") return outcome.settle;
    if (outcome.state === undefined) {
      // Not in the store: a CortexOS v1 sender wrote ctx:<id> and published straight to NATS.
      await this.adoptV1Job(msg.packet.traceId, req);
      return (await this.decide(job, msg.deliveryCount)).settle;
    }
    if (outcome.state === JobState.Scheduled) {
      const current = await this.deps.store.getJob(job.jobId);
      if (current?.state === JobState.Scheduled) await this.dispatcher.dispatchIfLive(current);
    }
    return ACK;
  }

  private async adoptV1Job(traceId: string, req: JobRequest): Promise<void> {
    const created = await this.jobs.admission.adopt({
      jobId: req.jobId,
      traceId: traceId || newTraceId(),
      topic: req.topic,
      tenant: req.envVars[TENANT_ENV_VAR] || "default",
      priority: priorityName(req.priority),
      context: {},
      ...(req.adapterId ? { adapterId: req.adapterId } : {}),
      ...(req.parentJobId ? { parentJobId: req.parentJobId } : {}),
      ...(req.workflowId ? { workflowId: req.workflowId } : {}),
      ...(req.stepIndex ? { stepIndex: req.stepIndex } : {}),
      envVars: req.envVars,
    });
    if (created)
      this.deps.logger.info(
        { jobId: clip(req.jobId), topic: clip(req.topic) },
        "adopted a job submitted straight to the bus",
      );
  }

  /**
   * The PENDING job's admission (safety, route, SCHEDULED → dispatch). When the job is not
   * PENDING, returns its state (undefined = not in the store) for the caller to handle.
   */
  private async decide(job: SubmittedJob, deliveryCount: number): Promise<Decision> {
    const { clock, timeouts, logger } = this.deps;
    let outcome: TransitionOutcome;
    try {
      outcome = await this.jobs.admission.admitPending(job, this.dispatcher.hasLiveWorker(job.topic));
      this.safetyHealth.markUp();
    } catch (err) {
      if (!isCortexError(err, ErrorCode.SafetyUnavailable)) throw err;
      this.safetyHealth.markDown(clock());
      const deadline = job.createdAt + timeouts.reconciler.dispatch_timeout_seconds * 1000;
      const left = deadline - clock();
      logger.warn(
        { jobId: clip(job.jobId), code: err.code, error: err.message, msLeft: left },
        "safety check failed",
      );
      if (left > 0) return settled(retryLater(deliveryCount, left));
      outcome = await this.jobs.admission.failPending(job.jobId, SAFETY_UNAVAILABLE_REASON);
    }
    if (!outcome.ok) {
      return {
        kind: "pending-state",
        state: outcome.code === "not_found" ? undefined : outcome.current,
        settle: ACK,
      };
    }
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
