/** Applying flushed events to rows and log, and transient messages: shared by the reducer and keys. Pure. */
import type { JobEvent } from "../../gen/cortex/v1/api.js";
import { applyStateEvent, capRows, logEntryFor } from "./jobs.js";
import { type LogEntry, MAX_LOG, MESSAGE_TTL_MS, type Transition, type WatchState } from "./state.js";

export function withMessage(state: WatchState, text: string, tone: LogEntry["tone"]): WatchState {
  return { ...state, message: { text, tone, untilMs: state.now + MESSAGE_TTL_MS } };
}

/** Puts events into the job rows and the log; used by flush and on resume. */
export function applyEvents(state: WatchState, events: readonly JobEvent[]): Transition {
  if (events.length === 0) return { state, effects: [] };
  const jobs = new Map(state.jobs);
  const lines: LogEntry[] = [];
  let dropped = 0;
  for (const ev of events) {
    if (ev.kind === "state" && ev.jobId !== "") jobs.set(ev.jobId, applyStateEvent(jobs.get(ev.jobId), ev));
    if (ev.kind === "dropped") dropped += ev.dropped;
    const line = logEntryFor(ev);
    if (line) lines.push(line);
  }
  const keep = new Set<string>();
  if (state.selectedId) keep.add(state.selectedId);
  if (state.detail) keep.add(state.detail.jobId);
  const log = mergeLog(state.log, lines);
  return {
    state: {
      ...state,
      jobs: capRows(jobs, keep),
      log: log.length > MAX_LOG ? log.slice(log.length - MAX_LOG) : log,
      droppedEvents: state.droppedEvents + dropped,
    },
    effects: dropped > 0 ? [{ type: "resync" }] : [],
  };
}

/**
 * Appends log lines in time order. Live lines are newest and just append; a reconnect's
 * backfill may carry older events the stream missed, which slot in where they happened.
 */
export function mergeLog(log: readonly LogEntry[], lines: readonly LogEntry[]): LogEntry[] {
  const all = [...log, ...lines];
  const last = log[log.length - 1];
  const inOrder = lines.every((l, i) => l.atMs >= (i === 0 ? (last?.atMs ?? 0) : (lines[i - 1]?.atMs ?? 0)));
  // sort() is stable: lines of the same millisecond keep their arrival order.
  return inOrder ? all : all.sort((a, b) => a.atMs - b.atMs);
}
