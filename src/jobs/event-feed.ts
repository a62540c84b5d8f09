/**
 * Publishes state events on `sys.job.event`. Events ready in the same tick leave as one bus
 * message, whichever jobs they belong to, stamped with this feed's origin. Listeners in the
 * same process get the same events directly (no bus round trip, no parsing) and skip the bus
 * copies of their own origin. Best effort: the store already holds every event, and watchers
 * catch up from it, so a bus hiccup never undoes a move.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import type { JobEventRecord } from "../core/job-event.js";
import { isJobState, isTerminal } from "../core/states.js";
import { Subjects } from "../core/subjects.js";

/** Results up to this size ride on the terminal event, sparing the gateway a store read. */
export const INLINE_RESULT_MAX_BYTES = 16 * 1024;
/** A batch is sent early past this size (NATS' default max payload is 1 MiB). */
const MAX_BATCH_BYTES = 512 * 1024;

const encoder = new TextEncoder();

export type EventListener = (events: readonly JobEventRecord[]) => void;

export class EventFeed {
  /** Stamped on every bus message of this feed. */
  readonly origin = randomBytes(8).toString("hex");
  private readonly listeners = new Set<EventListener>();
  private local: JobEventRecord[] = [];
  private batch: string[] = [];
  private bytes = 0;
  private scheduled = false;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  /** Queues the events of one step; `resultJson` goes on the last one when it is terminal and small. */
  publish(events: readonly JobEventRecord[], resultJson?: string): void {
    const last = events[events.length - 1];
    for (const event of events) {
      const inline =
        event === last &&
        resultJson !== undefined &&
        resultJson.length <= INLINE_RESULT_MAX_BYTES &&
        event.to !== undefined &&
        isJobState(event.to) &&
        isTerminal(event.to);
      const full = inline ? { ...event, resultJson } : event;
      const json = JSON.stringify(full);
      if (this.listeners.size > 0) this.local.push(full);
      this.batch.push(json);
      this.bytes += json.length;
    }
    if (this.bytes > MAX_BATCH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** In-process delivery of every event this feed publishes; returns the unsubscribe. */
  onEvents(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once everything queued so far has been handed to the bus. */
  async drain(): Promise<void> {
    this.flush();
    await this.pending;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const payload = encoder.encode(`{"origin":"${this.origin}","events":[${this.batch.join(",")}]}`);
    const count = this.batch.length;
    const local = this.local;
    this.batch = [];
    this.local = [];
    this.bytes = 0;
    for (const listener of this.listeners) listener(local);
    this.pending = this.bus.publishRaw(Subjects.jobEvent, payload).catch((err: unknown) => {
      this.logger.warn({ err, count }, "could not publish job events");
    });
  }
}
