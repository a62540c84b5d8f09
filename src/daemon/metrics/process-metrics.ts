/** Node process metrics (CPU, memory, event loop, GC) on a registry, at most once per registry. */
import { collectDefaultMetrics, type Registry } from "prom-client";

const withProcessMetrics = new WeakSet<Registry>();

/**
 * prom-client's gauges that end in `_total`, which `promtool check metrics` rejects
 * (only counters may); the same numbers remain by type in nodejs_active_handles,
 * nodejs_active_requests and nodejs_active_resources.
 */
const LINT_FAILING = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/**
 * The daemon puts them on the process's one registry (src/daemon/main.ts). Registering twice
 * on one registry would throw on the duplicate names, hence the guard.
 */
export function registerProcessMetrics(registry: Registry): void {
  if (withProcessMetrics.has(registry)) return;
  withProcessMetrics.add(registry);
  collectDefaultMetrics({ register: registry });
  for (const name of LINT_FAILING) registry.removeSingleMetric(name);
}
