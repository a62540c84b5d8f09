/**
 * docker/grafana/cortex-dashboard.json: valid JSON a Grafana imports (unique panel ids, a
 * Prometheus datasource variable, a layout on the 24-column grid), and every metric its
 * queries read is one the daemon's registries define. test/e2e/metrics.test.ts checks the
 * same names against a running daemon's scrape.
 */
import { readFileSync } from "node:fs";
import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ApprovalMetrics } from "../../../src/daemon/metrics/approval-metrics.js";
import { GatewayMetrics } from "../../../src/daemon/metrics/gateway-metrics.js";
import { JobMetrics } from "../../../src/daemon/metrics/job-metrics.js";
import { registerProcessMetrics } from "../../../src/daemon/metrics/process-metrics.js";
import { SafetyKernelServer } from "../../../src/daemon/safety/safety-server.js";
import { SchedulerMetrics } from "../../../src/daemon/scheduler/metrics.js";
import { OrchestratorMetrics } from "../../../src/workers/orchestrator/metrics.js";
import {
  allPanels,
  DASHBOARD_FILE,
  dashboardQueries,
  exportedSeriesNames,
  promqlMetricNames,
  readDashboard,
} from "../../support/metric-names.js";

/** Grafana's reference to the dashboard's datasource variable (not a JS placeholder). */
const DATASOURCE_VAR = ["$", "{datasource}"].join("");

/** A registry with every component's metrics, as an all-in-one daemon builds it. */
async function daemonSeries(): Promise<Set<string>> {
  const registry = new Registry();
  registerProcessMetrics(registry);
  new ApprovalMetrics(registry);
  new JobMetrics(registry, ["job.echo"]);
  new SchedulerMetrics(registry, () => new Map());
  new GatewayMetrics(registry, {
    watchers: () => ({ grpc: 0, websocket: 0 }),
    liveWorkersByPool: () => new Map(),
    storeDecodeFailures: () => 0,
  });
  new OrchestratorMetrics(registry);
  new SafetyKernelServer({
    policy: { default_tenant: "default", default_effect: "allow", rules: [] } as never,
    logger: pino({ level: "silent" }),
    port: 0,
    registry,
  });
  return exportedSeriesNames(await registry.metrics());
}

describe("promqlMetricNames", () => {
  it("finds the series a query reads, not functions, labels, ranges or grouping", () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (topic, le) (rate(cortex_job_run_seconds_bucket{topic=~"$topic"}[$__rate_interval])))',
      ),
    ).toEqual(["cortex_job_run_seconds_bucket"]);
    expect(promqlMetricNames("max by (pool) (a_metric) / on (pool) group_left b:rule offset 5m")).toEqual([
      "a_metric",
      "b:rule",
    ]);
  });
});

describe(DASHBOARD_FILE, () => {
  const dashboard = readDashboard();

  it("is JSON with a uid, a title, unique panel ids and a Prometheus datasource variable", () => {
    expect(() => JSON.parse(readFileSync(DASHBOARD_FILE, "utf8"))).not.toThrow();
    expect(dashboard.uid).toBe("cortex-overview");
    expect(dashboard.title).toBeTruthy();
    const panels = allPanels(dashboard);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const raw = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as {
      templating: { list: { name: string; type: string; query: unknown }[] };
      panels: { type: string; gridPos: { x: number; w: number }; datasource?: { uid: string } }[];
    };
    expect(raw.templating.list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }),
    );
    for (const p of raw.panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type !== "row") expect(p.datasource?.uid).toBe(DATASOURCE_VAR);
    }
  });

  it("has the panels the operators need: throughput, latency p50/p99, queue wait, failures, denials, workers, approvals", () => {
    const exprs = dashboardQueries(dashboard).map((q) => q.expr);
    const reads = (name: string) => exprs.some((e) => promqlMetricNames(e).includes(name));
    expect(reads("cortex_jobs_finished_total")).toBe(true);
    for (const h of ["cortex_job_run_seconds_bucket", "cortex_job_queue_wait_seconds_bucket"])
      for (const q of ["0.5", "0.99"])
        expect(exprs.some((e) => e.startsWith(`histogram_quantile(${q},`) && e.includes(h))).toBe(true);
    expect(exprs.some((e) => e.includes('status=~"failed|timeout"'))).toBe(true);
    expect(reads("cortex_scheduler_safety_denied_total")).toBe(true);
    expect(reads("cortex_api_gateway_live_workers")).toBe(true);
    expect(reads("cortex_safety_approvals_total")).toBe(true);
  });

  it("reads only metrics the daemon's registries define", async () => {
    const series = await daemonSeries();
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(10);
    for (const { where, expr } of queries) {
      const names = promqlMetricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) expect(series.has(n), `${where}: ${n} is not exported`).toBe(true);
    }
  });
});
