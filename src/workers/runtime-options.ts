/**
 * WorkerRuntime options and their defaults. Per-topic delivery settings come from
 * timeouts.yaml via topicSettingsFromTimeout; tests pass small values directly.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import type { TimeoutsConfig } from "../config/index.js";
import type { JobLifecycle } from "../jobs/index.js";
import type { JobStore } from "../store/job-store.js";
import type { JobHandler } from "./handler.js";

/** Delivery settings of one topic, computed by the caller from timeouts.yaml. */
export interface TopicSettings {
  /** Redeliver when not acked (nor `working()`-extended) within this time. */
  ackWaitMs: number;
  /**
   * Deliveries before JetStream gives up on a message; -1 (the default) = no limit. A
   * hand-back during an outage is a delivery but not an attempt: the jobs layer alone
   * counts attempts (retry-policy.ts), so a delivery limit would lose jobs to outages.
   */
  maxDeliver: number;
  /** Per-attempt deadline when the JobRequest carries no timeout_ms. */
  timeoutMs: number;
}

export interface WorkerRuntimeOptions {
  bus: Bus;
  store: JobStore;
  /** The process's job lifecycle; built from bus, store and `timeouts` when absent. */
  jobs?: JobLifecycle;
  /** Retry budgets (max_retries per topic) when `jobs` is not given; default: no retries. */
  timeouts?: TimeoutsConfig;
  /** A job still running after this is marked RUNNING; a faster one records it with its end. Default 250. */
  runningMarkMs?: number;
  /** Worker kind (heartbeat `type`), e.g. "echo". */
  kind: string;
  pool: string;
  topics: readonly string[];
  handler: JobHandler;
  /** max_parallel_jobs across all topics. Default 4. */
  concurrency?: number;
  /** Default `${kind}-${hostname}-${pid}-${random}`. */
  workerId?: string;
  /** Defaults for topics without an entry in `topicSettings`. */
  ackWaitMs?: number;
  maxDeliver?: number;
  timeoutMs?: number;
  topicSettings?: Readonly<Record<string, Partial<TopicSettings>>>;
  /** Default 5000. */
  heartbeatIntervalMs?: number;
  /** How long drain() waits for jobs in flight before aborting them. Default 30 s. */
  drainTimeoutMs?: number;
  logger?: Logger;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const MAX_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = -1;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/**
 * Settings for a topic from its timeouts.yaml entry: ack wait min(timeout, 30 s), no
 * delivery limit (max_retries is enforced by the jobs layer on the store's attempts).
 */
export function topicSettingsFromTimeout(t: { timeoutSeconds: number }): TopicSettings {
  const timeoutMs = t.timeoutSeconds * 1000;
  return { timeoutMs, ackWaitMs: Math.min(timeoutMs, MAX_ACK_WAIT_MS), maxDeliver: DEFAULT_MAX_DELIVER };
}

export function defaultWorkerId(kind: string): string {
  return `${kind}-${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}
