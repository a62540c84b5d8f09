/** A message stored in a work-queue stream, and where it stands with its consumer. */
import type { BusLogger } from "../bus.js";
import type { MessageBody } from "./message-body.js";
import type { Pump } from "./pump.js";
import type { Timed, TimerWheel } from "./timer-wheel.js";

/**
 * unclaimed: no consumer's filter matches yet; ready: waiting for a free handler slot;
 * pending: delivered, ack wait running; delayed: nak'ed with a delay; removed: acked,
 * termed or out of deliveries.
 */
export type MessageState = "unclaimed" | "ready" | "pending" | "delayed" | "removed";

/** What the consumer a message belongs to does when the message's deadline passes. */
export interface DeadlineOwner {
  deadlinePassed(msg: StoredMessage): void;
}

export class StoredMessage implements Timed {
  state: MessageState = "unclaimed";
  /** Deliveries so far; the next one is numbered deliveries + 1. */
  deliveries = 0;
  dueAt = 0;
  heapIndex = -1;
  owner: DeadlineOwner | undefined;

  constructor(
    readonly seq: number,
    readonly subject: string,
    readonly body: MessageBody,
  ) {}
}

/** What streams and consumers share with the bus that owns them. */
export interface WorkEnv {
  now(): number;
  timers: TimerWheel<StoredMessage>;
  pump: Pump;
  logger: BusLogger;
  decodeFailed(subject: string, err: unknown): void;
}
