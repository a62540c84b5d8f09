/**
 * Jobs a require_approval rule held: the record made at the hold, a human's decision (approve
 * → SCHEDULED and on, reject → DENIED) and expiry. Every decision is one guarded move from
 * AWAITING_APPROVAL that also writes the decided record, so of two deciders exactly one wins.
 */
import {
  APPROVAL_EXPIRED_REASON,
  type ApprovalDecision,
  type ApprovalRecord,
  type ApprovedContent,
  approvalContentHash,
  approvalRefusal,
  type Decider,
} from "../core/approval.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import type { ApprovalTerms } from "../core/policy.js";
import { JobState } from "../core/states.js";
import type { JobRecord, JobStore, TransitionOutcome } from "../store/job-store.js";
import type { JobsDeps } from "./deps.js";
import type { Dispatch } from "./dispatch.js";
import type { Moves } from "./moves.js";

/** What the policy said when it held a job. */
export interface ApprovalHold {
  /** "" when the default effect held it. */
  ruleId: string;
  ruleReason: string;
  terms: ApprovalTerms;
}

export function holdReason(ruleId: string): string {
  return `waiting for approval (rule ${ruleId || "(default)"})`;
}

export function approvalRecord(hold: ApprovalHold, content: ApprovedContent, now: number): ApprovalRecord {
  return {
    ruleId: hold.ruleId,
    ruleReason: hold.ruleReason,
    approvers: [...hold.terms.approvers],
    requestedAt: now,
    expiresAt: now + hold.terms.expiresAfterMs,
    contentHash: approvalContentHash(content),
  };
}

/** The job's content as stored (ctx:<id>, topic, env): what an approval is given for. */
export async function storedContent(
  store: JobStore,
  job: { jobId: string; topic: string; envVars?: Record<string, string> | undefined },
): Promise<ApprovedContent> {
  const context = (await store.getContext(job.jobId)) ?? {};
  return { topic: job.topic, context, envVars: job.envVars };
}

export interface ApprovalDecisionRequest {
  jobId: string;
  approve: boolean;
  /** Required to reject. */
  reason: string;
  decider: Decider;
  /** The content hash the decider saw; undefined or "" = whatever is held now. */
  contentHash?: string | undefined;
}

export class Approvals {
  constructor(
    private readonly deps: JobsDeps,
    private readonly moves: Moves,
    private readonly dispatch: Dispatch,
  ) {}

  /**
   * Approve or reject a held job. `live` says whether a worker of the topic's pool is live
   * (then the approved job is dispatched at once). Throws JOB_NOT_FOUND, NOT_AWAITING_APPROVAL,
   * PERMISSION_DENIED, INVALID_ARGUMENT (reject without a reason) or APPROVAL_STALE.
   */
  async decide(req: ApprovalDecisionRequest, live: (topic: string) => boolean): Promise<JobRecord> {
    const reason = req.reason.trim();
    if (!req.approve && reason === "") {
      throw new CortexError(ErrorCode.InvalidArgument, "reason: a rejection needs a reason", {
        hint: "Say why, e.g. `cortex reject <id> --reason 'not during the freeze'`.",
      });
    }
    const job = await this.deps.store.getJob(req.jobId);
    if (job === undefined) throw notFound(req.jobId);
    const approval = job.approval;
    if (job.state !== JobState.AwaitingApproval || approval === undefined) {
      throw notAwaiting(req.jobId, job.state);
    }
    const refusal = approvalRefusal(approval, job.tenant, req.decider);
    if (refusal !== undefined) {
      throw new CortexError(ErrorCode.PermissionDenied, refusal, {
        hint: "Ask one of the rule's approvers (or a key of the job's tenant) to decide.",
        details: { jobId: req.jobId },
      });
    }
    // Rejecting is always safe; only an approval must be of the content it was asked for.
    if (req.approve) await this.checkContent(job, approval, req.contentHash);
    const now = this.now();
    const decision: ApprovalDecision = req.approve ? "approved" : "rejected";
    const decided: ApprovalRecord = {
      ...approval,
      decision,
      decidedBy: req.decider.name,
      decidedAt: now,
      ...(reason ? { decisionReason: reason } : {}),
    };
    const said = `${decision} by ${req.decider.name}${reason ? `: ${reason}` : ""}`;
    const dispatchNow = req.approve && live(job.topic);
    const outcome = await this.moves.apply({
      jobId: req.jobId,
      to: req.approve ? JobState.Scheduled : JobState.Denied,
      from: [JobState.AwaitingApproval],
      reason: said,
      approval: decided,
      ...(dispatchNow ? { andThen: JobState.Dispatched } : {}),
    });
    const moved = this.settled(req.jobId, outcome);
    this.deps.observer?.approvalDecided?.(decision, now - approval.requestedAt);
    if (moved.state !== JobState.Dispatched) return moved;
    try {
      await this.dispatch.publish(moved);
    } catch (err) {
      // The approval stands: the job went back to SCHEDULED and the next pass dispatches it.
      this.deps.logger.warn({ err, jobId: req.jobId }, "approved job not dispatched yet; it waits SCHEDULED");
      return (await this.deps.store.getJob(req.jobId)) ?? moved;
    }
    return moved;
  }

  /** DENIED "approval expired" when the job is past its approval's expiry; false otherwise. */
  async expireIfDue(job: JobRecord): Promise<boolean> {
    const approval = job.approval;
    const now = this.now();
    if (job.state !== JobState.AwaitingApproval || approval === undefined || now < approval.expiresAt) {
      return false;
    }
    const outcome = await this.moves.apply({
      jobId: job.jobId,
      to: JobState.Denied,
      from: [JobState.AwaitingApproval],
      reason: APPROVAL_EXPIRED_REASON,
      approval: { ...approval, decision: "expired", decidedBy: "", decidedAt: now },
    });
    if (!outcome.ok) return false;
    this.deps.observer?.approvalDecided?.("expired", now - approval.requestedAt);
    return true;
  }

  private async checkContent(job: JobRecord, approval: ApprovalRecord, seen: string | undefined) {
    const now = approvalContentHash(await storedContent(this.deps.store, job));
    if (now !== approval.contentHash) {
      throw stale(
        job.jobId,
        `job ${job.jobId} changed since its approval was requested`,
        "Look at the job again (`cortex job <id>`) and decide on what it holds now: reject it, or submit it again for a new approval.",
      );
    }
    if (seen && seen !== approval.contentHash) {
      throw stale(
        job.jobId,
        `job ${job.jobId} is not the content you looked at (content hash ${seen.slice(0, 12)}…)`,
        "Look at the job again (`cortex approvals`) and decide on what it holds now.",
      );
    }
  }

  private settled(jobId: string, outcome: TransitionOutcome): JobRecord {
    if (outcome.ok) return outcome.job;
    if (outcome.code === "not_found") throw notFound(jobId);
    throw notAwaiting(jobId, outcome.current);
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }
}

function notFound(jobId: string): CortexError {
  return new CortexError(ErrorCode.JobNotFound, `job ${jobId} not found`, {
    hint: "Check the id with `cortex approvals` or `cortex jobs`.",
    details: { jobId },
  });
}

function notAwaiting(jobId: string, state: JobState): CortexError {
  return new CortexError(
    ErrorCode.NotAwaitingApproval,
    `job ${jobId} is ${state}, not waiting for approval`,
    {
      hint: "Someone decided already, it expired or it was cancelled; see `cortex job <id>`.",
      details: { jobId, state },
    },
  );
}

function stale(jobId: string, message: string, hint: string): CortexError {
  return new CortexError(ErrorCode.ApprovalStale, message, { hint, details: { jobId } });
}
