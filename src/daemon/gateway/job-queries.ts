/**
 * GetJobStatus, GetJob, ListJobs, CancelJob and a trace's jobs: reads and the one write a
 * user may make, shared by gRPC and HTTP. Each takes the caller: a key bound to a tenant
 * sees only that tenant's jobs, and another tenant's job is "not found", not "forbidden",
 * so ids of other tenants' jobs disclose nothing.
 */
import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { isValidTraceId } from "../../core/ids.js";
import { ALL_STATES, isJobState } from "../../core/states.js";
import type { HeldFacts } from "../../core/waiting-reason.js";
import type {
  CancelJobRequest,
  CancelJobResponse,
  GetJobRequest,
  GetJobResponse,
  GetJobStatusRequest,
  GetJobStatusResponse,
  JobInfo,
  ListJobsRequest,
  ListJobsResponse,
} from "../../gen/cortex/v1/api.js";
import type { JobLifecycle } from "../../jobs/index.js";
import type { JobRecord, JobStore, ListJobsQuery } from "../../store/job-store.js";
import { canSee, OPEN_PRINCIPAL, type Principal, scopedTenant } from "./auth.js";
import { invalidArgument, jobNotFound } from "./grpc-errors.js";
import { toJobEvent, toJobInfo } from "./job-info.js";
import type { PolicySource } from "./policy-queries.js";
import { internalJobId, shownId, shownJobEvent, shownJobInfo } from "./tenant-ids.js";

export const MAX_LIST_LIMIT = 1_000;
/** A cursor is a (score, job id) pair, well under this; longer ones are not ours. */
const MAX_CURSOR_CHARS = 1_024;
export const DEFAULT_CANCEL_REASON = "cancelled by user";

export interface QueryDeps {
  bus: Bus;
  store: JobStore;
  logger: Logger;
  /** Admission, cancels: every write goes through the jobs layer. */
  jobs: JobLifecycle;
  /** A worker of the topic's pool is live. */
  liveTopic(topic: string): boolean;
  /**
   * Why a job of this topic that no worker took waits ("" = a worker is live), or what a held
   * job waits for (`held`); see core/waiting-reason.ts.
   */
  waitingFor?(state: string, topic: string, held?: HeldFacts): string;
  /** ExplainPolicy and GET /api/v1/policy; absent, they answer SAFETY_UNAVAILABLE. */
  policySource?: PolicySource | undefined;
}

function requireJobId(jobId: string): void {
  if (jobId === "") throw invalidArgument("job_id", "must not be empty");
}

/**
 * The job if it exists and the caller may see it; JOB_NOT_FOUND otherwise. `jobId` is the
 * stored id (see internalJobId); the error names the id the caller gave.
 */
export async function loadJob(store: JobStore, jobId: string, principal: Principal): Promise<JobRecord> {
  requireJobId(jobId);
  const job = await store.getJob(jobId);
  if (job === undefined || !canSee(principal, job.tenant)) throw jobNotFound(shownId(principal, jobId));
  return job;
}

/** The CortexOS v1 call: status is the state name. */
export async function getJobStatus(
  deps: QueryDeps,
  req: GetJobStatusRequest,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<GetJobStatusResponse> {
  requireJobId(req.jobId);
  const job = await loadJob(deps.store, internalJobId(principal, req.jobId), principal);
  return { jobId: req.jobId, status: job.state, resultPtr: job.resultPtr ?? "" };
}

export async function getJob(
  deps: QueryDeps,
  req: GetJobRequest,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<GetJobResponse> {
  requireJobId(req.jobId);
  const job = await loadJob(deps.store, internalJobId(principal, req.jobId), principal);
  const [result, context, events] = await Promise.all([
    req.includeResult ? deps.store.getResult(job.jobId) : undefined,
    req.includeContext ? deps.store.getContext(job.jobId) : undefined,
    req.includeEvents ? deps.store.events(job.jobId) : [],
  ]);
  const info = withWaitingReason(deps, job, principal);
  return {
    job: shownJobInfo(principal, info),
    resultJson: result === undefined ? "" : JSON.stringify(result),
    contextJson: context === undefined ? "" : JSON.stringify(context),
    events: events.map((e) => shownJobEvent(principal, toJobEvent(e))),
  };
}

/** The job as the API shows it, with what it waits for (as the caller names it). */
export function withWaitingReason(deps: QueryDeps, job: JobRecord, principal: Principal): JobInfo {
  const info = toJobInfo(job);
  const held: HeldFacts | undefined =
    job.approval === undefined
      ? undefined
      : {
          jobId: shownId(principal, job.jobId),
          ruleId: job.approval.ruleId,
          expiresAt: job.approval.expiresAt,
          now: Date.now(),
        };
  info.waitingReason = deps.waitingFor?.(job.state, job.topic, held) ?? "";
  return info;
}

export async function listJobs(
  deps: QueryDeps,
  req: ListJobsRequest,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<ListJobsResponse> {
  const query: ListJobsQuery = {};
  if (req.state !== "") {
    const state = req.state.toUpperCase();
    if (!isJobState(state)) {
      throw invalidArgument(
        "state",
        `"${req.state}" is not a job state`,
        `Use one of ${ALL_STATES.join(", ")}.`,
      );
    }
    query.state = state;
  }
  if (req.limit < 0) throw invalidArgument("limit", "must not be negative");
  if (req.limit > 0) query.limit = Math.min(req.limit, MAX_LIST_LIMIT);
  if (req.topic !== "") query.topic = req.topic;
  const tenant = scopedTenant(principal, req.tenant);
  if (tenant !== "") query.tenant = tenant;
  if (req.cursor.length > MAX_CURSOR_CHARS) {
    throw invalidArgument(
      "cursor",
      `is ${req.cursor.length} characters, longer than any cursor cortex hands out`,
      "Pass the next_cursor of a previous page unchanged, or omit it to start from the newest job.",
    );
  }
  if (req.cursor !== "") query.cursor = req.cursor;
  // A bound caller's prefix is of its own ids, so it is mapped like a full id.
  if (req.idPrefix !== "") query.idPrefix = internalJobId(principal, req.idPrefix);
  const page = await deps.store.listJobs(query);
  // The cursor stays opaque: it may carry a stored id, but only of the caller's own tenant.
  return {
    jobs: page.jobs.map((job) => shownJobInfo(principal, toJobInfo(job))),
    nextCursor: page.nextCursor ?? "",
  };
}

/**
 * Any non-terminal job may be cancelled; the store's guarded transition decides, so a job
 * finishing at the same moment is either cancelled or reported in its terminal state.
 */
export async function cancelJob(
  deps: QueryDeps,
  req: CancelJobRequest,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<CancelJobResponse> {
  requireJobId(req.jobId);
  const jobId = internalJobId(principal, req.jobId);
  // A job's tenant never changes, so checking it before the transition is not a race.
  if (principal.tenant !== undefined) await loadJob(deps.store, jobId, principal);
  const reason = req.reason || DEFAULT_CANCEL_REASON;
  const outcome = await deps.jobs.stop(jobId, reason);
  if (!outcome.ok) {
    if (outcome.code === "not_found") throw jobNotFound(req.jobId);
    return { jobId: req.jobId, state: outcome.current, cancelled: false };
  }
  const { job } = outcome;
  deps.logger.info({ jobId: job.jobId, from: outcome.from, reason }, "job cancelled");
  return { jobId: req.jobId, state: job.state, cancelled: true };
}

/** The jobs of a trace the caller may see, in submit order; JOB_NOT_FOUND when there are none. */
export async function traceJobs(
  deps: QueryDeps,
  traceId: string,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<JobInfo[]> {
  if (!isValidTraceId(traceId)) {
    throw invalidArgument(
      "trace_id",
      `"${traceId}" is not a valid trace id`,
      "Trace ids are 32 lowercase hex digits.",
    );
  }
  const ids = await deps.store.traceJobs(traceId);
  const jobs = (await deps.store.getJobs(ids)).filter(
    (job): job is JobRecord => job !== undefined && canSee(principal, job.tenant),
  );
  if (jobs.length === 0) {
    throw new CortexError(ErrorCode.JobNotFound, `trace ${traceId} has no jobs`, {
      hint: "Check the id (a job's trace_id); finished jobs are forgotten after the retention period.",
      details: { traceId },
    });
  }
  return jobs.map((job) => shownJobInfo(principal, toJobInfo(job)));
}
