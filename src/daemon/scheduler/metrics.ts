/** The scheduler's Prometheus metrics, registered on the registry it is given. */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { isTerminal } from "../../core/states.js";
import type { JobsObserver } from "../../jobs/index.js";
import type { JobRecord } from "../../store/job-store.js";

// Jobs range from sub-second echoes to multi-minute LLM runs.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export class SchedulerMetrics implements JobsObserver {
  readonly received: Counter<"topic">;
  readonly deniedCount: Counter<"topic">;
  readonly dispatchedCount: Counter<"topic">;
  readonly completed: Counter<"topic" | "status">;
  readonly dispatchLatency: Histogram<"topic">;
  readonly duration: Histogram<"topic" | "status">;

  constructor(registry: Registry, liveWorkersByPool: () => ReadonlyMap<string, number>) {
    const registers = [registry];
    this.received = new Counter({
      name: "cortex_scheduler_jobs_received_total",
      help: "Jobs the scheduler took a first decision on (scheduled, denied or failed), by topic",
      labelNames: ["topic"],
      registers,
    });
    this.deniedCount = new Counter({
      name: "cortex_scheduler_safety_denied_total",
      help: "Jobs the safety kernel denied, by topic",
      labelNames: ["topic"],
      registers,
    });
    this.dispatchedCount = new Counter({
      name: "cortex_scheduler_jobs_dispatched_total",
      help: "Job attempts published to their topic, by topic",
      labelNames: ["topic"],
      registers,
    });
    this.completed = new Counter({
      name: "cortex_scheduler_jobs_completed_total",
      help: "Jobs that reached a terminal state through the scheduler, by topic and final state",
      labelNames: ["topic", "status"],
      registers,
    });
    this.dispatchLatency = new Histogram({
      name: "cortex_scheduler_dispatch_latency_seconds",
      help: "Time from job creation to its first dispatch, by topic",
      labelNames: ["topic"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.duration = new Histogram({
      name: "cortex_scheduler_job_duration_seconds",
      help: "Time from job creation to its terminal state, by topic and final state",
      labelNames: ["topic", "status"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: "cortex_scheduler_live_workers",
      help: "Workers whose heartbeats are current, by pool",
      labelNames: ["pool"],
      registers,
      collect() {
        this.reset();
        for (const [pool, n] of liveWorkersByPool()) this.set({ pool }, n);
      },
    });
  }

  decided(topic: string): void {
    this.received.inc({ topic });
  }

  denied(topic: string): void {
    this.deniedCount.inc({ topic });
  }

  dispatched(job: JobRecord, attempt: number): void {
    this.dispatchedCount.inc({ topic: job.topic });
    // Later attempts would measure retry delays, not scheduling latency.
    if (attempt !== 1) return;
    const at = job.dispatchedAt ?? Date.now();
    this.dispatchLatency.observe({ topic: job.topic }, Math.max(0, at - job.createdAt) / 1000);
  }

  /** Counts a job that just reached a terminal state. */
  ended(job: JobRecord): void {
    if (!isTerminal(job.state)) return;
    const labels = { topic: job.topic, status: job.state.toLowerCase() };
    this.completed.inc(labels);
    const end = job.finishedAt ?? job.updatedAt;
    this.duration.observe(labels, Math.max(0, end - job.createdAt) / 1000);
  }
}
