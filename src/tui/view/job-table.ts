/** The job table: columns sized to the terminal and the content, the sort shown in the header. Pure. */
import { cell, formatAge, formatDuration, jobAgeMs, jobDurationMs, stateTone } from "../format.js";
import { scrollOffset } from "../model/selectors.js";
import type { SortKey, SortOrder } from "../model/sort-order.js";
import type { TableRow } from "../model/table.js";
import { type ColumnSpec, layoutColumns, type PlacedColumn } from "./column-layout.js";
import { fillLine, type Line, type Segment, seg, styleLine } from "./line.js";

type ColumnKey = SortKey | "reason";
export type JobColumns = PlacedColumn<ColumnKey>[];

/** Content never makes a text column wider than this; the rest of a long name is cut. */
const MAX_TEXT = 48;

const len = (s: string) => Array.from(s).length;
const widest = (values: Iterable<string>, floor: number) => {
  let w = floor;
  for (const v of values) w = Math.max(w, len(v));
  return Math.min(w, MAX_TEXT);
};

/** The id cell: the short id (with the fold mark of a workflow), or a child's own part. */
export function idText(t: TableRow): string {
  if (t.depth === 1) return `└${t.label}`;
  if (t.children === 0) return t.label;
  return t.expanded ? `${t.label} ▾` : `${t.label} ▸${t.children}`;
}

const TITLES: Record<ColumnKey, string> = {
  id: "ID",
  topic: "TOPIC",
  state: "STATE",
  attempts: "ATT",
  age: "AGE",
  duration: "DURATION",
  worker: "WORKER",
  reason: "REASON",
};

/** The title with ↓ (natural order) or ↑ (reversed) on the sorted column. */
const title = (key: ColumnKey, sort: SortOrder) =>
  key === sort.key ? `${TITLES[key]}${sort.reversed ? "↑" : "↓"}` : TITLES[key];

export function jobColumns(rows: readonly TableRow[], columns: number, sort: SortOrder): JobColumns {
  const spec = (
    key: ColumnKey,
    min: number,
    ideal: number,
    drop: number,
    align: "left" | "right" = "left",
  ): ColumnSpec<ColumnKey> => {
    const t = len(title(key, sort));
    const optional = key === "reason";
    return {
      key,
      title: title(key, sort),
      min: Math.max(min, t),
      ideal: Math.max(ideal, t),
      drop,
      align,
      optional,
    };
  };
  const jobs = rows.map((r) => r.row);
  // Names are what k9s users look for: the reason only gets the room they leave.
  return layoutColumns(
    [
      spec("id", 8, widest(rows.map(idText), 8), 0),
      spec(
        "topic",
        8,
        widest(
          jobs.map((j) => j.topic),
          8,
        ),
        0,
      ),
      spec("state", 10, 10, 0),
      spec("attempts", 3, 3, 4, "right"),
      spec("age", 5, 7, 2, "right"),
      spec("duration", 6, 8, 3, "right"),
      spec(
        "worker",
        8,
        widest(
          jobs.map((j) => j.workerId || "-"),
          8,
        ),
        1,
      ),
      spec(
        "reason",
        8,
        widest(
          jobs.map((j) => j.reason),
          0,
        ),
        5,
      ),
    ].filter((c) => c.key !== "reason" || jobs.some((j) => j.reason !== "")),
    columns,
  );
}

export function jobHeaderLine(cols: JobColumns, columns: number): Line {
  const text = ` ${cols.map((c) => cell(c.title, c.width, c.align)).join(" ")}`;
  return fillLine([seg(text, { bold: true, dim: true })], columns);
}

function jobCells(t: TableRow, now: number, cols: JobColumns): Segment[] {
  const row = t.row;
  const out: Segment[] = [];
  for (const [i, c] of cols.entries()) {
    if (i > 0) out.push(seg(" "));
    const put = (text: string, style: Omit<Segment, "text"> = {}) =>
      out.push(seg(cell(text, c.width, c.align), style));
    switch (c.key) {
      case "id":
        put(idText(t), t.depth === 1 ? { dim: true } : {});
        break;
      case "topic":
        put(row.topic);
        break;
      case "state":
        // A held job waits for a person, not the stack: marked so it stands out of the list.
        if (row.state === "AWAITING_APPROVAL") put("◆ APPROVAL", { color: "magenta", bold: true });
        else put(row.state || "?", { color: stateTone(row.state), bold: row.state === "RUNNING" });
        break;
      case "attempts":
        put(String(row.attempts));
        break;
      case "age":
        put(formatAge(jobAgeMs(row, now)));
        break;
      case "duration": {
        const d = jobDurationMs(row, now);
        put(d === undefined ? "-" : formatDuration(d));
        break;
      }
      case "worker":
        put(row.workerId || "-", { dim: true });
        break;
      case "reason":
        put(row.reason, { dim: true });
        break;
    }
  }
  return out;
}

/** The table's body: exactly `height` lines, scrolled so the selection is visible. */
export function jobLines(
  rows: readonly TableRow[],
  selected: number,
  now: number,
  cols: JobColumns,
  columns: number,
  height: number,
  emptyText: string,
): Line[] {
  if (height <= 0) return [];
  const out: Line[] = [];
  if (rows.length === 0) out.push([seg(emptyText, { dim: true })]);
  const offset = scrollOffset(rows.length, selected, height);
  for (const [i, t] of rows.slice(offset, offset + height).entries()) {
    const isSelected = offset + i === selected;
    const line = fillLine([seg(isSelected ? ">" : " "), ...jobCells(t, now, cols)], columns);
    out.push(isSelected ? styleLine(line, { inverse: true }) : line);
  }
  while (out.length < height) out.push([]);
  return out;
}
