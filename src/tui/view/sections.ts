/** Pools and the event log as lines of a given width and height. Pure. */
import { cell, clock, formatAge } from "../format.js";
import type { LogEntry, PoolRow } from "../model/state.js";
import { clipLine, fillLine, type Line, seg } from "./line.js";

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
