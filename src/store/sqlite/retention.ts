/**
 * Deletes terminal jobs past their retention (record, ctx, result, result guards, late
 * results, per-job history) and events that fell out of the capped stream. Freed pages are
 * reused by later writes (no auto_vacuum), so the file stays near its busiest size.
 */
import type { Statements } from "./statements.js";

/** Removes up to `limit` expired jobs; returns how many it removed. */
export function deleteExpiredJobs(stmts: Statements, now: number, limit: number): number {
  const expired = stmts.expiredJobs.all(now, limit);
  for (const { job_id } of expired) {
    stmts.deleteContext.run(job_id);
    stmts.deleteResult.run(job_id);
    stmts.deleteGuards.run(job_id);
    stmts.deleteLateOf.run(job_id);
    stmts.releaseHistory.run(job_id);
    stmts.deleteJob.run(job_id);
  }
  stmts.deleteExpiredLate.run(now);
  return expired.length;
}

/** Drops events older than the newest `streamMax` that no live job's history holds. */
export function pruneEventStream(stmts: Statements, streamMax: number): void {
  const newest = stmts.maxSeq.get()?.seq ?? 0;
  if (newest > streamMax) stmts.pruneStream.run(newest - streamMax);
}
