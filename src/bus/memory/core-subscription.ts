/**
 * One core subscription: its own FIFO of messages, handed to the handler one at a time in
 * publish order (an async handler is awaited before the next message, as NatsBus does).
 */
import type { BusLogger } from "../bus.js";
import { Deque } from "./deque.js";
import type { MessageBody } from "./message-body.js";
import type { Drainable, Pump } from "./pump.js";

export type BodyDeliver = (body: MessageBody, subject: string) => unknown;

interface Queued {
  subject: string;
  body: MessageBody;
}

/** Messages handed over per turn before yielding to the event loop. */
const BURST = 256;

export class CoreSubscription implements Drainable {
  scheduled = false;
  private closed = false;
  /** An async handler is running; the next message waits for it. */
  private busy = false;
  private burst = 0;
  /** Subject of the message an async handler is working on, for its error log. */
  private current = "";
  private readonly queue = new Deque<Queued>();

  constructor(
    readonly pattern: string,
    readonly queueGroup: string | undefined,
    private readonly deliver: BodyDeliver,
    private readonly pump: Pump,
    private readonly logger: BusLogger,
  ) {}

  enqueue(subject: string, body: MessageBody): void {
    if (this.closed) return;
    this.queue.push({ subject, body });
    if (!this.busy) this.pump.schedule(this);
  }

  /** Drops what is queued and takes nothing more. */
  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  drain(): void {
    this.burst = 0;
    this.next();
  }

  private next(): void {
    while (!this.busy && !this.closed) {
      if (this.burst >= BURST) {
        if (this.queue.size > 0) this.pump.schedule(this);
        return;
      }
      const item = this.queue.shift();
      if (item === undefined) return;
      this.burst++;
      let result: unknown;
      try {
        result = this.deliver(item.body, item.subject);
      } catch (err) {
        this.failed(err, item.subject);
        continue;
      }
      if (isThenable(result)) {
        this.busy = true;
        this.current = item.subject;
        result.then(this.resume, this.rejected);
      }
    }
  }

  private readonly resume = (): void => {
    this.busy = false;
    this.next();
  };

  private readonly rejected = (err: unknown): void => {
    this.failed(err, this.current);
    this.resume();
  };

  private failed(err: unknown, subject: string): void {
    this.logger.error({ err, subject }, "bus subscription handler failed");
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}
