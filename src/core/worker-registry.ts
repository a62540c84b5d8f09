/**
 * Live workers, as seen through their heartbeats. Pure: the clock is injected, nothing
 * here subscribes or sets timers, so the gateway and the scheduler can each feed their
 * own copy from `sys.heartbeat.>` and tests can move time by hand.
 */
import type { Heartbeat } from "../gen/cortex/v1/bus.js";

/** Workers beat every 5 s (DESIGN.md); one missing beat is normal jitter, three is gone. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
export const MISSED_BEATS_BEFORE_FORGET = 3;

export interface WorkerEntry {
  heartbeat: Heartbeat;
  /** Clock time of the last heartbeat. */
  lastSeenMs: number;
  /** Clock time of the first heartbeat since the worker was last forgotten. */
  firstSeenMs: number;
}

export interface PoolSummary {
  pool: string;
  liveWorkers: number;
  activeJobs: number;
  /** Sum of max_parallel_jobs over live workers. */
  capacity: number;
  /** Topics routed to the pool by config, sorted. */
  topics: string[];
}

export interface WorkerRegistryOptions {
  now?: () => number;
  heartbeatIntervalMs?: number;
  missedBeats?: number;
}

export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerEntry>();
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(opts: WorkerRegistryOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.ttlMs =
      (opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS) * (opts.missedBeats ?? MISSED_BEATS_BEFORE_FORGET);
  }

  /** Records a heartbeat; `joined` is true when the worker was not known (or had been forgotten). */
  observe(heartbeat: Heartbeat): { joined: boolean; entry: WorkerEntry } {
    const now = this.now();
    const previous = this.workers.get(heartbeat.workerId);
    const joined = previous === undefined || this.isExpired(previous, now);
    const entry: WorkerEntry = {
      heartbeat,
      lastSeenMs: now,
      firstSeenMs: joined ? now : (previous?.firstSeenMs ?? now),
    };
    this.workers.set(heartbeat.workerId, entry);
    return { joined, entry };
  }

  /** Forgets workers whose heartbeats stopped; returns them so callers can report a leave. */
  prune(): WorkerEntry[] {
    const now = this.now();
    const gone: WorkerEntry[] = [];
    for (const [id, entry] of this.workers) {
      if (this.isExpired(entry, now)) {
        this.workers.delete(id);
        gone.push(entry);
      }
    }
    return gone;
  }

  /** A worker that stopped beating is gone from here, also before prune() runs. */
  get(workerId: string): WorkerEntry | undefined {
    const entry = this.workers.get(workerId);
    return entry !== undefined && !this.isExpired(entry, this.now()) ? entry : undefined;
  }

  /** Live workers sorted by pool then id, optionally of one pool. */
  live(pool?: string): WorkerEntry[] {
    const now = this.now();
    return [...this.workers.values()]
      .filter((e) => !this.isExpired(e, now) && (pool === undefined || e.heartbeat.pool === pool))
      .sort(
        (a, b) =>
          a.heartbeat.pool.localeCompare(b.heartbeat.pool) ||
          a.heartbeat.workerId.localeCompare(b.heartbeat.workerId),
      );
  }

  hasLiveWorker(pool: string): boolean {
    const now = this.now();
    for (const e of this.workers.values()) {
      if (e.heartbeat.pool === pool && !this.isExpired(e, now)) return true;
    }
    return false;
  }

  /** Removes a worker at once (e.g. it announced a clean shutdown). */
  remove(workerId: string): boolean {
    return this.workers.delete(workerId);
  }

  private isExpired(entry: WorkerEntry, now: number): boolean {
    return now - entry.lastSeenMs > this.ttlMs;
  }
}

/**
 * Per-pool aggregates over live workers. Every pool named in `topicToPool` appears (with
 * zero workers when none is up) so a user sees which pools are missing; pools only seen
 * in heartbeats appear too.
 */
export function summarizePools(
  live: readonly WorkerEntry[],
  topicToPool: Readonly<Record<string, string>> = {},
): PoolSummary[] {
  const pools = new Map<string, PoolSummary>();
  const poolOf = (name: string): PoolSummary => {
    let p = pools.get(name);
    if (p === undefined) {
      p = { pool: name, liveWorkers: 0, activeJobs: 0, capacity: 0, topics: [] };
      pools.set(name, p);
    }
    return p;
  };
  for (const [topic, pool] of Object.entries(topicToPool)) poolOf(pool).topics.push(topic);
  for (const { heartbeat } of live) {
    const p = poolOf(heartbeat.pool);
    p.liveWorkers += 1;
    p.activeJobs += Math.max(0, heartbeat.activeJobs);
    p.capacity += Math.max(0, heartbeat.maxParallelJobs);
  }
  for (const p of pools.values()) p.topics.sort();
  return [...pools.values()].sort((a, b) => a.pool.localeCompare(b.pool));
}
