/**
 * The echo worker: returns the context it received. An optional `sleep_ms` makes it a
 * stand-in for slow work in tests and demos (capped, and abortable by cancel/timeout).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JobHandler } from "./handler.js";

/** Longest sleep a context may ask for, so a typo cannot pin a worker slot for hours. */
export const ECHO_MAX_SLEEP_MS = 60_000;

export interface EchoResult {
  job_id: string;
  processed_by: string;
  received_ctx: Record<string, unknown>;
  completed_at_utc: string;
}

export const echoHandler: JobHandler = async (job, signal): Promise<EchoResult> => {
  const sleepMs = requestedSleep(job.context.sleep_ms);
  if (sleepMs > 0) await sleep(sleepMs, undefined, { signal });
  signal.throwIfAborted();
  return {
    job_id: job.jobId,
    processed_by: job.workerId,
    received_ctx: job.context,
    completed_at_utc: new Date().toISOString(),
  };
};

function requestedSleep(value: unknown): number {
  const ms = typeof value === "string" ? Number(value) : value;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) return 0;
  return Math.min(ms, ECHO_MAX_SLEEP_MS);
}
