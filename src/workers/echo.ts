/**
 * The echo worker: returns the context it received. An optional `sleep_ms` makes it a
 * stand-in for slow work in tests and demos (capped, and abortable by cancel/timeout).
 * Written with the worker SDK, as a user's worker would be, to show the SDK is enough.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { WORKER_KIND_ROUTES } from "../core/worker-kinds.js";
import { defineWorker, type TopicDefinition } from "../sdk/index.js";
import type { JobHandler } from "./handler.js";
import { sdkTopicHandler, servicesUnavailable } from "./sdk-handler.js";

/** Longest sleep a context may ask for, so a typo cannot pin a worker slot for hours. */
export const ECHO_MAX_SLEEP_MS = 60_000;

export interface EchoResult {
  job_id: string;
  processed_by: string;
  received_ctx: Record<string, unknown>;
  completed_at_utc: string;
}

const route = WORKER_KIND_ROUTES.echo;

export const echoWorker = defineWorker({
  pool: route.pool,
  topics: {
    [route.topics[0]]: async (input, ctx): Promise<EchoResult> => {
      const context = input as Record<string, unknown>;
      const sleepMs = requestedSleep(context.sleep_ms);
      if (sleepMs > 0) await sleep(sleepMs, undefined, { signal: ctx.signal });
      ctx.signal.throwIfAborted();
      return {
        job_id: ctx.jobId,
        processed_by: ctx.workerId,
        received_ctx: context,
        completed_at_utc: new Date().toISOString(),
      };
    },
  },
});

/** Echo needs nothing beyond its job (no child jobs, no model); tests run it on their own topics too. */
export const echoHandler: JobHandler = sdkTopicHandler(
  echoWorker.topics[route.topics[0]] as TopicDefinition,
  servicesUnavailable("echo"),
);

function requestedSleep(value: unknown): number {
  const ms = typeof value === "string" ? Number(value) : value;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) return 0;
  return Math.min(ms, ECHO_MAX_SLEEP_MS);
}
