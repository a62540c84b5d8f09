/** Feeds the worker registry from sys.heartbeat.> and wakes a pool's waiting jobs when one of its workers joins. */
import type { Logger } from "pino";
import type { Bus, Subscription } from "../../bus/bus.js";
import { clip } from "../../core/clip.js";
import { Subjects } from "../../core/subjects.js";
import type { WorkerRegistry } from "../../core/worker-registry.js";
import type { BusPacket } from "../../gen/cortex/v1/bus.js";

export class WorkerTracker {
  private sub: Subscription | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly registry: WorkerRegistry,
    private readonly onJoin: (pool: string) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe(Subjects.heartbeatAll, (packet, subject) =>
      this.observe(packet, subject),
    );
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.unsubscribe();
  }

  /** Live workers per pool (for the metrics gauge). */
  liveByPool(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { heartbeat } of this.registry.live())
      counts.set(heartbeat.pool, (counts.get(heartbeat.pool) ?? 0) + 1);
    return counts;
  }

  private observe(packet: BusPacket, subject: string): void {
    if (packet.payload?.$case !== "heartbeat") return;
    const hb = packet.payload.heartbeat;
    // v1 workers may leave `pool` empty; the subject names it (sys.heartbeat.<pool>).
    const pool = hb.pool || subject.slice(Subjects.heartbeatPrefix.length + 1);
    if (!hb.workerId || !pool) return;
    const { joined } = this.registry.observe({ ...hb, pool });
    for (const gone of this.registry.prune()) {
      this.logger.info(
        { workerId: clip(gone.heartbeat.workerId), pool: clip(gone.heartbeat.pool) },
        "worker left (no heartbeats)",
      );
    }
    if (joined) {
      this.logger.info({ workerId: clip(hb.workerId), pool: clip(pool) }, "worker joined");
      this.onJoin(pool);
    }
  }
}
