/** What the jobs layer is built from. Entry points construct the adapters and pass them in. */
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import type { PoolsConfig, TimeoutsConfig } from "../config/index.js";
import type { ApprovalDecision } from "../core/approval.js";
import type { PolicyChecker } from "../core/policy-checker.js";
import type { JobRecord, JobStore } from "../store/job-store.js";

/**
 * The safety decision for a job: the kernel's own policy code in process, or the remote
 * kernel's `SafetyKernel.Check`. Rejects with SAFETY_UNAVAILABLE when it cannot answer
 * (admission then stays fail-closed).
 */
export type PolicyGate = PolicyChecker;

/** Hooks for metrics; every method is optional. */
export interface JobsObserver {
  /** A first decision on a job: scheduled, denied or failed. */
  decided?(topic: string): void;
  denied?(topic: string): void;
  dispatched?(job: JobRecord, attempt: number): void;
  /** A job reached a terminal state. */
  ended?(job: JobRecord): void;
  /** A require_approval rule held a job. */
  held?(topic: string): void;
  /** A held job was approved, rejected or expired; `waitMs` from the request to the decision. */
  approvalDecided?(decision: ApprovalDecision, waitMs: number): void;
}

export interface JobsDeps {
  bus: Bus;
  store: JobStore;
  logger: Logger;
  pools: PoolsConfig;
  timeouts: TimeoutsConfig;
  /** sender_id of the packets this process publishes. */
  senderId: string;
  observer?: JobsObserver;
  clock?: () => number;
}
