/** Store records -> API messages. Absent optional values become the proto3 defaults ("" / 0). */
import type { ApprovalRecord } from "../../core/approval.js";
import type { ApprovalInfo, JobEvent, JobInfo } from "../../gen/cortex/v1/api.js";
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
    waitingReason: "",
    approval: job.approval === undefined ? undefined : toApprovalInfo(job.approval),
  };
}

export function toApprovalInfo(a: ApprovalRecord): ApprovalInfo {
  return {
    ruleId: a.ruleId,
    ruleReason: a.ruleReason,
    approvers: [...a.approvers],
    requestedAtMs: a.requestedAt,
    expiresAtMs: a.expiresAt,
    contentHash: a.contentHash,
    decision: a.decision ?? "",
    decidedBy: a.decidedBy ?? "",
    decidedAtMs: a.decidedAt ?? 0,
    decisionReason: a.decisionReason ?? "",
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
