/**
 * Runs queued deliveries on a later turn of the event loop, never inside publish(): many
 * publishes in one turn share one setImmediate, and I/O gets its turn between batches.
 */
export interface Drainable {
  /** Set by the pump while the item waits for its turn. */
  scheduled: boolean;
  drain(): void;
}

export class Pump {
  private queue: Drainable[] = [];
  private armed = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  schedule(item: Drainable): void {
    if (item.scheduled) return;
    item.scheduled = true;
    this.queue.push(item);
    if (!this.armed) {
      this.armed = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    this.armed = false;
    const items = this.queue;
    this.queue = [];
    for (const item of items) {
      item.scheduled = false;
      try {
        item.drain();
      } catch (err) {
        this.onError(err);
      }
    }
  };
}
