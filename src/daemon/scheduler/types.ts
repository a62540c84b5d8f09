/** What the scheduler is built from. Everything is injected so tests can pass small timeouts and a clock. */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Bus } from "../../bus/bus.js";
import type { PoolsConfig, TimeoutsConfig } from "../../config/index.js";
import type { PolicyChecker, PolicyVerdict } from "../../core/policy-checker.js";
import type { JobLifecycle } from "../../jobs/index.js";
import type { JobStore } from "../../store/job-store.js";

export type SafetyDecision = PolicyVerdict["decision"];

/**
 * The one call the scheduler needs from the safety kernel. The gRPC client implements it and
 * throws CortexError SAFETY_UNAVAILABLE when the kernel cannot be reached.
 */
export type SafetyChecker = PolicyChecker;

export interface SchedulerOptions {
  bus: Bus;
  store: JobStore;
  /** Used when `jobs` is not given (the lifecycle then checks the policy with it). */
  safety?: SafetyChecker;
  /** The process's shared job lifecycle; built from the other options when absent. */
  jobs?: JobLifecycle;
  pools: PoolsConfig;
  timeouts: TimeoutsConfig;
  /** Scheduler metrics are registered here (one Scheduler per registry). */
  metrics: Registry;
  logger: Logger;
  /** CORTEX_MAX_CONTEXT_BYTES: bus submits are held to the gateway's size limit. Default 1 MiB. */
  maxContextBytes?: number;
  /** Unix ms; defaults to Date.now. */
  clock?: () => number;
  /** Sender id stamped on packets the scheduler publishes. */
  senderId?: string;
  /**
   * Extra time a RUNNING job gets beyond timeout_seconds × (max_retries + 1) before the
   * reconciler times it out: redeliveries wait out an ack-wait each. Default 30 s.
   */
  runningGraceSeconds?: number;
  /**
   * After start, the worker registry is empty until the workers' next beats arrive; SCHEDULED
   * jobs are not timed out for "no live worker" during this window. Default 6 s (one beat + slack).
   */
  registryWarmupMs?: number;
}

/** The pieces the scheduler's parts share. */
export interface SchedulerDeps {
  bus: Bus;
  store: JobStore;
  pools: PoolsConfig;
  timeouts: TimeoutsConfig;
  logger: Logger;
  clock: () => number;
  senderId: string;
}
