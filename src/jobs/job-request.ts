/** The JobRequest packets of the job path, built from the job record (the store is the source of truth). */
import { newPacket } from "../bus/codec.js";
import { parsePriority } from "../core/priority.js";
/** CortexOS v1 workers read the tenant from env_vars. */
import { TENANT_ENV_VAR } from "../core/tenant.js";
import type { BusPacket, JobRequest } from "../gen/cortex/v1/bus.js";
import type { JobRecord } from "../store/job-store.js";

/** Contexts up to this size travel inside the dispatch; larger ones are read from ctx:<id>. */
export const INLINE_CONTEXT_MAX_BYTES = 16 * 1024;

export function jobRequestFor(
  job: JobRecord,
  attempt: number,
  timeoutMs: number,
  contextJson = "",
): JobRequest {
  const envVars: Record<string, string> = { ...(job.envVars ?? {}) };
  if (envVars[TENANT_ENV_VAR] === undefined && job.tenant !== "") envVars[TENANT_ENV_VAR] = job.tenant;
  return {
    jobId: job.jobId,
    topic: job.topic,
    priority: parsePriority(job.priority),
    contextPtr: job.contextPtr,
    adapterId: job.adapterId ?? "",
    envVars,
    parentJobId: job.parentJobId ?? "",
    workflowId: job.workflowId ?? "",
    stepIndex: job.stepIndex ?? 0,
    attempt,
    timeoutMs,
    contextJson: contextJson.length <= INLINE_CONTEXT_MAX_BYTES ? contextJson : "",
  };
}

export function jobRequestPacket(
  job: JobRecord,
  attempt: number,
  timeoutMs: number,
  senderId: string,
  contextJson?: string,
  traceparent = "",
): BusPacket {
  return newPacket(
    { $case: "jobRequest", jobRequest: jobRequestFor(job, attempt, timeoutMs, contextJson) },
    { traceId: job.traceId, senderId, traceparent },
  );
}

/** JetStream de-duplication ids: one submit per job, one publish per dispatch attempt. */
export const submitMsgId = (jobId: string): string => jobId;
export const dispatchMsgId = (jobId: string, attempt: number): string => `${jobId}:d${attempt}`;
