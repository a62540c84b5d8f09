/**
 * What each key does, by mode: typing a filter, answering the cancel prompt, typing a
 * rejection's reason, the help overlay, the job detail view, the job list. Pure.
 */

import { applyEvents, withMessage } from "./apply.js";
import { approveSelected, askReject, rejectKey } from "./approval-keys.js";
import { openDetail } from "./detail.js";
import { isTerminalState } from "./jobs.js";
import { selectedIndex, selectedJob, visibleJobs, visibleTable } from "./selectors.js";
import { nextSortKey } from "./sort-order.js";
import type { Effect, KeyPress, KeyView, Transition, WatchState } from "./state.js";
import type { TableRow } from "./table.js";

const done = (state: WatchState, ...effects: Effect[]): Transition => ({ state, effects });

const quit = (state: WatchState): Transition => done({ ...state, quit: true }, { type: "quit" });

/** Printable text typed (not a control or navigation key). */
function typed(key: KeyPress): string {
  if (key.ctrl || key.meta || key.escape || key.return || key.tab) return "";
  return Array.from(key.input)
    .filter((c) => c >= " " && c !== "\x7f")
    .join("");
}

export function handleKey(state: WatchState, key: KeyPress, view: KeyView): Transition {
  // Keys typed faster than a frame reach Ink as one input ("jl"): each counts.
  const chars = Array.from(key.input);
  const typing = (s: WatchState) => s.filterInput !== undefined || s.rejectInput !== undefined;
  if (chars.length > 1 && !typing(state) && typed(key) === key.input) {
    let t: Transition = { state, effects: [] };
    for (const [i, input] of chars.entries()) {
      // After "/" (or "r") the rest of the input is the filter's (or the reason's) text.
      const rest = typing(t.state) ? chars.slice(i).join("") : input;
      const next = handleKey(t.state, { input: rest }, view);
      t = { state: next.state, effects: [...t.effects, ...next.effects] };
      if (rest !== input || t.state.quit) break;
    }
    return t;
  }
  if (key.ctrl && key.input === "c") return quit(state);
  if (state.filterInput !== undefined) return filterKey(state, state.filterInput, key);
  if (state.confirm !== undefined) return confirmKey(state, state.confirm, key);
  if (state.rejectInput !== undefined) return rejectKey(state, state.rejectInput, key);
  if (state.help) {
    if (key.input === "q") return quit(state);
    return done({ ...state, help: false });
  }
  switch (key.input) {
    case "q":
      return quit(state);
    case "?":
      return done({ ...state, help: true });
    case "p":
      return togglePause(state);
    case "c":
      return askCancel(state);
    case "a":
      return approveSelected(state);
    case "r":
      return askReject(state);
  }
  return state.detail !== undefined ? detailKey(state, key, view) : listKey(state, key, view.pageSize);
}

function filterKey(state: WatchState, text: string, key: KeyPress): Transition {
  if (key.escape) {
    const { filterInput: _, ...rest } = state;
    return done(rest);
  }
  if (key.return) {
    const { filterInput: _, ...rest } = state;
    return done({ ...rest, filter: text.trim(), selectedId: undefined, selectedIndex: 0 });
  }
  if (key.backspace || key.delete)
    return done({ ...state, filterInput: Array.from(text).slice(0, -1).join("") });
  const add = typed(key);
  return add === "" ? done(state) : done({ ...state, filterInput: (text + add).slice(0, 64) });
}

function confirmKey(state: WatchState, confirm: { jobId: string }, key: KeyPress): Transition {
  const { confirm: _, ...rest } = state;
  if (key.input === "y" || key.input === "Y") {
    return done(withMessage(rest, `cancelling ${confirm.jobId.slice(0, 8)}…`, "yellow"), {
      type: "cancel",
      jobId: confirm.jobId,
    });
  }
  return done(withMessage(rest, "not cancelled", "gray"));
}

function togglePause(state: WatchState): Transition {
  if (!state.paused) return done({ ...state, paused: true });
  const resumed = applyEvents({ ...state, paused: false, held: [], heldDropped: 0 }, state.held);
  if (state.heldDropped === 0) return resumed;
  // Some events were not kept while paused: the rows may be stale, ask for a fresh listing.
  const s = withMessage(
    resumed.state,
    `${state.heldDropped} events skipped while paused; resynced`,
    "yellow",
  );
  return done(s, ...resumed.effects, { type: "resync" });
}

function askCancel(state: WatchState): Transition {
  const target = state.detail
    ? (state.jobs.get(state.detail.jobId) ?? {
        jobId: state.detail.jobId,
        topic: state.detail.job?.topic ?? "",
        state: state.detail.job?.state ?? "",
      })
    : selectedJob(state);
  if (target === undefined) return done(withMessage(state, "no job selected", "gray"));
  if (isTerminalState(target.state)) {
    return done(withMessage(state, `${target.jobId.slice(0, 8)} is already ${target.state}`, "gray"));
  }
  return done({ ...state, confirm: { jobId: target.jobId, topic: target.topic } });
}

function detailKey(state: WatchState, key: KeyPress, view: KeyView): Transition {
  const d = state.detail;
  if (d === undefined) return done(state);
  if (key.escape || key.leftArrow || key.backspace) {
    const { detail: _, ...rest } = state;
    return done({ ...rest, pendingDetail: [] }, { type: "closeDetail" });
  }
  const step = key.upArrow || key.input === "k" ? -1 : key.downArrow || key.input === "j" ? 1 : 0;
  const page = key.pageUp ? -view.pageSize : key.pageDown ? view.pageSize : 0;
  if (step !== 0 || page !== 0) {
    const from = Math.min(d.scroll, view.maxScroll);
    const scroll = Math.min(Math.max(0, from + step + page), view.maxScroll);
    return done({ ...state, detail: { ...d, scroll, follow: false } });
  }
  if (key.home || key.input === "g") return done({ ...state, detail: { ...d, scroll: 0, follow: false } });
  if (key.end || key.input === "G")
    return done({ ...state, detail: { ...d, scroll: view.maxScroll, follow: true } });
  return done(state);
}

/** s / S: next sort column / reverse; the selection stays on its job. */
function sortKey(state: WatchState, reverse: boolean): Transition {
  const sort = reverse
    ? { ...state.sort, reversed: !state.sort.reversed }
    : { key: nextSortKey(state.sort.key), reversed: false };
  const job = selectedJob(state);
  return done({ ...state, sort, selectedId: job?.jobId });
}

/** Space toggles, → opens, ← closes the selected workflow (← on a child closes its parent). */
function foldKey(state: WatchState, key: KeyPress): Transition | undefined {
  const want = key.input === " " ? "toggle" : key.rightArrow ? "open" : key.leftArrow ? "close" : undefined;
  if (want === undefined) return undefined;
  const table = visibleTable(state);
  const at =
    table[
      selectedIndex(
        state,
        table.map((t) => t.row),
      )
    ];
  if (at === undefined) return done(state);
  const parent: TableRow | undefined =
    at.depth === 0 ? at : table.slice(0, table.indexOf(at)).findLast((t) => t.depth === 0);
  if (parent === undefined || parent.children === 0) return done(state);
  const open = want === "toggle" ? !parent.expanded : want === "open";
  if (open === parent.expanded) return done(state);
  const expanded = new Set(state.expanded);
  if (open) expanded.add(parent.row.jobId);
  else expanded.delete(parent.row.jobId);
  return done({ ...state, expanded, selectedId: parent.row.jobId });
}

function listKey(state: WatchState, key: KeyPress, pageSize: number): Transition {
  if (key.input === "s" || key.input === "S") return sortKey(state, key.input === "S");
  if (key.input === "l") return done({ ...state, logPane: state.logPane === "all" ? "job" : "all" });
  const folded = foldKey(state, key);
  if (folded !== undefined) return folded;
  const rows = visibleJobs(state);
  const at = selectedIndex(state, rows);
  if (key.return) {
    const row = rows[at];
    if (row === undefined) return done(state);
    return done(
      {
        ...state,
        selectedId: row.jobId,
        selectedIndex: at,
        detail: openDetail(row.jobId),
        pendingDetail: [],
      },
      { type: "openDetail", jobId: row.jobId },
    );
  }
  if (key.input === "/") return done({ ...state, filterInput: state.filter });
  if (key.escape) {
    return state.filter === ""
      ? done(state)
      : done({ ...state, filter: "", selectedId: undefined, selectedIndex: 0 });
  }
  if (key.home || key.input === "g") return done({ ...state, selectedId: undefined, selectedIndex: 0 });
  let to = at;
  if (key.upArrow || key.input === "k") to = at - 1;
  else if (key.downArrow || key.input === "j") to = at + 1;
  else if (key.pageUp) to = at - pageSize;
  else if (key.pageDown) to = at + pageSize;
  else if (key.end || key.input === "G") to = rows.length - 1;
  else return done(state);
  if (rows.length === 0) return done(state);
  const clamped = Math.min(Math.max(0, to), rows.length - 1);
  const row = rows[clamped];
  return done({ ...state, selectedId: row?.jobId, selectedIndex: clamped });
}
