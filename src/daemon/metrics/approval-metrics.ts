/**
 * Human approvals of held jobs: how many were approved, rejected or expired, and how long a
 * job waited for its decision. Fed by the jobs layer's observer; one per process, on the
 * registry of the process's other job metrics.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { ApprovalDecision } from "../../core/approval.js";
import type { JobsObserver } from "../../jobs/index.js";

// A human answers in minutes to a day; expiry defaults to 24 h.
const WAIT_BUCKETS = [1, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 172_800, 604_800];

export class ApprovalMetrics implements JobsObserver {
  private readonly decisions: Counter<"decision">;
  private readonly wait: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.decisions = new Counter({
      name: "cortex_safety_approvals_total",
      help: "Decisions on jobs held by a require_approval rule, by decision (approved, rejected, expired)",
      labelNames: ["decision"],
      registers,
    });
    this.wait = new Histogram({
      name: "cortex_safety_approval_wait_seconds",
      help: "Time from a job's approval request to its decision (approved, rejected or expired)",
      buckets: WAIT_BUCKETS,
      registers,
    });
  }

  approvalDecided(decision: ApprovalDecision, waitMs: number): void {
    this.decisions.inc({ decision });
    this.wait.observe(Math.max(0, waitMs) / 1000);
  }
}
