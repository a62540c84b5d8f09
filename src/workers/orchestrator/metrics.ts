/** The orchestrator's Prometheus metrics (on the process's one /metrics, CORTEX_METRICS_PORT). */
import { Counter, Histogram, type Registry } from "prom-client";

export type WorkflowStatus = "succeeded" | "failed" | "timeout" | "cancelled";

export class OrchestratorMetrics {
  readonly started: Counter<"workflow">;
  readonly completed: Counter<"workflow" | "status">;
  readonly duration: Histogram<"workflow">;

  constructor(registry: Registry) {
    // Several orchestrator runtimes may share one registry (one per kind instance): reuse.
    this.started =
      (registry.getSingleMetric("cortex_orchestrator_workflows_started_total") as Counter<"workflow">) ??
      new Counter({
        name: "cortex_orchestrator_workflows_started_total",
        help: "Workflows the orchestrator started, by workflow.",
        labelNames: ["workflow"] as const,
        registers: [registry],
      });
    this.completed =
      (registry.getSingleMetric("cortex_orchestrator_workflows_completed_total") as Counter<
        "workflow" | "status"
      >) ??
      new Counter({
        name: "cortex_orchestrator_workflows_completed_total",
        help: "Workflows that ended, by workflow and status (succeeded, failed, timeout, cancelled).",
        labelNames: ["workflow", "status"] as const,
        registers: [registry],
      });
    this.duration =
      (registry.getSingleMetric("cortex_orchestrator_workflow_duration_seconds") as Histogram<"workflow">) ??
      new Histogram({
        name: "cortex_orchestrator_workflow_duration_seconds",
        help: "Wall time of a workflow from its start to its end, by workflow.",
        labelNames: ["workflow"] as const,
        buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1200],
        registers: [registry],
      });
  }

  onStart(workflow: string): void {
    this.started.inc({ workflow });
  }

  onEnd(workflow: string, status: WorkflowStatus, seconds: number): void {
    this.completed.inc({ workflow, status });
    this.duration.observe({ workflow }, seconds);
  }
}
