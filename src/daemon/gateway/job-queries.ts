/** GetJobStatus, GetJob, ListJobs and CancelJob: reads and the one write a user may make. */
import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import { newPacket } from "../../bus/codec.js";
import { ALL_STATES, isJobState, JobState } from "../../core/states.js";
import { Subjects } from "../../core/subjects.js";
import type {
  CancelJobRequest,
  CancelJobResponse,
  GetJobRequest,
  GetJobResponse,
  GetJobStatusRequest,
  GetJobStatusResponse,
  ListJobsRequest,
  ListJobsResponse,
} from "../../gen/cortex/v1/api.js";
import type { JobRecord, JobStore, ListJobsQuery } from "../../store/job-store.js";
import { invalidArgument, jobNotFound } from "./grpc-errors.js";
import { toJobEvent, toJobInfo } from "./job-info.js";
import { SENDER_ID } from "./submit-job.js";

export const MAX_LIST_LIMIT = 1_000;
export const DEFAULT_CANCEL_REASON = "cancelled by user";

export interface QueryDeps {
  bus: Bus;
  store: JobStore;
  logger: Logger;
}

function requireJobId(jobId: string): void {
  if (jobId === "") throw invalidArgument("job_id", "must not be empty");
}

async function loadJob(store: JobStore, jobId: string): Promise<JobRecord> {
  requireJobId(jobId);
  const job = await store.getJob(jobId);
  if (job === undefined) throw jobNotFound(jobId);
  return job;
}

/** The CortexOS v1 call: status is the state name. */
export async function getJobStatus(deps: QueryDeps, req: GetJobStatusRequest): Promise<GetJobStatusResponse> {
  const job = await loadJob(deps.store, req.jobId);
  return { jobId: job.jobId, status: job.state, resultPtr: job.resultPtr ?? "" };
}

export async function getJob(deps: QueryDeps, req: GetJobRequest): Promise<GetJobResponse> {
  const job = await loadJob(deps.store, req.jobId);
  const [result, context, events] = await Promise.all([
    req.includeResult ? deps.store.getResult(job.jobId) : undefined,
    req.includeContext ? deps.store.getContext(job.jobId) : undefined,
    req.includeEvents ? deps.store.events(job.jobId) : [],
  ]);
  return {
    job: toJobInfo(job),
    resultJson: result === undefined ? "" : JSON.stringify(result),
    contextJson: context === undefined ? "" : JSON.stringify(context),
    events: events.map(toJobEvent),
  };
}

export async function listJobs(deps: QueryDeps, req: ListJobsRequest): Promise<ListJobsResponse> {
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
  if (req.tenant !== "") query.tenant = req.tenant;
  if (req.cursor !== "") query.cursor = req.cursor;
  const page = await deps.store.listJobs(query);
  return { jobs: page.jobs.map(toJobInfo), nextCursor: page.nextCursor ?? "" };
}

/**
 * Any non-terminal job may be cancelled; the store's guarded transition decides, so a job
 * finishing at the same moment is either cancelled or reported in its terminal state.
 */
export async function cancelJob(deps: QueryDeps, req: CancelJobRequest): Promise<CancelJobResponse> {
  requireJobId(req.jobId);
  const reason = req.reason || DEFAULT_CANCEL_REASON;
  const outcome = await deps.store.transition({ jobId: req.jobId, to: JobState.Cancelled, reason });
  if (!outcome.ok) {
    if (outcome.code === "not_found") throw jobNotFound(req.jobId);
    return { jobId: req.jobId, state: outcome.current, cancelled: false };
  }
  const { job, event } = outcome;
  // The store already says CANCELLED; a lost signal only means the worker runs on until
  // it finds the job terminal, so publish failures are logged rather than returned.
  try {
    await deps.bus.publish(
      Subjects.jobCancel,
      newPacket(
        { $case: "jobCancel", jobCancel: { jobId: job.jobId, reason } },
        {
          traceId: job.traceId,
          senderId: SENDER_ID,
        },
      ),
    );
    await deps.bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify(event), "utf8"));
  } catch (err) {
    deps.logger.warn(
      { jobId: job.jobId, err },
      "job cancelled in the store but the cancel signal was not published",
    );
  }
  deps.logger.info({ jobId: job.jobId, from: outcome.from, reason }, "job cancelled");
  return { jobId: job.jobId, state: job.state, cancelled: true };
}
