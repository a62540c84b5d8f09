import type { JobState } from "../core/states.js";
import type { JobRecord, JobStore } from "../store/job-store.js";

const PAGE_SIZE = 200;
/** A scan looks at no more than this many jobs per state; the next scan picks up the rest. */
const MAX_PER_SCAN = 10_000;

/**
 * All jobs in `state`, oldest first. Pages are read to the end before the caller acts,
 * because acting moves jobs out of the index being paged through and would shift the cursor.
 */
export async function listJobsInState(store: JobStore, state: JobState): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listJobs({
      state,
      limit: PAGE_SIZE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const job of page.jobs) if (job.state === state) jobs.push(job);
    cursor = page.nextCursor;
  } while (cursor !== undefined && jobs.length < MAX_PER_SCAN);
  return jobs.sort((a, b) => a.createdAt - b.createdAt);
}
