/**
 * Metric names on both sides of a dashboard: the series names a PromQL query reads, and the
 * series names a Prometheus text exposition offers (a histogram's `_bucket`, `_sum`, `_count`).
 */
import { readFileSync } from "node:fs";

export const DASHBOARD_FILE = "docker/grafana/cortex-dashboard.json";

/** PromQL words that are not metric names when they stand outside braces and before no "(". */
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
  "and",
  "or",
  "unless",
  "inf",
  "nan",
]);

/** The metric names `expr` selects: label matchers, strings, ranges and grouping lists left out. */
export function promqlMetricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, word, call] = m;
    if (word === undefined || call !== undefined || KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Every series name the exposition `text` offers, from its `# TYPE` lines. */
export function exportedSeriesNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${name}${s}`);
    else if (type === "summary") for (const s of ["", "_sum", "_count"]) names.add(`${name}${s}`);
    else names.add(name);
  }
  return names;
}

interface Target {
  expr?: string;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name?: string;
  definition?: string;
}
export interface Dashboard {
  uid?: string;
  title?: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
}

/** Every panel, rows' nested ones too. */
export function allPanels(d: Dashboard): Panel[] {
  return (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** `where: query` for every PromQL query of the dashboard (panel targets and query variables). */
export function dashboardQueries(d: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of allPanels(d))
    for (const t of p.targets ?? [])
      if (t.expr !== undefined) out.push({ where: `${p.title}`, expr: t.expr });
  for (const v of d.templating?.list ?? []) {
    // label_values(metric, label): the metric is what the variable reads.
    const metric = /^label_values\(\s*([^,)]+)/.exec(v.definition ?? "")?.[1];
    if (metric !== undefined) out.push({ where: `variable ${v.name}`, expr: metric.trim() });
  }
  return out;
}
