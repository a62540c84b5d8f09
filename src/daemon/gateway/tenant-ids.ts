/**
 * The one place the gateway maps job ids between what a tenant-bound caller names and what
 * the store keeps (see core/tenant-job-id.ts). Unbound callers (admin keys, no auth) use the
 * stored ids as they are; v1 bus submits never pass through here.
 */
import { CortexError, ErrorCode, isCortexError } from "../../core/errors.js";
import { shownJobId, tenantJobId } from "../../core/tenant-job-id.js";
import type { DeadLetterInfo, JobEvent, JobInfo } from "../../gen/cortex/v1/api.js";
import type { NewJob } from "../../store/job-store.js";
import type { Principal } from "./auth.js";

/** The stored id of a job id the caller named; "" (none) stays "". */
export function internalJobId(principal: Principal, id: string): string {
  return principal.tenant === undefined || id === "" ? id : tenantJobId(principal.tenant, id);
}

/** A stored job id as the caller sees it. */
export function shownId(principal: Principal, id: string): string {
  return principal.tenant === undefined || id === "" ? id : shownJobId(principal.tenant, id);
}

/** A validated job of the caller, with its own and its parent's id in the caller's namespace. */
export function namespacedJob(principal: Principal, job: NewJob): NewJob {
  if (principal.tenant === undefined) return job;
  const out: NewJob = { ...job, jobId: internalJobId(principal, job.jobId) };
  if (job.parentJobId !== undefined) out.parentJobId = internalJobId(principal, job.parentJobId);
  return out;
}

export function shownJobInfo(principal: Principal, info: JobInfo): JobInfo {
  if (principal.tenant === undefined) return info;
  return {
    ...info,
    jobId: shownId(principal, info.jobId),
    parentJobId: shownId(principal, info.parentJobId),
    // The orchestrator names a workflow after its root job's stored id.
    workflowId: shownId(principal, info.workflowId),
  };
}

export function shownJobEvent(principal: Principal, ev: JobEvent): JobEvent {
  if (principal.tenant === undefined || ev.jobId === "") return ev;
  return { ...ev, jobId: shownId(principal, ev.jobId) };
}

export function shownDeadLetter(principal: Principal, letter: DeadLetterInfo): DeadLetterInfo {
  if (principal.tenant === undefined) return letter;
  return { ...letter, jobId: shownId(principal, letter.jobId) };
}

/** JOB_EXISTS names the stored id; a bound caller is told the id it gave. */
export function shownError(principal: Principal, err: unknown): unknown {
  if (principal.tenant === undefined || !isCortexError(err, ErrorCode.JobExists)) return err;
  const jobId = err.details?.jobId;
  if (typeof jobId !== "string") return err;
  const shown = shownId(principal, jobId);
  return new CortexError(ErrorCode.JobExists, err.message.replace(jobId, shown), {
    ...(err.hint === undefined ? {} : { hint: err.hint }),
    details: { ...err.details, jobId: shown },
    cause: err,
  });
}
