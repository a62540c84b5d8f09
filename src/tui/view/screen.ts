/**
 * The whole screen as lines for a terminal of `columns` × `rows`. It uses rows − 1 lines at
 * most: Ink clears the whole terminal on every frame once output fills it, which flickers.
 */

import { paneLog, selectedIndex, selectedJob, visibleTable } from "../model/selectors.js";
import type { WatchState } from "../model/state.js";
import { displayId } from "../model/table.js";
import { footerLine, helpLines } from "./chrome.js";
import { detailBodyLines, detailHeaderLines, detailOffset } from "./detail.js";
import { headerLines } from "./header.js";
import { jobColumns, jobHeaderLine, jobLines } from "./job-table.js";
import type { Line } from "./line.js";
import { logLines, poolLines, titleLine } from "./sections.js";

export interface ListLayout {
  poolLines: number;
  jobLines: number;
  logLines: number;
}

const POOLS_PER_LINE_MIN_WIDTH = 38;

/** How many lines each section gets; sections shrink (log and pools first) on small terminals. */
export function listLayout(rows: number, poolCount: number, columns: number, jobPane = false): ListLayout {
  let avail = Math.max(1, rows - 1) - 3; // header (2) and footer (1)
  const perLine = Math.max(1, Math.floor(columns / POOLS_PER_LINE_MIN_WIDTH));
  const needed = Math.max(1, Math.ceil(poolCount / perLine));
  const pools = avail >= 14 ? Math.min(needed, 4) : avail >= 10 ? Math.min(needed, 2) : 0;
  avail -= pools > 0 ? pools + 1 : 0;
  // The selected job's log gets more room than the all-events tail.
  const most = jobPane ? 12 : 5;
  const share = jobPane ? 0.45 : 0.3;
  const log = avail >= 10 ? Math.min(most, Math.floor((avail - 1) * share)) : avail >= 6 ? 2 : 0;
  avail -= log > 0 ? log + 1 : 0;
  return { poolLines: pools, jobLines: Math.max(0, avail - 1), logLines: log };
}

export interface ScreenModel {
  header: Line[];
  /** Title + lines per section; absent when the section is not shown. */
  pools?: Line[];
  jobs?: Line[];
  log?: Line[];
  detail?: Line[];
  help?: Line[];
  footer: Line;
  /** Rows a PgUp/PgDn moves. */
  pageSize: number;
  /** Largest useful scroll of the detail body. */
  maxScroll: number;
}

export function screenModel(state: WatchState, columns: number, rows: number): ScreenModel {
  const height = Math.max(1, rows - 1);
  const header = headerLines(state, columns);
  const footer = footerLine(state, columns);
  const bodyHeight = Math.max(0, height - header.length - 1);
  if (state.help)
    return {
      header,
      help: padTo(helpLines(columns, bodyHeight), bodyHeight),
      footer,
      pageSize: 1,
      maxScroll: 0,
    };

  if (state.detail !== undefined) {
    const d = state.detail;
    const top = detailHeaderLines(d, state.jobs.get(d.jobId), state.now, columns);
    const room = Math.max(0, height - top.length - 1);
    const body = detailBodyLines(d, columns);
    const offset = detailOffset(d, body.length, room);
    const shown = body.slice(offset, offset + room);
    while (shown.length < room) shown.push([]);
    return {
      header: top,
      detail: shown,
      footer,
      pageSize: Math.max(1, room - 1),
      maxScroll: Math.max(0, body.length - room),
    };
  }

  const layout = listLayout(rows, state.pools.length, columns, state.logPane === "job");
  const model: ScreenModel = { header, footer, pageSize: Math.max(1, layout.jobLines - 1), maxScroll: 0 };
  if (layout.poolLines > 0) {
    model.pools = [
      titleLine("POOLS", columns, "workers · active/capacity · heartbeat"),
      ...padTo(poolLines(state.pools, state.now, columns, layout.poolLines), layout.poolLines),
    ];
  }
  const table = visibleTable(state);
  const empty =
    state.filter !== ""
      ? `no jobs match "${state.filter}" (Esc clears the filter)`
      : state.connection.status === "live"
        ? "no jobs yet: submit one with `cortex submit echo hello`"
        : "waiting for the gateway…";
  // Widths follow the terminal and what the rows hold; a resize re-renders with the new width.
  const cols = jobColumns(table, columns, state.sort);
  const selected = selectedIndex(
    state,
    table.map((t) => t.row),
  );
  model.jobs = [
    jobHeaderLine(cols, columns),
    ...jobLines(table, selected, state.now, cols, columns, layout.jobLines, empty),
  ];
  if (layout.logLines > 0) {
    const job = state.logPane === "job" ? selectedJob(state) : undefined;
    const title =
      state.logPane === "all"
        ? titleLine("EVENTS", columns, `${state.totalEvents} seen`)
        : titleLine(`EVENTS of ${job ? displayId(job.jobId) : "no job"}`, columns, "l: all events");
    model.log = [title, ...logLines(paneLog(state), columns, layout.logLines)];
  }
  return model;
}

function padTo(lines: Line[], n: number): Line[] {
  const out = lines.slice(0, n);
  while (out.length < n) out.push([]);
  return out;
}

/** Every line of the screen, top to bottom (what a terminal would show). */
export function screenLines(m: ScreenModel): Line[] {
  return [
    ...m.header,
    ...(m.pools ?? []),
    ...(m.jobs ?? []),
    ...(m.log ?? []),
    ...(m.detail ?? []),
    ...(m.help ?? []),
    m.footer,
  ];
}
