/** Derived views of the state: what the list shows, where the selection is, the stats. Pure. */
import { ALL_STATES } from "../../core/states.js";
import { matchesSubject } from "../../core/topic-match.js";
import { DEFAULT_SORT } from "./sort-order.js";
import { type JobRow, type LogEntry, STATS_WINDOW_MS, type WatchState } from "./state.js";
import { parentOf, sortJobRows, type TableRow, tableRows } from "./table.js";

/**
 * `/text` matches a job whose state starts with it ("fail", "RUNNING") or whose topic
 * contains it ("echo") or matches it as a subject pattern ("job.chat.*").
 */
export function matchesFilter(filter: string, topic: string, state: string): boolean {
  const f = filter.trim();
  if (f === "") return true;
  const upper = f.toUpperCase();
  if (state !== "" && state.startsWith(upper)) return true;
  if (topic.toLowerCase().includes(f.toLowerCase())) return true;
  return f.includes("*") || f.endsWith(">") ? matchesSubject(f, topic) : false;
}

/** True when the filter names job states only (the log then hides non-state lines). */
export function isStateFilter(filter: string): boolean {
  const upper = filter.trim().toUpperCase();
  return upper !== "" && ALL_STATES.some((s) => s.startsWith(upper));
}

type TableInputs = Pick<WatchState, "jobs" | "filter"> &
  Partial<Pick<WatchState, "sort" | "expanded" | "now">>;

/** The table as shown: sorted, children folded under their parents; a filter lists matches flat. */
export function visibleTable(state: TableInputs): TableRow[] {
  const sorted = sortJobRows(state.jobs.values(), state.sort ?? DEFAULT_SORT, state.now ?? 0);
  if (state.filter === "") return tableRows(sorted, state.expanded ?? new Set());
  const matching = sorted.filter((r) => matchesFilter(state.filter, r.topic, r.state));
  return tableRows(matching, new Set(), true);
}

export function visibleJobs(state: TableInputs): JobRow[] {
  return visibleTable(state).map((t) => t.row);
}

/** The log pane's entries: every event, or in "job" mode those of the selected job and its children. */
export function paneLog(state: WatchState): readonly LogEntry[] {
  if (state.logPane === "all") return visibleLog(state);
  const job = selectedJob(state);
  if (job === undefined) return [];
  const family = (id: string) =>
    id === job.jobId || parentOf(state.jobs.get(id) ?? { jobId: id, parentJobId: "" }) === job.jobId;
  return state.log.filter((e) => e.jobId !== "" && family(e.jobId));
}

export function visibleLog(state: Pick<WatchState, "log" | "filter">): readonly LogEntry[] {
  if (state.filter === "") return state.log;
  const stateOnly = isStateFilter(state.filter);
  return state.log.filter((e) =>
    e.state === ""
      ? !stateOnly && e.topic !== "" && matchesFilter(state.filter, e.topic, "")
      : matchesFilter(state.filter, e.topic, e.state),
  );
}

/** Index of the selected row in `rows`: the selected job, else the last index clamped. */
export function selectedIndex(
  state: Pick<WatchState, "selectedId" | "selectedIndex">,
  rows: readonly JobRow[],
): number {
  if (rows.length === 0) return -1;
  if (state.selectedId !== undefined) {
    const i = rows.findIndex((r) => r.jobId === state.selectedId);
    if (i >= 0) return i;
  }
  return Math.min(Math.max(0, state.selectedIndex), rows.length - 1);
}

export function selectedJob(state: WatchState): JobRow | undefined {
  const rows = visibleJobs(state);
  return rows[selectedIndex(state, rows)];
}

export interface Stats {
  jobsPerSecond: number;
  failures: number;
  finished: number;
}

export function windowStats(state: Pick<WatchState, "finishes" | "now">): Stats {
  const from = state.now - STATS_WINDOW_MS;
  let finished = 0;
  let failures = 0;
  for (const f of state.finishes) {
    if (f.atMs <= from) continue;
    finished += 1;
    if (f.failed) failures += 1;
  }
  return { jobsPerSecond: finished / (STATS_WINDOW_MS / 1000), failures, finished };
}

/** First row to show so that `selected` stays inside a window of `height` rows. */
export function scrollOffset(count: number, selected: number, height: number): number {
  if (height <= 0 || count <= height || selected < height) return 0;
  return Math.min(selected - height + 1, count - height);
}
