/** Ending a job from outside its worker (a user's cancel, a workflow stopping a child), and telling the worker. */
import { newPacket } from "../bus/codec.js";
import { JobState } from "../core/states.js";
import { Subjects } from "../core/subjects.js";
import type { TransitionOutcome } from "../store/job-store.js";
import type { JobsDeps } from "./deps.js";
import type { Moves } from "./moves.js";

export type StopState = typeof JobState.Cancelled | typeof JobState.Timeout;

/**
 * Any non-terminal job may be stopped; the store's guarded move decides, so a job finishing
 * at the same moment is either stopped or keeps its own end. The store already says so when
 * the signal goes out: a lost signal only means the worker runs on until it finds the job
 * terminal, so publish failures are logged, not returned.
 */
export async function stopJob(
  deps: JobsDeps,
  moves: Moves,
  jobId: string,
  reason: string,
  to: StopState = JobState.Cancelled,
): Promise<TransitionOutcome> {
  const outcome = await moves.apply({ jobId, to, reason });
  if (!outcome.ok) return outcome;
  try {
    await deps.bus.publish(
      Subjects.jobCancel,
      newPacket(
        { $case: "jobCancel", jobCancel: { jobId, reason } },
        { traceId: outcome.job.traceId, senderId: deps.senderId },
      ),
    );
  } catch (err) {
    deps.logger.warn({ jobId, err }, "job stopped in the store but the cancel signal was not published");
  }
  return outcome;
}
