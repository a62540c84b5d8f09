/**
 * Worker joins and leaves as events. The gateway's registry sees a worker join on its
 * first heartbeat and leave when its heartbeats stop (checked every interval); each
 * becomes one event (kind "worker_join" / "worker_leave", the worker in `worker_id`, its
 * pool in `reason` as "pool <name>…") in the store's capped stream, for backfill, and
 * then goes to watchers. Worker events carry no job, topic or tenant, so only unfiltered
 * watchers (and no tenant-bound key) see them.
 */
import type { Logger } from "pino";
import { clip, errFields } from "../../core/clip.js";
import { Subjects } from "../../core/subjects.js";
import type { WorkerEntry, WorkerRegistry } from "../../core/worker-registry.js";
import type { BusPacket } from "../../gen/cortex/v1/bus.js";
import type { JobEventRecord, JobStore } from "../../store/job-store.js";
import type { EventHub } from "./event-watch.js";

export const WORKER_JOIN = "worker_join";
export const WORKER_LEAVE = "worker_leave";

export interface WorkerPresenceOptions {
  registry: WorkerRegistry;
  store: JobStore;
  hub: EventHub;
  logger: Logger;
  /** How often to look for workers whose heartbeats stopped. */
  pruneIntervalMs: number;
  /** How long without a heartbeat counts as gone (for the leave reason). */
  silenceMs: number;
}

export class WorkerPresence {
  private timer: NodeJS.Timeout | undefined;
  /** Events are stored one after another so a join is never stored after its leave. */
  private chain: Promise<void> = Promise.resolve();
  private storeFailures = 0;

  constructor(private readonly opts: WorkerPresenceOptions) {}

  start(): void {
    this.timer ??= setInterval(() => this.prune(), this.opts.pruneIntervalMs);
    this.timer.unref();
  }

  /** Stops pruning; events still being stored finish (or fail) on their own. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A packet from `sys.heartbeat.>`. */
  observe(packet: BusPacket, subject: string): void {
    if (packet.payload?.$case !== "heartbeat") return;
    const hb = packet.payload.heartbeat;
    // v1 workers may leave `pool` empty; the subject names it (sys.heartbeat.<pool>).
    const pool = hb.pool || subject.slice(Subjects.heartbeatPrefix.length + 1);
    if (!hb.workerId || !pool) return;
    const { joined, entry } = this.opts.registry.observe({ ...hb, pool });
    if (!joined) return;
    this.opts.logger.info({ workerId: clip(hb.workerId), pool: clip(pool) }, "worker joined");
    this.emit(WORKER_JOIN, entry, `pool ${pool}`);
  }

  /** Forgets workers whose heartbeats stopped, emitting a leave for each. */
  prune(): void {
    for (const gone of this.opts.registry.prune()) {
      const { workerId, pool } = gone.heartbeat;
      this.opts.logger.info({ workerId: clip(workerId), pool: clip(pool) }, "worker left (no heartbeats)");
      const silentS = Math.round(this.opts.silenceMs / 1000);
      this.emit(WORKER_LEAVE, gone, `pool ${pool}: no heartbeat for ${silentS} s`);
    }
  }

  private emit(kind: string, entry: WorkerEntry, reason: string): void {
    const event = { kind, jobId: "", workerId: entry.heartbeat.workerId, reason, at: Date.now() };
    this.chain = this.chain.then(async () => {
      let stored: JobEventRecord;
      try {
        stored = await this.opts.store.appendEvent(event);
      } catch (err) {
        // Watchers still hear of it; only backfill misses it while the store is down.
        if (++this.storeFailures % 100 === 1)
          this.opts.logger.warn({ ...errFields(err), kind }, "worker event not stored (store unavailable)");
        stored = { ...event, seq: 0 };
      }
      this.opts.hub.publish(stored);
    });
  }
}
