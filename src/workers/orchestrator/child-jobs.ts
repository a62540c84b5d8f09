/**
 * Child jobs of a workflow go the way every job goes: admitted by the jobs layer (safety,
 * route, dispatch). Ids are deterministic, so a redelivered orchestrator finds what it
 * already submitted and reuses it instead of running a step twice.
 */
import type { Logger } from "pino";
import { CortexError, ErrorCode, isCortexError } from "../../core/errors.js";
import { JobState } from "../../core/states.js";
import { inSpan, jobParent, tracingEnabled } from "../../core/tracing.js";
import type { JobLifecycle } from "../../jobs/index.js";
import type { JobRecord, JobStore, NewJob } from "../../store/job-store.js";

export interface ChildDeps {
  jobs: JobLifecycle;
  store: JobStore;
  logger: Logger;
  /** sender_id of the packets (the orchestrator's worker id). */
  senderId: string;
}

/** What a child inherits from its parent: trace, tenant, env_vars, priority and the workflow. */
export interface ParentInfo {
  jobId: string;
  traceId: string;
  tenant: string;
  priority: JobRecord["priority"];
  envVars: Record<string, string>;
  workflowId: string;
}

export interface ChildSpec {
  jobId: string;
  topic: string;
  context: Record<string, unknown>;
  /** 1-based position of the step in the plan; 0 for the planner. */
  stepIndex: number;
}

/** Creates and submits the child, or returns the existing one (a redelivered orchestrator). */
export function submitChild(deps: ChildDeps, parent: ParentInfo, spec: ChildSpec): Promise<JobRecord> {
  if (!tracingEnabled()) return submitNow(deps, parent, spec);
  const attributes = { "cortex.job.id": spec.jobId, "cortex.job.topic": spec.topic };
  // Under the workflow's run span (the active one), like a submit through the gateway.
  return inSpan("submit", { parent: jobParent(parent.traceId), attributes }, () =>
    submitNow(deps, parent, spec),
  );
}

async function submitNow(deps: ChildDeps, parent: ParentInfo, spec: ChildSpec): Promise<JobRecord> {
  const job: NewJob = {
    jobId: spec.jobId,
    traceId: parent.traceId,
    topic: spec.topic,
    tenant: parent.tenant,
    priority: parent.priority,
    context: spec.context,
    parentJobId: parent.jobId,
    workflowId: parent.workflowId,
    stepIndex: spec.stepIndex,
    envVars: parent.envVars,
  };
  let existing: JobRecord | undefined;
  try {
    // The workflow's own pool runs the children's kinds, so dispatch rather than wait for a heartbeat.
    const admitted = await deps.jobs.admission.admit(job, { live: true, onSafetyDown: "defer" });
    if (admitted.outcome !== "existing") return admitted.job;
    existing = admitted.job;
  } catch (err) {
    if (!isCortexError(err, ErrorCode.JobExists)) throw err;
    existing = await deps.store.getJob(spec.jobId);
  }
  if (!existing) {
    throw new CortexError(ErrorCode.Internal, `child job ${spec.jobId} exists but cannot be read`, {
      hint: "It may have expired between the two reads; the step is retried as a new job.",
    });
  }
  // The earlier run may have died between the write and the publish; the same msgId makes
  // a second publish a no-op when the first one did go out.
  if (existing.state === JobState.Pending) await deps.jobs.admission.publishSubmit(existing);
  deps.logger.info({ jobId: spec.jobId, state: existing.state }, "reusing a child job submitted earlier");
  return existing;
}

/**
 * Ends a child that is still running (CANCELLED when the workflow stops, TIMEOUT past its
 * deadline) and tells its worker to stop. Returns the record as it is afterwards; a child
 * that ended meanwhile keeps its own state.
 */
export async function stopChild(
  deps: ChildDeps,
  jobId: string,
  to: typeof JobState.Cancelled | typeof JobState.Timeout,
  reason: string,
): Promise<JobRecord | undefined> {
  const outcome = await deps.jobs.stop(jobId, reason, to);
  if (!outcome.ok) return outcome.code === "not_found" ? undefined : deps.store.getJob(jobId);
  return outcome.job;
}
