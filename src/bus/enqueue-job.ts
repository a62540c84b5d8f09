/**
 * The one way a job enters the system, shared by the gateway (SubmitJob) and the
 * orchestrator (workflow children): write the job (PENDING) and ctx to the store, then
 * publish its JobRequest on `sys.job.submit`. Once this resolves the job is never lost:
 * the submit stream holds it until the scheduler acks it.
 */
import type { Logger } from "pino";
import { parsePriority } from "../core/priority.js";
import { JobState } from "../core/states.js";
import { Subjects } from "../core/subjects.js";
import type { JobRecord, JobStore, NewJob } from "../store/job-store.js";
import type { Bus } from "./bus.js";
import { newPacket } from "./codec.js";

export interface EnqueueDeps {
  bus: Bus;
  store: JobStore;
  logger: Logger;
}

/** Throws JOB_EXISTS (from the store) when the id is taken; the job is then left as it is. */
export async function enqueueJob(deps: EnqueueDeps, job: NewJob, senderId: string): Promise<JobRecord> {
  const record = await deps.store.createJob(job);
  await publishSubmit(deps, record, senderId);
  return record;
}

/**
 * Publishes the submit of a job already in the store. The msgId is the job id, so a second
 * publish of the same job (a redelivered orchestrator, the reconciler) is dropped by JetStream.
 */
export async function publishSubmit(deps: EnqueueDeps, record: JobRecord, senderId: string): Promise<void> {
  const packet = newPacket(
    {
      $case: "jobRequest",
      jobRequest: {
        jobId: record.jobId,
        topic: record.topic,
        priority: parsePriority(record.priority),
        contextPtr: record.contextPtr,
        adapterId: record.adapterId ?? "",
        envVars: record.envVars ?? {},
        parentJobId: record.parentJobId ?? "",
        workflowId: record.workflowId ?? "",
        stepIndex: record.stepIndex ?? 0,
        attempt: 0,
        timeoutMs: 0,
      },
    },
    { traceId: record.traceId, senderId },
  );
  try {
    await deps.bus.publishDurable(Subjects.jobSubmit, packet, { msgId: record.jobId });
  } catch (err) {
    await failUnqueued(deps, record.jobId, err);
    throw err;
  }
}

/**
 * The caller is told the submit failed, so the stored job must not look accepted: mark it
 * FAILED (best effort) rather than leave it PENDING forever. If the publish did reach the
 * stream after all, the scheduler finds a terminal job and skips it.
 */
async function failUnqueued(deps: EnqueueDeps, jobId: string, cause: unknown): Promise<void> {
  try {
    await deps.store.transition({
      jobId,
      to: JobState.Failed,
      from: [JobState.Pending],
      reason: "not queued: the bus was unavailable at submit",
    });
  } catch (err) {
    deps.logger.warn({ jobId, err, cause }, "could not mark an unqueued job FAILED");
  }
}
