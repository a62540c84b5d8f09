/** SCHEDULED → DISPATCHED plus the publish on the job's topic; and draining a pool's waiting jobs. */

import { poolForTopic, timeoutFor } from "../../config/index.js";
import { JobState } from "../../core/states.js";
import type { WorkerRegistry } from "../../core/worker-registry.js";
import type { JobRecord } from "../../store/job-store.js";
import { dispatchMsgId, jobRequestPacket } from "./job-request.js";
import { listJobsInState } from "./list-jobs.js";
import type { SchedulerMetrics } from "./metrics.js";
import type { Transitions } from "./transitions.js";
import type { SchedulerDeps } from "./types.js";

export class Dispatcher {
  /** One drain per pool at a time; a request during a drain runs one more afterwards. */
  private readonly draining = new Map<string, Promise<void>>();
  private readonly drainAgain = new Set<string>();

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly transitions: Transitions,
    private readonly metrics: SchedulerMetrics,
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
    return this.hasLiveWorker(job.topic) ? this.dispatch(job.jobId) : false;
  }

  /**
   * Returns false when the job was no longer SCHEDULED (another path dispatched or ended it).
   * The transition comes first so that concurrent dispatchers publish at most once.
   */
  async dispatch(jobId: string): Promise<boolean> {
    const outcome = await this.transitions.apply({
      jobId,
      to: JobState.Dispatched,
      from: [JobState.Scheduled],
    });
    if (!outcome.ok) return false;
    await this.publish(outcome.job);
    return true;
  }

  /**
   * Publishes a job that is already DISPATCHED on its topic. When the publish fails the job
   * goes back to SCHEDULED, so the next pass (heartbeat, reconciler, redelivered submit)
   * publishes again; the same msgId makes that a no-op if this publish did reach the server.
   */
  async publish(current: JobRecord): Promise<void> {
    const { bus, timeouts, senderId, logger } = this.deps;
    const attempt = current.attempts + 1;
    const timeoutMs = timeoutFor(timeouts, current.topic).timeoutSeconds * 1000;
    try {
      await bus.publishDurable(current.topic, jobRequestPacket(current, attempt, timeoutMs, senderId), {
        msgId: dispatchMsgId(current.jobId, attempt),
      });
    } catch (err) {
      await this.transitions
        .apply({
          jobId: current.jobId,
          to: JobState.Scheduled,
          from: [JobState.Dispatched],
          reason: "dispatch publish failed; will retry",
        })
        .catch((rollbackErr: unknown) =>
          logger.warn({ err: rollbackErr, jobId: current.jobId }, "could not roll back a failed dispatch"),
        );
      throw err;
    }
    this.metrics.dispatched.inc({ topic: current.topic });
    // Later attempts would measure retry delays, not scheduling latency.
    if (attempt === 1) {
      const at = current.dispatchedAt ?? this.deps.clock();
      this.metrics.dispatchLatency.observe(
        { topic: current.topic },
        Math.max(0, at - current.createdAt) / 1000,
      );
    }
    logger.debug({ jobId: current.jobId, topic: current.topic, attempt }, "job dispatched");
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
          { err, pool },
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
      await this.dispatch(job.jobId);
    }
  }
}
