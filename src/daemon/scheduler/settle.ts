/** How a work-queue message ends, decided by a handler and carried out in one place. */
import type { Logger } from "pino";
import type { WorkMessage } from "../../bus/bus.js";
import { backoffCeiling } from "../../core/backoff.js";
import { clip, errFields } from "../../core/clip.js";

export type Settle = { kind: "ack" } | { kind: "nak"; delayMs: number } | { kind: "term" };

export const ACK: Settle = { kind: "ack" };

/** Redelivery delays while the store, bus or safety kernel is down: 250 ms doubling to 5 s. */
const RETRY = { baseMs: 250, maxMs: 5_000 };

export function retryLater(deliveryCount: number, capMs = RETRY.maxMs): Settle {
  return { kind: "nak", delayMs: Math.max(50, Math.min(capMs, backoffCeiling(deliveryCount, RETRY))) };
}

export async function settle(msg: WorkMessage, outcome: Settle, logger: Logger): Promise<void> {
  try {
    switch (outcome.kind) {
      case "ack":
        await msg.ack();
        return;
      case "nak":
        msg.nak(outcome.delayMs);
        return;
      case "term":
        msg.term();
        return;
    }
  } catch (err) {
    // The message comes back after its ack wait and every step is idempotent by job id.
    logger.warn({ ...errFields(err), subject: clip(msg.subject) }, "could not settle a work-queue message");
  }
}
