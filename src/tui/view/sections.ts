/** Pools, the job table and the event log as lines of a given width and height. Pure. */
import {
  cell,
  clock,
  formatAge,
  formatDuration,
  jobAgeMs,
  jobDurationMs,
  SHORT_ID_LENGTH,
  shortId,
  stateTone,
} from "../format.js";
import { scrollOffset } from "../model/selectors.js";
import type { JobRow, LogEntry, PoolRow } from "../model/state.js";
import { clipLine, fillLine, type Line, seg, styleLine } from "./line.js";

const POOL_CELL_MIN = 38;

function poolCell(p: PoolRow, now: number, width: number): Line {
  const hb = p.lastHeartbeatMs > 0 ? formatAge(now - p.lastHeartbeatMs) : "-";
  const name = Math.max(6, width - 28);
  return fillLine(
    [
      seg(cell(p.pool, name)),
      seg(cell(`${p.liveWorkers}w`, 4, "right"), { color: p.liveWorkers === 0 ? "yellow" : "green" }),
      seg(cell(`${p.activeJobs}/${p.capacity}`, 9, "right"), {
        color: p.capacity > 0 && p.activeJobs >= p.capacity ? "yellow" : undefined,
      }),
      seg(cell(`hb ${hb}`, 9, "right"), { dim: true }),
    ],
    width - 2,
  );
}

/** Pools side by side (two per line at 80 columns), at most `maxLines` lines. */
export function poolLines(pools: readonly PoolRow[], now: number, columns: number, maxLines: number): Line[] {
  if (maxLines <= 0) return [];
  if (pools.length === 0) return [[seg("no pools reported yet", { dim: true })]];
  const perLine = Math.max(1, Math.floor(columns / POOL_CELL_MIN));
  const cellWidth = Math.floor(columns / perLine);
  const lines: Line[] = [];
  const needed = Math.ceil(pools.length / perLine);
  const shown = needed > maxLines ? maxLines * perLine - 1 : pools.length;
  for (let i = 0; i < shown; i += perLine) {
    const line: Line = [];
    for (const [j, p] of pools.slice(i, Math.min(i + perLine, shown)).entries()) {
      if (j > 0) line.push(seg("  "));
      line.push(...poolCell(p, now, cellWidth));
    }
    lines.push(line);
  }
  if (shown < pools.length) {
    // The slot left free by `shown` holds the count of the pools that do not fit.
    const more = seg(`+${pools.length - shown} more pools`, { dim: true });
    const last = lines[lines.length - 1];
    if (last !== undefined && shown % perLine !== 0) last.push(seg("  "), more);
    else lines.push([more]);
  }
  return lines.map((l) => clipLine(l, columns));
}

interface Columns {
  topic: number;
  worker: number;
}

/** Id column: 8 for plain ids, wider for a workflow child's short id (`1b8a35ad…-s-patch-1`). */
const MIN_ID_WIDTH = SHORT_ID_LENGTH;
const MAX_ID_WIDTH = 24;

/** The id column's width for these rows, so siblings in a workflow read apart. */
export function idColumnWidth(rows: readonly Pick<JobRow, "jobId">[]): number {
  const widest = Math.max(MIN_ID_WIDTH, ...rows.map((r) => Array.from(shortId(r.jobId)).length));
  return Math.min(MAX_ID_WIDTH, widest);
}

function jobColumns(columns: number, idWidth: number): Columns {
  // Marker, id, state, attempts, age, duration and the gaps between columns: 44 with an 8-wide id.
  const rest = Math.max(0, columns - 36 - idWidth);
  const worker = Math.min(24, Math.floor(rest * 0.42));
  return { topic: rest - worker, worker };
}

export function jobHeaderLine(columns: number, idWidth = MIN_ID_WIDTH): Line {
  const c = jobColumns(columns, idWidth);
  const text = ` ${cell("ID", idWidth)} ${cell("TOPIC", c.topic)} ${cell("STATE", 10)} ${cell("ATT", 3, "right")} ${cell("AGE", 7, "right")} ${cell("DURATION", 8, "right")} ${cell("WORKER", c.worker)}`;
  return fillLine([seg(text, { bold: true, dim: true })], columns);
}

function jobLine(row: JobRow, now: number, columns: number, selected: boolean, idWidth: number): Line {
  const c = jobColumns(columns, idWidth);
  const duration = jobDurationMs(row, now);
  const line: Line = [
    seg(selected ? ">" : " "),
    seg(`${cell(shortId(row.jobId), idWidth)} `),
    seg(`${cell(row.topic, c.topic)} `),
    seg(cell(row.state || "?", 10), { color: stateTone(row.state), bold: row.state === "RUNNING" }),
    seg(` ${cell(String(row.attempts), 3, "right")} `),
    seg(cell(formatAge(jobAgeMs(row, now)), 7, "right")),
    seg(` ${cell(duration === undefined ? "-" : formatDuration(duration), 8, "right")} `),
    seg(cell(row.workerId || "-", c.worker), { dim: true }),
  ];
  const full = fillLine(line, columns);
  return selected ? styleLine(full, { inverse: true }) : full;
}

/** The job table's body: exactly `height` lines, scrolled so the selection is visible. */
export function jobLines(
  rows: readonly JobRow[],
  selected: number,
  now: number,
  columns: number,
  height: number,
  emptyText: string,
  idWidth = MIN_ID_WIDTH,
): Line[] {
  if (height <= 0) return [];
  const out: Line[] = [];
  if (rows.length === 0) out.push([seg(emptyText, { dim: true })]);
  const offset = scrollOffset(rows.length, selected, height);
  for (const [i, row] of rows.slice(offset, offset + height).entries())
    out.push(jobLine(row, now, columns, offset + i === selected, idWidth));
  while (out.length < height) out.push([]);
  return out;
}

/** The newest `height` log entries, oldest first, padded to `height` lines. */
export function logLines(entries: readonly LogEntry[], columns: number, height: number): Line[] {
  if (height <= 0) return [];
  const out: Line[] = entries
    .slice(-height)
    .map((e) => clipLine([seg(`${clock(e.atMs)} `, { dim: true }), seg(e.text, { color: e.tone })], columns));
  while (out.length < height) out.push([]);
  return out;
}

export function titleLine(title: string, columns: number, right = ""): Line {
  const r = right ? ` ${right} ` : "";
  const left = `─ ${title} `;
  const fill = Math.max(0, columns - Array.from(left).length - Array.from(r).length);
  return clipLine(
    [seg(left, { bold: true }), seg("─".repeat(fill), { dim: true }), seg(r, { dim: true })],
    columns,
  );
}
