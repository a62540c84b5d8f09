/** A `jobs` row: the `job:meta:<id>` fields as columns, NULL for "not reached / not set". */
import { decodeJob } from "../job-codec.js";
import type { JobRecord, NewJob } from "../job-store.js";

export interface JobRow {
  job_id: string;
  trace_id: string;
  topic: string;
  tenant: string;
  priority: string;
  state: string;
  attempts: number;
  context_ptr: string;
  created_at: number;
  updated_at: number;
  adapter_id: string | null;
  parent_job_id: string | null;
  workflow_id: string | null;
  step_index: number | null;
  env_vars: string | null;
  worker_id: string | null;
  reason: string | null;
  result_ptr: string | null;
  scheduled_at: number | null;
  dispatched_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  late_results: number | null;
  fingerprint: string | null;
  reason_code: string | null;
  approval: string | null;
  expires_at: number | null;
}

export function newJobRow(
  job: NewJob,
  now: number,
  contextPtr: string,
  fingerprint: string,
  approval?: string,
): JobRow {
  return {
    job_id: job.jobId,
    trace_id: job.traceId,
    topic: job.topic,
    tenant: job.tenant,
    priority: job.priority,
    state: "PENDING",
    attempts: 0,
    context_ptr: contextPtr,
    created_at: now,
    updated_at: now,
    adapter_id: job.adapterId ?? null,
    parent_job_id: job.parentJobId ?? null,
    workflow_id: job.workflowId ?? null,
    step_index: job.stepIndex ?? null,
    env_vars: job.envVars === undefined ? null : JSON.stringify(job.envVars),
    worker_id: null,
    reason: null,
    result_ptr: null,
    scheduled_at: null,
    dispatched_at: null,
    started_at: null,
    finished_at: null,
    late_results: null,
    fingerprint,
    reason_code: null,
    approval: approval ?? null,
    expires_at: null,
  };
}

/** Decoded with the Redis hash codec, so both adapters return the same records. */
export function rowToJob(row: JobRow): JobRecord {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v !== null && v !== undefined) fields[k] = String(v);
  }
  return decodeJob(fields) as JobRecord;
}
