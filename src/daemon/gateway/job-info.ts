/** Store records -> API messages. Absent optional values become the proto3 defaults ("" / 0). */
import { z } from "zod";
import type { JobEvent, JobInfo } from "../../gen/cortex/v1/api.js";
import type { JobProgress } from "../../gen/cortex/v1/bus.js";
import type { JobEventRecord, JobRecord } from "../../store/job-store.js";

export function toJobInfo(job: JobRecord): JobInfo {
  return {
    jobId: job.jobId,
    traceId: job.traceId,
    topic: job.topic,
    state: job.state,
    tenant: job.tenant,
    attempts: job.attempts,
    workerId: job.workerId ?? "",
    reason: job.reason ?? "",
    resultPtr: job.resultPtr ?? "",
    priority: job.priority,
    parentJobId: job.parentJobId ?? "",
    workflowId: job.workflowId ?? "",
    stepIndex: job.stepIndex ?? 0,
    createdAtMs: job.createdAt,
    updatedAtMs: job.updatedAt,
    scheduledAtMs: job.scheduledAt ?? 0,
    dispatchedAtMs: job.dispatchedAt ?? 0,
    startedAtMs: job.startedAt ?? 0,
    finishedAtMs: job.finishedAt ?? 0,
    adapterId: job.adapterId ?? "",
  };
}

/** `withResult`: keep a result published inline on a terminal event (SubmitAndWatch only). */
export function toJobEvent(ev: JobEventRecord, withResult = false): JobEvent {
  return {
    seq: ev.seq,
    atMs: ev.at,
    kind: ev.kind,
    jobId: ev.jobId,
    traceId: ev.traceId ?? "",
    topic: ev.topic ?? "",
    from: ev.from ?? "",
    to: ev.to ?? "",
    workerId: ev.workerId ?? "",
    reason: ev.reason ?? "",
    tenant: ev.tenant ?? "",
    text: ev.text ?? "",
    dropped: 0,
    attempt: ev.attempt ?? 0,
    resultJson: withResult ? (ev.resultJson ?? "") : "",
    errorCode: "",
    hint: "",
  };
}

/** Unknown keys are dropped: newer publishers may add fields this build does not stream. */
const eventRecordSchema = z.object({
  seq: z.number().int().nonnegative().default(0),
  at: z.number().optional(),
  kind: z.string().min(1),
  jobId: z.string().min(1),
  traceId: z.string().optional(),
  topic: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  workerId: z.string().optional(),
  reason: z.string().optional(),
  tenant: z.string().optional(),
  attempt: z.number().int().optional(),
  text: z.string().optional(),
  resultJson: z.string().optional(),
});

/**
 * Parses a `sys.job.event` payload. Publishers are cortex components, but the subject is
 * open to anyone on the bus, so a payload without the fields watchers filter on is
 * rejected (undefined) rather than streamed half-formed.
 */
export function parseEventRecord(data: Uint8Array): JobEventRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString("utf8"));
  } catch {
    return undefined;
  }
  const parsed = eventRecordSchema.safeParse(value);
  if (!parsed.success) return undefined;
  return { ...parsed.data, at: parsed.data.at ?? Date.now() };
}

/** A JobProgress packet as a watch event (seq 0: progress is not part of the stored history). */
export function progressToEvent(p: JobProgress, packetTraceId: string): JobEventRecord {
  return {
    seq: 0,
    at: Date.now(),
    kind: p.kind || "progress",
    jobId: p.jobId,
    traceId: p.traceId || packetTraceId,
    topic: p.topic,
    tenant: p.tenant,
    workerId: p.workerId,
    attempt: p.attempt,
    text: p.text,
  };
}
