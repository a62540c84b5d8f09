/** Which jobs the scheduler dispatches now: live pools, saturated pools, draining a pool's waiting jobs. */

import { poolForTopic } from "../../config/index.js";
import { errFields } from "../../core/clip.js";
import { JobState } from "../../core/states.js";
import type { WorkerRegistry } from "../../core/worker-registry.js";
import type { JobLifecycle } from "../../jobs/index.js";
import { listJobsInState } from "../../jobs/list-jobs.js";
import type { JobRecord } from "../../store/job-store.js";
import type { SchedulerDeps } from "./types.js";

export class Dispatcher {
  /** One drain per pool at a time; a request during a drain runs one more afterwards. */
  private readonly draining = new Map<string, Promise<void>>();
  private readonly drainAgain = new Set<string>();

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly jobs: JobLifecycle,
    private readonly registry: Pick<WorkerRegistry, "hasLiveWorker" | "live">,
  ) {}

  poolOf(topic: string): string | undefined {
    return poolForTopic(this.deps.pools, topic);
  }

  hasLiveWorker(topic: string): boolean {
    const pool = this.poolOf(topic);
    return pool !== undefined && this.registry.hasLiveWorker(pool);
  }

  /** Every live worker of the topic's pool reports itself at capacity (and there is at least one). */
  poolSaturated(topic: string): boolean {
    const pool = this.poolOf(topic);
    if (pool === undefined) return false;
    const live = this.registry.live(pool);
    return live.length > 0 && live.every((w) => w.heartbeat.activeJobs >= w.heartbeat.maxParallelJobs);
  }

  /** Dispatches a SCHEDULED job when its pool has a live worker; otherwise it waits in SCHEDULED. */
  async dispatchIfLive(job: JobRecord): Promise<boolean> {
    return this.hasLiveWorker(job.topic) ? this.jobs.dispatch.dispatch(job.jobId) : false;
  }

  /** Dispatches the pool's SCHEDULED jobs, oldest first (a worker of the pool just appeared). */
  drainPool(pool: string): Promise<void> {
    const running = this.draining.get(pool);
    if (running) {
      this.drainAgain.add(pool);
      return running;
    }
    const run = (async () => {
      try {
        do {
          this.drainAgain.delete(pool);
          await this.drainOnce(pool);
        } while (this.drainAgain.has(pool));
      } catch (err) {
        this.deps.logger.warn(
          { ...errFields(err), pool },
          "could not dispatch the pool's waiting jobs; the reconciler retries",
        );
      } finally {
        this.draining.delete(pool);
      }
    })();
    this.draining.set(pool, run);
    return run;
  }

  /** Resolves when no drain is running. */
  async idle(): Promise<void> {
    while (this.draining.size > 0) await Promise.allSettled([...this.draining.values()]);
  }

  private async drainOnce(pool: string): Promise<void> {
    const waiting = await listJobsInState(this.deps.store, JobState.Scheduled);
    for (const job of waiting) {
      if (this.poolOf(job.topic) !== pool) continue;
      if (!this.registry.hasLiveWorker(pool)) return;
      await this.jobs.dispatch.dispatch(job.jobId);
    }
  }
}
