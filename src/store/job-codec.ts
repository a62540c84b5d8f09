/**
 * JobRecord <-> the `job:meta:<id>` hash. Field names are snake_case so `redis-cli hgetall`
 * reads like the design; values are strings, absent fields mean "not reached / not set".
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { PRIORITY_NAMES } from "../core/priority.js";
import { isJobState, isTerminal, type JobState } from "../core/states.js";
import type { JobEventRecord, JobPriorityName, JobRecord, NewJob } from "./job-store.js";

/** The meta field stamped when a job enters `state` ("" = none). */
export function timestampField(state: JobState): string {
  if (isTerminal(state)) return "finished_at";
  switch (state) {
    case "SCHEDULED":
      return "scheduled_at";
    case "DISPATCHED":
      return "dispatched_at";
    case "RUNNING":
      return "started_at";
    default:
      return "";
  }
}

/** Flat [field, value, ...] for HSET of a new job (state PENDING, attempts 0). */
export function encodeNewJob(job: NewJob, now: number, contextPtr: string): string[] {
  const fields: Record<string, string | undefined> = {
    job_id: job.jobId,
    trace_id: job.traceId,
    topic: job.topic,
    tenant: job.tenant,
    priority: job.priority,
    state: "PENDING",
    attempts: "0",
    context_ptr: contextPtr,
    created_at: String(now),
    updated_at: String(now),
    adapter_id: job.adapterId,
    parent_job_id: job.parentJobId,
    workflow_id: job.workflowId,
    step_index: job.stepIndex === undefined ? undefined : String(job.stepIndex),
    env_vars: job.envVars === undefined ? undefined : JSON.stringify(job.envVars),
  };
  const flat: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) flat.push(k, v);
  }
  return flat;
}

/** [k1, v1, k2, v2, ...] (a Lua HGETALL reply) -> object. */
export function pairsToRecord(flat: readonly unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

const optNum = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

function corrupt(jobId: string | undefined, field: string, value: unknown): CortexError {
  return new CortexError(ErrorCode.DecodeFailed, `job record ${jobId ?? "?"} has an invalid ${field}`, {
    hint: "The job's meta hash was changed outside cortex; inspect it with `redis-cli hgetall job:meta:<id>`.",
    details: { jobId, field, value },
  });
}

/** undefined for an empty hash (the job does not exist or expired). */
export function decodeJob(h: Record<string, string>): JobRecord | undefined {
  const jobId = h.job_id;
  if (jobId === undefined) return undefined;
  const state = h.state ?? "";
  if (!isJobState(state)) throw corrupt(jobId, "state", state);
  const priority = h.priority ?? "";
  if (!(PRIORITY_NAMES as readonly string[]).includes(priority)) throw corrupt(jobId, "priority", priority);
  let envVars: Record<string, string> | undefined;
  if (h.env_vars !== undefined) {
    try {
      envVars = JSON.parse(h.env_vars) as Record<string, string>;
    } catch {
      throw corrupt(jobId, "env_vars", h.env_vars);
    }
  }
  const rec: JobRecord = {
    jobId,
    traceId: h.trace_id ?? "",
    topic: h.topic ?? "",
    tenant: h.tenant ?? "",
    priority: priority as JobPriorityName,
    state,
    attempts: Number(h.attempts ?? "0"),
    contextPtr: h.context_ptr ?? "",
    createdAt: Number(h.created_at ?? "0"),
    updatedAt: Number(h.updated_at ?? "0"),
  };
  // Only set optional keys that are present, so records compare equal with toEqual.
  const optional: Partial<JobRecord> = {
    adapterId: h.adapter_id,
    parentJobId: h.parent_job_id,
    workflowId: h.workflow_id,
    stepIndex: optNum(h.step_index),
    envVars,
    workerId: h.worker_id,
    reason: h.reason,
    resultPtr: h.result_ptr,
    scheduledAt: optNum(h.scheduled_at),
    dispatchedAt: optNum(h.dispatched_at),
    startedAt: optNum(h.started_at),
    finishedAt: optNum(h.finished_at),
    lateResults: optNum(h.late_results),
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) (rec as unknown as Record<string, unknown>)[k] = v;
  }
  return rec;
}

export function decodeEvent(json: string): JobEventRecord {
  try {
    return JSON.parse(json) as JobEventRecord;
  } catch (cause) {
    throw new CortexError(ErrorCode.DecodeFailed, "a stored job event is not valid JSON", {
      hint: "An event list or the event stream was written outside cortex.",
      cause,
    });
  }
}

/**
 * JSON of an object without its opening brace, so a Lua script can prepend the seq it
 * allocates: `'{"seq":' .. seq .. ',' .. tail`.
 */
export function jsonTail(obj: Record<string, unknown>): string {
  return JSON.stringify(obj).slice(1);
}

export function toJson(value: unknown, what: string): string {
  try {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`${what} is not JSON-serialisable`);
    return json;
  } catch (cause) {
    throw new CortexError(ErrorCode.InvalidArgument, `the job ${what} cannot be stored as JSON`, { cause });
  }
}

export function parseJson(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new CortexError(ErrorCode.DecodeFailed, `the stored job ${what} is not valid JSON`, {
      hint: "The key was written outside cortex; inspect it with redis-cli.",
      cause,
    });
  }
}
