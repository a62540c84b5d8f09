/**
 * A durable work-queue consumer: the messages its filter claimed, in stream order, handed
 * to the consume() calls attached to it (round robin, each within its maxInFlight).
 * Redeliveries go before new messages, as on JetStream. The consumer outlives its
 * consume() calls: what arrives while none is attached waits for the next one.
 */
import type { WorkHandler } from "../bus.js";
import { Deque } from "./deque.js";
import { Puller } from "./puller.js";
import type { Drainable } from "./pump.js";
import type { DeadlineOwner, StoredMessage, WorkEnv } from "./stored-message.js";
import { MemoryWorkMessage, type Settler } from "./work-message.js";

export interface ConsumerSettings {
  filterSubject: string;
  ackWaitMs: number;
  /** -1 = unlimited. */
  maxDeliver: number;
}

export class DurableConsumer implements Drainable, Settler, DeadlineOwner {
  scheduled = false;
  private readonly redeliveries = new Deque<StoredMessage>();
  private readonly fresh = new Deque<StoredMessage>();
  private readonly pullers: Puller[] = [];
  private turn = 0;

  constructor(
    readonly name: string,
    public settings: ConsumerSettings,
    private readonly env: WorkEnv,
  ) {}

  /** Takes a newly stored (or newly matching) message, in stream order. */
  claim(msg: StoredMessage): void {
    msg.owner = this;
    msg.state = "ready";
    this.fresh.push(msg);
    this.wake();
  }

  /** Gives back undelivered messages the (changed) filter no longer matches. */
  release(matches: (subject: string) => boolean): StoredMessage[] {
    const released = this.fresh.takeWhere((m) => m.state === "ready" && !matches(m.subject));
    for (const m of released) {
      m.owner = undefined;
      m.state = "unclaimed";
    }
    return released;
  }

  attach(handler: WorkHandler, maxInFlight: number): Puller {
    const puller = new Puller(this.name, handler, maxInFlight, this.env.logger, () => this.wake());
    this.pullers.push(puller);
    this.wake();
    return puller;
  }

  detach(puller: Puller): Promise<void> {
    const i = this.pullers.indexOf(puller);
    if (i >= 0) this.pullers.splice(i, 1);
    return puller.stop();
  }

  detachAll(): Promise<void> {
    return Promise.all([...this.pullers].map((p) => this.detach(p))).then(() => undefined);
  }

  drain(): void {
    for (;;) {
      const puller = this.pullerWithRoom();
      if (puller === undefined) return;
      const msg = this.nextReady();
      if (msg === undefined) return;
      this.deliver(msg, puller);
    }
  }

  // ---- Settler: called by the WorkMessages this consumer handed out ----

  remove(msg: StoredMessage): void {
    if (msg.state === "removed") return;
    this.env.timers.cancel(msg);
    msg.state = "removed";
    msg.owner = undefined;
  }

  nak(msg: StoredMessage, deliveryCount: number, delayMs: number): void {
    if (msg.state === "pending" && msg.deliveries === deliveryCount) this.retry(msg, delayMs);
  }

  working(msg: StoredMessage, deliveryCount: number): void {
    if (msg.state === "pending" && msg.deliveries === deliveryCount) {
      this.env.timers.schedule(msg, this.env.now() + this.settings.ackWaitMs);
    }
  }

  deadlinePassed(msg: StoredMessage): void {
    if (msg.state === "pending") {
      // The ack wait ran out: the handler may still run, but the message goes again.
      this.retry(msg, 0);
    } else if (msg.state === "delayed") {
      this.requeue(msg);
    }
  }

  // ---- internals ----

  private wake(): void {
    if (this.pullers.length > 0) this.env.pump.schedule(this);
  }

  private pullerWithRoom(): Puller | undefined {
    const n = this.pullers.length;
    for (let i = 0; i < n; i++) {
      const puller = this.pullers[(this.turn + i) % n] as Puller;
      if (puller.hasRoom) {
        this.turn = (this.turn + i + 1) % n;
        return puller;
      }
    }
    return undefined;
  }

  /** Skips entries a late ack or term removed while they waited. */
  private nextReady(): StoredMessage | undefined {
    for (;;) {
      const msg = this.redeliveries.shift() ?? this.fresh.shift();
      if (msg === undefined || msg.state === "ready") return msg;
    }
  }

  private deliver(msg: StoredMessage, puller: Puller): void {
    let packet: MemoryWorkMessage["packet"];
    try {
      // A copy per delivery: no handler shares objects with another or with the stream.
      packet = msg.body.packet();
    } catch (err) {
      this.env.decodeFailed(msg.subject, err);
      // Never redeliver what can never decode.
      this.remove(msg);
      return;
    }
    msg.deliveries++;
    msg.state = "pending";
    this.env.timers.schedule(msg, this.env.now() + this.settings.ackWaitMs);
    puller.run(new MemoryWorkMessage(this, msg, packet, msg.deliveries));
  }

  private retry(msg: StoredMessage, delayMs: number): void {
    const { maxDeliver } = this.settings;
    if (maxDeliver !== -1 && msg.deliveries >= maxDeliver) {
      // Out of deliveries: JetStream stops delivering it; nothing else can reach it here.
      this.remove(msg);
    } else if (delayMs > 0) {
      msg.state = "delayed";
      this.env.timers.schedule(msg, this.env.now() + delayMs);
    } else {
      this.env.timers.cancel(msg);
      this.requeue(msg);
    }
  }

  private requeue(msg: StoredMessage): void {
    msg.state = "ready";
    this.redeliveries.push(msg);
    this.wake();
  }
}
