/**
 * After a restart of an embedded daemon the in-process bus is empty, so the store is the
 * only record of what was queued: DISPATCHED and RUNNING jobs go back to SCHEDULED (the
 * scheduler dispatches them once a worker of their pool beats), PENDING ones get their
 * submit again. A job that was running at the kill runs again as a new attempt; nothing else
 * runs twice.
 */
import { JobState } from "../core/states.js";
import type { Admission } from "./admission.js";
import type { JobsDeps } from "./deps.js";
import { listJobsInState } from "./list-jobs.js";
import type { Moves } from "./moves.js";

export interface Recovered {
  requeued: number;
  resubmitted: number;
}

export async function recoverQueuedJobs(
  deps: JobsDeps,
  moves: Moves,
  admission: Admission,
): Promise<Recovered> {
  let requeued = 0;
  for (const state of [JobState.Dispatched, JobState.Running] as const) {
    for (const job of await listJobsInState(deps.store, state)) {
      const moved = await moves.apply({
        jobId: job.jobId,
        to: JobState.Scheduled,
        from: [state],
        reason: `requeued: the daemon restarted while the job was ${state}`,
      });
      if (moved.ok) requeued++;
    }
  }
  let resubmitted = 0;
  for (const job of await listJobsInState(deps.store, JobState.Pending)) {
    await admission.publishSubmit(job);
    resubmitted++;
  }
  return { requeued, resubmitted };
}
