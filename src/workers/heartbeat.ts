/**
 * Periodic worker heartbeats on sys.heartbeat.<pool>: the scheduler's live-worker
 * registry is built from them, so the first one goes out at once, not after an interval.
 */
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { newPacket } from "../bus/codec.js";
import { heartbeatSubject } from "../core/subjects.js";
import type { Heartbeat } from "../gen/cortex/v1/bus.js";
import { CpuLoadMeter } from "./cpu-load.js";

/** Everything in a heartbeat except cpu_load, which the sender measures itself. */
export type HeartbeatFields = Omit<Heartbeat, "cpuLoad">;

export interface HeartbeatSenderOptions {
  bus: Bus;
  pool: string;
  workerId: string;
  intervalMs: number;
  /** Current fields (active jobs change between beats). */
  describe: () => HeartbeatFields;
  logger: Logger;
}

export class HeartbeatSender {
  private timer: NodeJS.Timeout | undefined;
  private readonly cpu = new CpuLoadMeter();
  private lastPublishFailed = false;

  constructor(private readonly opts: HeartbeatSenderOptions) {}

  /** Beats now, then every interval until stop(). */
  start(): Promise<void> {
    this.timer ??= setInterval(() => void this.beat(), this.opts.intervalMs);
    // A heartbeat timer alone must not keep a process alive.
    this.timer.unref();
    return this.beat();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Publishes one heartbeat; `override` replaces fields (the final beat of a drain). Never throws. */
  async beat(override: Partial<HeartbeatFields> = {}): Promise<void> {
    const heartbeat: Heartbeat = { ...this.opts.describe(), ...override, cpuLoad: this.cpu.sample() };
    try {
      await this.opts.bus.publish(
        heartbeatSubject(this.opts.pool),
        newPacket({ $case: "heartbeat", heartbeat }, { traceId: "", senderId: this.opts.workerId }),
      );
      this.lastPublishFailed = false;
    } catch (err) {
      // Log once per outage, not once per beat.
      if (!this.lastPublishFailed) this.opts.logger.warn({ err }, "heartbeat not published");
      this.lastPublishFailed = true;
    }
  }
}
