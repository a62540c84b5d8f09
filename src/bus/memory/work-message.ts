/**
 * The WorkMessage a handler gets. Settling goes to the consumer with the delivery number,
 * so a late nak or working() from a delivery the ack wait already gave up on does nothing,
 * while a late ack or term still removes the message, as on JetStream.
 */
import type { BusPacket } from "../../gen/cortex/v1/bus.js";
import type { WorkMessage } from "../bus.js";
import type { StoredMessage } from "./stored-message.js";

export interface Settler {
  remove(msg: StoredMessage): void;
  nak(msg: StoredMessage, deliveryCount: number, delayMs: number): void;
  working(msg: StoredMessage, deliveryCount: number): void;
}

export class MemoryWorkMessage implements WorkMessage {
  settled = false;
  readonly subject: string;

  constructor(
    private readonly settler: Settler,
    private readonly msg: StoredMessage,
    readonly packet: BusPacket,
    readonly deliveryCount: number,
  ) {
    this.subject = msg.subject;
  }

  async ack(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.settler.remove(this.msg);
  }

  nak(delayMs?: number): void {
    if (this.settled) return;
    this.settled = true;
    this.settler.nak(this.msg, this.deliveryCount, delayMs ?? 0);
  }

  working(): void {
    if (!this.settled) this.settler.working(this.msg, this.deliveryCount);
  }

  term(): void {
    if (this.settled) return;
    this.settled = true;
    this.settler.remove(this.msg);
  }
}
