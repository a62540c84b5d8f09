/**
 * JobRecord <-> the `job:meta:<id>` hash. Field names are snake_case so `redis-cli hgetall`
 * reads like the design; values are strings, absent fields mean "not reached / not set".
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { PRIORITY_NAMES } from "../core/priority.js";
import { isJobState, isTerminal, type JobState } from "../core/states.js";
import type { JobEventRecord, JobPriorityName, JobRecord, NewJob } from "./job-store.js";
import { approvalField, corruptField, envVarsField, finiteField, int32Field } from "./record-fields.js";

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

/** undefined for an empty hash (the job does not exist or expired); DECODE_FAILED for a corrupt one. */
export function decodeJob(h: Record<string, string>): JobRecord | undefined {
  const jobId = h.job_id;
  if (jobId === undefined) return undefined;
  const state = h.state ?? "";
  if (!isJobState(state)) throw corruptField(jobId, "state", state);
  const priority = h.priority ?? "";
  if (!(PRIORITY_NAMES as readonly string[]).includes(priority))
    throw corruptField(jobId, "priority", priority);
  const time = (field: string) => finiteField(jobId, field, h[field]);
  const rec: JobRecord = {
    jobId,
    traceId: h.trace_id ?? "",
    topic: h.topic ?? "",
    tenant: h.tenant ?? "",
    priority: priority as JobPriorityName,
    state,
    attempts: int32Field(jobId, "attempts", h.attempts) ?? 0,
    contextPtr: h.context_ptr ?? "",
    createdAt: time("created_at") ?? 0,
    updatedAt: time("updated_at") ?? 0,
  };
  // Only set optional keys that are present, so records compare equal with toEqual.
  const optional: Partial<JobRecord> = {
    adapterId: h.adapter_id,
    parentJobId: h.parent_job_id,
    workflowId: h.workflow_id,
    stepIndex: int32Field(jobId, "step_index", h.step_index),
    envVars: envVarsField(jobId, h.env_vars),
    workerId: h.worker_id,
    reason: h.reason,
    resultPtr: h.result_ptr,
    scheduledAt: time("scheduled_at"),
    dispatchedAt: time("dispatched_at"),
    startedAt: time("started_at"),
    finishedAt: time("finished_at"),
    lateResults: int32Field(jobId, "late_results", h.late_results),
    approval: approvalField(jobId, h.approval),
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) (rec as unknown as Record<string, unknown>)[k] = v;
  }
  return rec;
}

export function decodeEvent(json: string): JobEventRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw badEvent(cause);
  }
  // Only the shape every reader relies on; the hot path (each transition) stays a plain parse.
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof (parsed as { jobId?: unknown }).jobId !== "string"
  ) {
    throw badEvent(undefined);
  }
  return parsed as JobEventRecord;
}

function badEvent(cause: unknown): CortexError {
  return new CortexError(ErrorCode.DecodeFailed, "a stored job event is not a JSON event object", {
    hint: "An event list or the event stream was written outside cortex; readers skip the entry.",
    details: { field: "event" },
    ...(cause === undefined ? {} : { cause }),
  });
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
