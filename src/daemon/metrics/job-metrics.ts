/**
 * Job latency by topic, observed where a job ends: the process whose lifecycle moved it to
 * a terminal state (a worker process, the scheduler's reconciler, the gateway's cancel). Each
 * end happens in exactly one process, so the series of all processes add up without double
 * counting. Topics are the keys of pools.yaml; any other topic is counted as "other", so a
 * client submitting made-up topics cannot grow the series count.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import { isTerminal } from "../../core/states.js";
import type { JobsObserver } from "../../jobs/index.js";
import type { JobRecord } from "../../store/job-store.js";

export const OTHER_TOPIC = "other";

// From an idle worker picking a job up at once to a backlog of minutes.
const WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
// From sub-second echoes to multi-minute LLM runs and workflows.
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export class JobMetrics implements JobsObserver {
  private readonly known: ReadonlySet<string>;
  private readonly finished: Counter<"topic" | "status">;
  private readonly queueWait: Histogram<"topic">;
  private readonly run: Histogram<"topic">;

  constructor(registry: Registry, topics: Iterable<string>) {
    this.known = new Set(topics);
    const registers = [registry];
    this.finished = new Counter({
      name: "cortex_jobs_finished_total",
      help: "Jobs that reached a terminal state in this process, by topic and final state",
      labelNames: ["topic", "status"],
      registers,
    });
    this.queueWait = new Histogram({
      name: "cortex_job_queue_wait_seconds",
      help: "Time a finished job's last attempt waited from scheduled to started, by topic",
      labelNames: ["topic"],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.run = new Histogram({
      name: "cortex_job_run_seconds",
      help: "Time a finished job's last attempt ran, from started to finished, by topic",
      labelNames: ["topic"],
      buckets: RUN_BUCKETS,
      registers,
    });
  }

  /** The label for `topic`: itself when pools.yaml routes it, else "other". */
  topicLabel(topic: string): string {
    return this.known.has(topic) ? topic : OTHER_TOPIC;
  }

  ended(job: JobRecord): void {
    if (!isTerminal(job.state)) return;
    const topic = this.topicLabel(job.topic);
    this.finished.inc({ topic, status: job.state.toLowerCase() });
    const queued = job.scheduledAt ?? job.createdAt;
    // A job that never started (denied, cancelled while queued), or whose start belongs to an
    // earlier attempt than its last scheduling, has no run of its own to measure.
    if (job.startedAt === undefined || job.startedAt < queued) return;
    const end = job.finishedAt ?? job.updatedAt;
    this.queueWait.observe({ topic }, (job.startedAt - queued) / 1000);
    this.run.observe({ topic }, Math.max(0, end - job.startedAt) / 1000);
  }
}
