/**
 * ListApprovals and DecideApproval, shared by gRPC and HTTP. A key bound to a tenant sees and
 * decides its own tenant's held jobs, and also the jobs of other tenants whose rule names it
 * (its key name or tenant) as an approver. Such a job keeps its stored id (`<tenant>~<id>`) in
 * the answer, and that id is what DecideApproval takes back: "~" is outside the ids a caller
 * can give, so it never names one of the caller's own jobs.
 */
import { type Decider, isNamedApprover } from "../../core/approval.js";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { JobState } from "../../core/states.js";
import { TENANT_ID_SEP } from "../../core/tenant-job-id.js";
import type {
  ApprovalItem,
  DecideApprovalRequest,
  DecideApprovalResponse,
  ListApprovalsRequest,
  ListApprovalsResponse,
} from "../../gen/cortex/v1/api.js";
import { listJobsInState } from "../../jobs/list-jobs.js";
import type { JobRecord } from "../../store/job-store.js";
import { canSee, type Principal } from "./auth.js";
import { invalidArgument, jobNotFound } from "./grpc-errors.js";
import { MAX_LIST_LIMIT, type QueryDeps, withWaitingReason } from "./job-queries.js";
import { internalJobId, shownError, shownId, shownJobInfo } from "./tenant-ids.js";

const DEFAULT_LIMIT = 50;

export interface ApprovalDeps extends QueryDeps {
  /** The gateway checks API keys; without them every caller may decide (there is no identity). */
  keysEnabled: boolean;
}

export function deciderOf(deps: ApprovalDeps, principal: Principal): Decider {
  return { name: principal.name, tenant: principal.tenant, open: !deps.keysEnabled };
}

/** Whether the caller may see (and try to decide) this held job. */
function mayAttend(job: JobRecord, principal: Principal, decider: Decider): boolean {
  if (canSee(principal, job.tenant)) return true;
  return job.approval !== undefined && isNamedApprover(job.approval, decider);
}

/** The caller's job id as stored: its own namespace, or a foreign stored id it was shown. */
function storedIdOf(principal: Principal, id: string): string {
  return principal.tenant !== undefined && id.includes(TENANT_ID_SEP) ? id : internalJobId(principal, id);
}

/** A cursor is "<createdAt>:<jobId>" of the last job of the previous page (oldest first). */
function afterCursor(cursor: string): { at: number; id: string } | undefined {
  if (cursor === "") return undefined;
  const i = cursor.indexOf(":");
  const at = Number(cursor.slice(0, i));
  if (i <= 0 || !Number.isFinite(at)) {
    throw invalidArgument(
      "cursor",
      "is not a cursor ListApprovals handed out",
      "Pass next_cursor unchanged, or omit it.",
    );
  }
  return { at, id: cursor.slice(i + 1) };
}

export async function listApprovals(
  deps: ApprovalDeps,
  req: ListApprovalsRequest,
  principal: Principal,
): Promise<ListApprovalsResponse> {
  if (req.limit < 0) throw invalidArgument("limit", "must not be negative");
  const limit = Math.min(req.limit || DEFAULT_LIMIT, MAX_LIST_LIMIT);
  const after = afterCursor(req.cursor);
  const decider = deciderOf(deps, principal);
  // Held jobs are few (each waits for a human), so the whole state is read, oldest first.
  const held = (await listJobsInState(deps.store, JobState.AwaitingApproval)).filter(
    (job) =>
      job.approval !== undefined &&
      mayAttend(job, principal, decider) &&
      (req.tenant === "" || job.tenant === req.tenant) &&
      (after === undefined ||
        job.createdAt > after.at ||
        (job.createdAt === after.at && job.jobId > after.id)),
  );
  held.sort((a, b) => a.createdAt - b.createdAt || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0));
  const page = held.slice(0, limit);
  const approvals: ApprovalItem[] = await Promise.all(
    page.map(async (job) => {
      const context = await deps.store.getContext(job.jobId);
      return {
        job: shownJobInfo(principal, withWaitingReason(deps, job, principal)),
        contextJson: context === undefined ? "" : JSON.stringify(context),
      };
    }),
  );
  const last = page.at(-1);
  return {
    approvals,
    nextCursor: held.length > limit && last ? `${last.createdAt}:${last.jobId}` : "",
  };
}

export async function decideApproval(
  deps: ApprovalDeps,
  req: DecideApprovalRequest,
  principal: Principal,
): Promise<DecideApprovalResponse> {
  if (req.jobId === "") throw invalidArgument("job_id", "must not be empty");
  const jobId = storedIdOf(principal, req.jobId);
  const decider = deciderOf(deps, principal);
  const job = await deps.store.getJob(jobId);
  // Another tenant's job the caller may not decide is "not found", as everywhere else.
  if (job === undefined || !mayAttend(job, principal, decider)) throw jobNotFound(req.jobId);
  let decided: JobRecord;
  try {
    decided = await deps.jobs.decideApproval(
      {
        jobId,
        approve: req.approve,
        reason: req.reason,
        decider,
        ...(req.contentHash ? { contentHash: req.contentHash } : {}),
      },
      deps.liveTopic,
    );
  } catch (err) {
    throw shownDecisionError(principal, jobId, req.jobId, err);
  }
  deps.logger.info(
    { jobId, approve: req.approve, decider: decider.name, state: decided.state },
    "approval decided",
  );
  return { job: shownJobInfo(principal, withWaitingReason(deps, decided, principal)) };
}

/** Errors of the jobs layer name the stored id; the caller is told the id it gave. */
function shownDecisionError(principal: Principal, stored: string, given: string, err: unknown): unknown {
  if (principal.tenant === undefined || stored === given || !(err instanceof CortexError)) {
    return shownError(principal, err);
  }
  if (err.code === ErrorCode.JobExists) return shownError(principal, err);
  return new CortexError(err.code, err.message.replaceAll(stored, shownId(principal, stored)), {
    ...(err.hint === undefined ? {} : { hint: err.hint }),
    details: { ...err.details, jobId: given },
    cause: err,
  });
}
