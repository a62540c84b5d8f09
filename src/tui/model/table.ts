/**
 * The job table's order and shape: sorting by a column, and workflow children folded under
 * their parent. Pure; the view and the keys both read the same flattened rows.
 */
import { jobDurationMs, shortId } from "../format.js";
import type { SortKey, SortOrder } from "./sort-order.js";
import type { JobRow } from "./state.js";

/** One line of the table: a job, how deep it sits, and what its id cell shows. */
export interface TableRow {
  row: JobRow;
  depth: 0 | 1;
  /** The id cell: the short id, or for a child the part that differs from its parent's id. */
  label: string;
  /** Children of this row (0 for a child or a job without any). */
  children: number;
  expanded: boolean;
}

const CHILD_MARKERS = ["-s-", "-plan-"] as const;

/**
 * The parent of a workflow child: the listing's parent link when known, else the id the
 * orchestrator builds (`<parent>-s-<step>-<n>`, `<parent>-plan-<n>`), since events carry no link.
 */
export function parentOf(row: Pick<JobRow, "jobId" | "parentJobId">): string | undefined {
  if (row.parentJobId !== "") return row.parentJobId;
  for (const marker of CHILD_MARKERS) {
    const at = row.jobId.lastIndexOf(marker);
    if (at > 0) return row.jobId.slice(0, at);
  }
  return undefined;
}

/** What a child's id cell shows: the part after its parent's id (`s-patch-1`). */
export function childLabel(row: Pick<JobRow, "jobId">, parentId: string): string {
  return row.jobId.startsWith(`${parentId}-`) ? row.jobId.slice(parentId.length + 1) : row.jobId;
}

/** An id in log lines and titles: the short id, a child's as `<parent short id>/s-patch-1`. */
export function displayId(jobId: string): string {
  const parent = parentOf({ jobId, parentJobId: "" });
  return parent === undefined ? shortId(jobId) : `${shortId(parent)}/${childLabel({ jobId }, parent)}`;
}

const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function compare(key: SortKey, now: number): (a: JobRow, b: JobRow) => number {
  switch (key) {
    case "age":
      // Newest first.
      return (a, b) => b.createdAtMs - a.createdAtMs;
    case "id":
      return (a, b) => text(a.jobId, b.jobId);
    case "topic":
      return (a, b) => text(a.topic, b.topic);
    case "state":
      return (a, b) => text(a.state, b.state);
    case "attempts":
      return (a, b) => b.attempts - a.attempts;
    case "duration":
      // Longest first; jobs not started yet last.
      return (a, b) => (jobDurationMs(b, now) ?? -1) - (jobDurationMs(a, now) ?? -1);
    case "worker":
      return (a, b) => text(a.workerId, b.workerId);
  }
}

/** Sorted by the column, ties newest first, then by id, so the order never flickers. */
export function sortJobRows(rows: Iterable<JobRow>, order: SortOrder, now: number): JobRow[] {
  const by = compare(order.key, now);
  const sign = order.reversed ? -1 : 1;
  return [...rows].sort(
    (a, b) =>
      sign * by(a, b) ||
      b.createdAtMs - a.createdAtMs ||
      (a.jobId < b.jobId ? 1 : a.jobId > b.jobId ? -1 : 0),
  );
}

/**
 * Sorted rows as a tree: a child whose parent is listed goes under it (in the same order),
 * shown only when the parent is expanded. With `flat`, every row stands alone (a filter).
 */
export function tableRows(rows: readonly JobRow[], expanded: ReadonlySet<string>, flat = false): TableRow[] {
  const byId = new Map(rows.map((r) => [r.jobId, r]));
  // A grandchild (a nested workflow) folds under the topmost listed ancestor.
  const rootOf = (row: JobRow): string | undefined => {
    let root: string | undefined;
    let at: JobRow | undefined = row;
    for (let hops = 0; at !== undefined && hops < 8; hops++) {
      const parent = parentOf(at);
      if (parent === undefined || parent === at.jobId || !byId.has(parent)) break;
      root = parent;
      at = byId.get(parent);
    }
    return root;
  };
  const children = new Map<string, JobRow[]>();
  const top: JobRow[] = [];
  for (const row of rows) {
    const parent = flat ? undefined : rootOf(row);
    if (parent !== undefined) {
      const list = children.get(parent) ?? [];
      list.push(row);
      children.set(parent, list);
    } else top.push(row);
  }
  const out: TableRow[] = [];
  for (const row of top) {
    const kids = children.get(row.jobId) ?? [];
    const open = expanded.has(row.jobId);
    out.push({ row, depth: 0, label: shortId(row.jobId), children: kids.length, expanded: open });
    if (!open) continue;
    for (const kid of kids)
      out.push({ row: kid, depth: 1, label: childLabel(kid, row.jobId), children: 0, expanded: false });
  }
  return out;
}
