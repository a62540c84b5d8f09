/**
 * Admission, where a job arrives: safety policy, route, then the record, ctx and the moves
 * in one store step, and the dispatch as one durable publish. A job is never dispatched
 * unchecked: when the policy cannot be evaluated the job waits PENDING on `sys.job.submit`
 * for the scheduler to check it again (or the caller is told to retry).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { poolForTopic } from "../config/index.js";
import type { ApprovalRecord } from "../core/approval.js";
import { CortexError, ErrorCode, isCortexError } from "../core/errors.js";
import { jobFingerprint, NOT_QUEUED } from "../core/job-fingerprint.js";
import { JobState } from "../core/states.js";
import { Subjects } from "../core/subjects.js";
import { activeTraceparent, annotate, inSpan, jobParent, tracingEnabled } from "../core/tracing.js";
import type { AdmitOutcome, JobRecord, MoveStep, NewJob, TransitionOutcome } from "../store/job-store.js";
import { type ApprovalHold, approvalRecord, holdReason, storedContent } from "./approvals.js";
import type { JobsDeps, PolicyGate } from "./deps.js";
import type { Dispatch } from "./dispatch.js";
import type { EventFeed } from "./event-feed.js";
import { jobRequestPacket, submitMsgId } from "./job-request.js";
import type { Moves } from "./moves.js";

export const SAFETY_UNAVAILABLE_REASON = "safety kernel unavailable";

export function noPoolReason(topic: string): string {
  return `no pool for topic ${topic} (add it to config/pools.yaml)`;
}

/**
 * Where admission left a job. "deferred": PENDING, waiting for the policy on sys.job.submit.
 * "existing": the same tenant submitted the same job under this id before; `job` is that job.
 */
export type Admitted = {
  job: JobRecord;
  outcome: "dispatched" | "scheduled" | "denied" | "failed" | "deferred" | "existing" | "held";
};

export interface AdmitOptions {
  /** A worker of the job's pool is live: dispatch now rather than wait in SCHEDULED. */
  live: boolean;
  /** ctx:<id> is already stored (a CortexOS v1 sender wrote it). */
  contextStored?: boolean;
  /** When the policy cannot answer: leave the job PENDING for the scheduler ("defer"), or throw. */
  onSafetyDown: "defer" | "throw";
  /**
   * The client's retry of a submit that may have reached another gateway: an existing job is
   * answered only once the first admission's publish must have settled.
   */
  retry?: boolean;
}

/** States a job holds while its admission may still be publishing it. */
const MAY_AWAIT_PUBLISH: ReadonlySet<JobState> = new Set([
  JobState.Pending,
  JobState.Scheduled,
  JobState.Dispatched,
]);

interface Decision {
  steps: MoveStep[];
  outcome: Admitted["outcome"];
  /** With "held": the rule's terms, made into the job's approval record. */
  hold?: ApprovalHold;
}

export class Admission {
  private readonly inFlight = new Map<
    string,
    { admission: Promise<Admitted>; fingerprint: string; tenant: string }
  >();
  constructor(
    private readonly deps: JobsDeps,
    private readonly policy: PolicyGate | undefined,
    private readonly moves: Moves,
    private readonly dispatch: Dispatch,
    private readonly feed: EventFeed,
  ) {}

  /**
   * Idempotent by job id: the same job again answers with the existing one, whatever its state.
   * Throws JOB_EXISTS when the id holds other content (nothing is written), SAFETY_UNAVAILABLE
   * with "throw".
   */
  async admit(job: NewJob, opts: AdmitOptions): Promise<Admitted> {
    // A client that timed out retries with the same id while the first admission still waits
    // for its publish: the retry gets that admission's own outcome (its failure included), so
    // it is never told "accepted" for a job the first one then marks not queued.
    const fingerprint = jobFingerprint(job);
    const first = this.inFlight.get(job.jobId);
    if (first !== undefined) {
      if (first.tenant !== job.tenant || first.fingerprint !== fingerprint) throw jobExists(job.jobId);
      return { job: (await first.admission).job, outcome: "existing" };
    }
    const admission = tracingEnabled() ? this.tracedAdmit(job, opts) : this.admitOnce(job, opts);
    this.inFlight.set(job.jobId, { admission, fingerprint, tenant: job.tenant });
    try {
      return await admission;
    } finally {
      this.inFlight.delete(job.jobId);
    }
  }

  private tracedAdmit(job: NewJob, opts: AdmitOptions): Promise<Admitted> {
    return inSpan("admit", { parent: jobParent(job.traceId), attributes: jobAttributes(job) }, async () => {
      const admitted = await this.admitOnce(job, opts);
      annotate({ "cortex.admit.outcome": admitted.outcome });
      return admitted;
    });
  }

  private async admitOnce(job: NewJob, opts: AdmitOptions): Promise<Admitted> {
    if (this.policy === undefined) return this.defer(job, opts);
    let decision: Decision;
    try {
      decision = await this.decide(job, opts.live);
    } catch (err) {
      if (opts.onSafetyDown === "throw" || !isCortexError(err, ErrorCode.SafetyUnavailable)) throw err;
      return this.defer(job, opts);
    }
    let approval: ApprovalRecord | undefined;
    if (decision.hold) {
      const content = opts.contextStored ? await storedContent(this.deps.store, job) : job;
      approval = approvalRecord(decision.hold, content, this.now());
    }
    const admitted = await this.deps.store.admitJob({
      job,
      steps: decision.steps,
      ...(opts.contextStored ? { contextStored: true } : {}),
      ...(approval ? { approval } : {}),
    });
    if (!admitted.ok) return this.existingOrReadmit(job, opts, admitted);
    this.decided(job.topic, decision.outcome);
    this.moves.announced(admitted.job);
    if (decision.outcome === "dispatched") {
      const contextJson = opts.contextStored ? undefined : JSON.stringify(job.context);
      try {
        await this.dispatch.publish(admitted.job, contextJson);
      } catch (err) {
        this.feed.publish(admitted.events);
        await this.failUnqueued(job.jobId, err);
        throw err;
      }
    }
    this.feed.publish(admitted.events);
    return { job: admitted.job, outcome: decision.outcome };
  }

  /**
   * A PENDING job (deferred, or re-published by the reconciler) gets its decision now.
   * Returns the transition's outcome; not ok when the job was not PENDING (already decided).
   */
  async admitPending(
    job: { jobId: string; topic: string; tenant: string },
    live: boolean,
  ): Promise<TransitionOutcome> {
    if (!tracingEnabled()) return this.admitPendingNow(job, live);
    // Only traced: the job's trace id is in the store, not in what the caller passes.
    const stored = await this.deps.store.getJob(job.jobId);
    const parent = stored ? jobParent(stored.traceId) : undefined;
    return inSpan("admit", { ...(parent ? { parent } : {}), attributes: jobAttributes(job) }, () =>
      this.admitPendingNow(job, live),
    );
  }

  private async admitPendingNow(
    job: { jobId: string; topic: string; tenant: string },
    live: boolean,
  ): Promise<TransitionOutcome> {
    const decision = await this.decide(job, live);
    const [first, second] = decision.steps;
    if (!first) throw new CortexError(ErrorCode.Internal, `no admission step for job ${job.jobId}`);
    let approval: ApprovalRecord | undefined;
    if (decision.hold) {
      const stored = await this.deps.store.getJob(job.jobId);
      if (stored === undefined) return { ok: false, code: "not_found" };
      approval = approvalRecord(decision.hold, await storedContent(this.deps.store, stored), this.now());
    }
    const outcome = await this.moves.apply({
      jobId: job.jobId,
      to: first.to,
      from: [JobState.Pending],
      ...(first.reason ? { reason: first.reason } : {}),
      ...(second ? { andThen: second.to } : {}),
      ...(approval ? { approval } : {}),
    });
    if (!outcome.ok) return outcome;
    this.decided(job.topic, decision.outcome);
    if (decision.outcome === "dispatched") await this.dispatch.publish(outcome.job);
    return outcome;
  }

  /** Records a job a CortexOS v1 sender published straight to sys.job.submit (ctx:<id> is theirs); false when it exists. */
  async adopt(job: NewJob): Promise<boolean> {
    const admitted = await this.deps.store.admitJob({ job, steps: [], contextStored: true });
    if (!admitted.ok) return false;
    this.feed.publish(admitted.events);
    return true;
  }

  /** FAILED with the reason, from PENDING (the policy stayed down past the dispatch timeout). */
  failPending(jobId: string, reason: string): Promise<TransitionOutcome> {
    return this.moves.apply({ jobId, to: JobState.Failed, from: [JobState.Pending], reason });
  }

  private async decide(
    job: { jobId: string; topic: string; tenant: string },
    live: boolean,
  ): Promise<Decision> {
    if (this.policy === undefined) {
      throw new CortexError(ErrorCode.SafetyUnavailable, "no safety policy in this process", {
        hint: "Run the scheduler with a safety kernel (SAFETY_KERNEL_ADDR) or the safety component.",
      });
    }
    const verdict = await this.policy.check({ jobId: job.jobId, topic: job.topic, tenant: job.tenant });
    annotate({ "cortex.policy.decision": verdict.decision, "cortex.policy.rule_id": verdict.ruleId ?? "" });
    const held = verdict.decision === "REQUIRE_APPROVAL" && verdict.approval !== undefined;
    if (verdict.decision !== "ALLOW" && !held) {
      return {
        steps: [{ to: JobState.Denied, reason: verdict.reason || "denied by the safety kernel" }],
        outcome: "denied",
      };
    }
    if (poolForTopic(this.deps.pools, job.topic) === undefined) {
      return { steps: [{ to: JobState.Failed, reason: noPoolReason(job.topic) }], outcome: "failed" };
    }
    if (held && verdict.approval !== undefined) {
      // Routed first: nobody is asked to approve a job that could never run.
      const ruleId = verdict.ruleId ?? "";
      const hold = { ruleId, ruleReason: verdict.reason, terms: verdict.approval };
      return {
        steps: [{ to: JobState.AwaitingApproval, reason: holdReason(ruleId) }],
        outcome: "held",
        hold,
      };
    }
    if (!live) return { steps: [{ to: JobState.Scheduled }], outcome: "scheduled" };
    return { steps: [{ to: JobState.Scheduled }, { to: JobState.Dispatched }], outcome: "dispatched" };
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  private decided(topic: string, outcome: Admitted["outcome"]): void {
    this.deps.observer?.decided?.(topic);
    if (outcome === "denied") this.deps.observer?.denied?.(topic);
    if (outcome === "held") this.deps.observer?.held?.(topic);
  }

  /** PENDING in the store, then the submit for the scheduler, which checks the policy again. */
  private async defer(job: NewJob, opts: AdmitOptions): Promise<Admitted> {
    const admitted = await this.deps.store.admitJob({
      job,
      steps: [],
      ...(opts.contextStored ? { contextStored: true } : {}),
    });
    if (!admitted.ok) return this.existingOrReadmit(job, opts, admitted);
    this.feed.publish(admitted.events);
    await this.publishSubmit(admitted.job);
    return { job: admitted.job, outcome: "deferred" };
  }

  /**
   * The same submit again. Its job may still wait for the first admission's publish in another
   * process (young, not running yet): then the answer waits until that publish must have
   * settled, so a job it marked not queued is admitted again here instead of being reported
   * accepted. Only a client's retries pay this wait; a plain duplicate submit is answered at once.
   */
  private async existingOrReadmit(
    job: NewJob,
    opts: AdmitOptions,
    taken: Extract<AdmitOutcome, { ok: false }>,
  ): Promise<Admitted> {
    const answer = existing(job, taken);
    const settleMs = this.deps.bus.publishSettleMs;
    if (opts.retry !== true || settleMs === undefined || !MAY_AWAIT_PUBLISH.has(taken.current)) return answer;
    const wait = taken.job.createdAt + settleMs - (this.deps.clock ?? Date.now)();
    if (wait <= 0) return answer;
    // Bounded: a clock skew between gateways must not hold a retry longer than the publish could.
    await sleep(Math.min(wait, settleMs));
    return this.admitOnce(job, opts);
  }

  /** The msgId is the job id: a second publish of the same job is dropped by JetStream. */
  async publishSubmit(job: JobRecord): Promise<void> {
    try {
      await this.deps.bus.publishDurable(
        Subjects.jobSubmit,
        jobRequestPacket(job, 0, 0, this.deps.senderId, undefined, activeTraceparent()),
        { msgId: submitMsgId(job.jobId) },
      );
    } catch (err) {
      await this.failUnqueued(job.jobId, err);
      throw err;
    }
  }

  /**
   * The caller is told the submit failed, so the stored job must not look accepted: FAILED
   * (best effort). Should the publish have reached the bus after all, the worker finds the
   * job terminal and skips it.
   */
  private async failUnqueued(jobId: string, cause: unknown): Promise<void> {
    try {
      await this.moves.apply({
        jobId,
        to: JobState.Failed,
        from: [JobState.Pending, JobState.Scheduled, JobState.Dispatched],
        reason: "not queued: the bus was unavailable at submit",
        // the store re-admits such a job when the same submit comes again
        reasonCode: NOT_QUEUED,
      });
    } catch (err) {
      this.deps.logger.warn({ jobId, err, cause }, "could not mark an unqueued job FAILED");
    }
  }
}

/**
 * The same submit again (same tenant, same fingerprint) is answered with the job it made.
 * Anything else under a taken id is JOB_EXISTS, with the same message whoever owns the job.
 * Callers with a tenant-bound key never meet another tenant's job here: the gateway keeps
 * their ids in their tenant's namespace (`<tenant>~<id>`, daemon/gateway/tenant-ids.ts).
 * Admin keys and v1 bus senders share one global keyspace and may learn an id is in use,
 * never the job's state, trace or content.
 */
function existing(job: NewJob, taken: Extract<AdmitOutcome, { ok: false }>): Admitted {
  const same = taken.job.tenant === job.tenant && taken.fingerprint === jobFingerprint(job);
  if (!same) throw jobExists(job.jobId);
  return { job: taken.job, outcome: "existing" };
}

function jobAttributes(job: { jobId: string; topic: string }): Record<string, string> {
  return { "cortex.job.id": job.jobId, "cortex.job.topic": job.topic };
}

function jobExists(jobId: string): CortexError {
  return new CortexError(ErrorCode.JobExists, `job id ${jobId} is already in use`, {
    hint: "Submit with another job id, or none to get a new one.",
    details: { jobId },
  });
}
