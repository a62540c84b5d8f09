/**
 * One consume() call on a durable consumer: runs the handler for at most maxInFlight
 * messages at once. A slot is freed when the handler returns; an unsettled message is
 * nak'ed then, like NatsBus does.
 */
import type { BusLogger, WorkHandler } from "../bus.js";
import type { MemoryWorkMessage } from "./work-message.js";

export class Puller {
  running = 0;
  stopping = false;
  private idle: (() => void) | undefined;

  constructor(
    private readonly consumerName: string,
    private readonly handler: WorkHandler,
    readonly maxInFlight: number,
    private readonly logger: BusLogger,
    /** Called after a handler returned, when its slot is free again. */
    private readonly slotFreed: () => void,
  ) {}

  get hasRoom(): boolean {
    return !this.stopping && this.running < this.maxInFlight;
  }

  run(work: MemoryWorkMessage): void {
    this.running++;
    void this.call(work);
  }

  /** Takes nothing more; resolves once every running handler has returned. */
  stop(): Promise<void> {
    this.stopping = true;
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.idle;
      this.idle = () => {
        previous?.();
        resolve();
      };
    });
  }

  private async call(work: MemoryWorkMessage): Promise<void> {
    try {
      await this.handler(work);
      if (!work.settled) {
        this.logger.warn(
          { consumer: this.consumerName, subject: work.subject },
          "work handler returned without settling its message; nak'ed for redelivery",
        );
      }
    } catch (err) {
      this.logger.error(
        { err, consumer: this.consumerName, subject: work.subject },
        "work handler failed; message nak'ed for redelivery",
      );
    }
    if (!work.settled) work.nak();
    this.running--;
    if (this.running === 0 && this.idle !== undefined) {
      const idle = this.idle;
      this.idle = undefined;
      idle();
    }
    this.slotFreed();
  }
}
