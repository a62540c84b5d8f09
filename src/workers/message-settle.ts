/**
 * Settling work-queue messages from a runtime whose store or bus may fail at any step:
 * failures become a nak with a backoff delay (the job is retried, never lost), and
 * settling a message whose connection is gone is logged, never thrown.
 */
import type { Logger } from "pino";
import type { WorkMessage } from "../bus/bus.js";
import { backoffDelay } from "../core/backoff.js";
import { isOutage } from "../core/outage.js";

/** Retry delays when a store or bus call fails for another reason (a bug, a bad record). */
const RETRY_BACKOFF = { baseMs: 1_000, maxMs: 15_000 };
/** While the store or bus is unreachable: short, so work flows within seconds of its return. */
const OUTAGE_BACKOFF = { baseMs: 500, maxMs: 2_000 };
const MIN_RETRY_DELAY_MS = 250;

/** Thrown inside a job's processing when the store or bus failed: the message goes back. */
export class Requeue extends Error {
  /** The store or bus was unreachable (typed code in the cause): the hand-back costs no attempt. */
  readonly outage: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.outage = isOutage(options?.cause);
  }
}

/** Runs a store/bus call; a failure becomes a Requeue so the message is nak'ed, never lost. */
export async function guard<T>(step: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw new Requeue(`${step} failed`, { cause });
  }
}

export function retryDelay(deliveryCount: number, outage = false): number {
  return Math.max(MIN_RETRY_DELAY_MS, backoffDelay(deliveryCount, outage ? OUTAGE_BACKOFF : RETRY_BACKOFF));
}

/** nak/term/working on a message whose connection may be gone: log, never throw. */
export function settle(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (err) {
    log.debug({ err }, "message could not be settled (connection gone?)");
  }
}

export async function ackQuietly(msg: WorkMessage, log: Logger): Promise<void> {
  try {
    await msg.ack();
  } catch (err) {
    // The result is stored and published; a redelivery is skipped once the scheduler has recorded it.
    log.warn({ err }, "ack failed");
  }
}

/** True when `p` settled within `ms`. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
