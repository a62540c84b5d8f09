/** Job rows and log lines from events and listings. Pure. */
import { isJobState, isTerminal, JobState } from "../../core/states.js";
import type { JobEvent, JobInfo } from "../../gen/cortex/v1/api.js";
import { stateTone } from "../format.js";
import { type JobRow, type LogEntry, MAX_JOBS } from "./state.js";
import { displayId } from "./table.js";

export const isTerminalState = (state: string): boolean => isJobState(state) && isTerminal(state);

export const FAILED_STATES: ReadonlySet<string> = new Set([
  JobState.Failed,
  JobState.Timeout,
  JobState.Denied,
]);

function emptyRow(ev: JobEvent): JobRow {
  return {
    jobId: ev.jobId,
    topic: ev.topic,
    state: "",
    tenant: ev.tenant,
    attempts: 0,
    workerId: "",
    reason: "",
    parentJobId: "",
    createdAtMs: 0,
    startedAtMs: 0,
    finishedAtMs: 0,
    updatedAtMs: 0,
    lastSeq: 0,
  };
}

/**
 * A state event applied to its row. Events older than what the row already shows (a
 * listing newer than them, or a lower seq) only fill in what is missing.
 */
export function applyStateEvent(row: JobRow | undefined, ev: JobEvent): JobRow {
  const base = row ?? emptyRow(ev);
  const next: JobRow = { ...base };
  if (next.topic === "") next.topic = ev.topic;
  if (next.tenant === "") next.tenant = ev.tenant;
  if (ev.to === JobState.Pending && (next.createdAtMs === 0 || ev.atMs < next.createdAtMs))
    next.createdAtMs = ev.atMs;
  const newer =
    ev.seq > 0 && next.lastSeq > 0
      ? ev.seq > next.lastSeq
      : ev.atMs >= next.updatedAtMs && !isTerminalState(next.state);
  if (!newer) return next;
  next.state = ev.to;
  next.lastSeq = Math.max(next.lastSeq, ev.seq);
  next.updatedAtMs = Math.max(next.updatedAtMs, ev.atMs);
  if (ev.attempt > 0) next.attempts = ev.attempt;
  if (ev.workerId !== "") next.workerId = ev.workerId;
  next.reason = ev.reason;
  if (ev.to === JobState.Running) next.startedAtMs = ev.atMs;
  if (isTerminalState(ev.to)) next.finishedAtMs = ev.atMs;
  // A row first seen mid-life (its PENDING event is older than the backfill): its age is
  // unknown until a listing fills it in; the first event is the best guess meanwhile.
  if (next.createdAtMs === 0) next.createdAtMs = ev.atMs;
  return next;
}

export function rowFromInfo(info: JobInfo, previous: JobRow | undefined): JobRow {
  const fresh: JobRow = {
    jobId: info.jobId,
    topic: info.topic,
    state: info.state,
    tenant: info.tenant,
    attempts: info.attempts,
    workerId: info.workerId,
    reason: info.reason,
    parentJobId: info.parentJobId,
    createdAtMs: info.createdAtMs,
    startedAtMs: info.startedAtMs,
    finishedAtMs: info.finishedAtMs,
    updatedAtMs: info.updatedAtMs,
    lastSeq: previous?.lastSeq ?? 0,
  };
  if (previous === undefined) return fresh;
  // The stream already showed something newer than this snapshot: keep it, fill the gaps.
  if (previous.updatedAtMs > info.updatedAtMs || isTerminalState(previous.state)) {
    return {
      ...previous,
      createdAtMs: info.createdAtMs > 0 ? info.createdAtMs : previous.createdAtMs,
      startedAtMs: previous.startedAtMs || info.startedAtMs,
      tenant: previous.tenant || info.tenant,
      parentJobId: previous.parentJobId || info.parentJobId,
    };
  }
  return fresh;
}

/** Newest first; ties by id so the order is stable. */
export function sortRows(rows: Iterable<JobRow>): JobRow[] {
  return [...rows].sort((a, b) => b.createdAtMs - a.createdAtMs || (a.jobId < b.jobId ? 1 : -1));
}

/** Forgets the oldest rows beyond the cap, never the ones the user is looking at. */
export function capRows(jobs: Map<string, JobRow>, keep: ReadonlySet<string>): Map<string, JobRow> {
  if (jobs.size <= MAX_JOBS) return jobs;
  const sorted = sortRows(jobs.values());
  const out = new Map<string, JobRow>();
  for (const [i, row] of sorted.entries()) if (i < MAX_JOBS || keep.has(row.jobId)) out.set(row.jobId, row);
  return out;
}

/** The log line of an event, or undefined for events the log does not show (tokens). */
export function logEntryFor(ev: JobEvent): LogEntry | undefined {
  const base = {
    atMs: ev.atMs,
    seq: Number(ev.seq),
    kind: ev.kind,
    jobId: ev.jobId,
    topic: ev.topic,
    state: "",
  };
  const id = displayId(ev.jobId);
  switch (ev.kind) {
    case "state": {
      const move = ev.from ? `${ev.from}→${ev.to}` : ev.to;
      const extra = [ev.workerId ? `by ${ev.workerId}` : "", ev.attempt > 1 ? `attempt ${ev.attempt}` : ""]
        .filter(Boolean)
        .join(" ");
      const reason = ev.reason ? ` (${ev.reason})` : "";
      return {
        ...base,
        state: ev.to,
        text: `${id} ${ev.topic} ${move}${extra ? ` ${extra}` : ""}${reason}`,
        tone: stateTone(ev.to),
      };
    }
    case "token":
      return undefined;
    case "progress":
      return ev.text === "" ? undefined : { ...base, text: `${id} ${ev.topic} · ${ev.text}`, tone: "white" };
    case "worker_join":
      return {
        ...base,
        text: `worker ${ev.workerId} joined${ev.reason ? ` (${ev.reason})` : ""}`,
        tone: "green",
      };
    case "worker_leave":
      return {
        ...base,
        text: `worker ${ev.workerId} left${ev.reason ? ` (${ev.reason})` : ""}`,
        tone: "yellow",
      };
    case "late_result":
      return {
        ...base,
        text: `${id} ${ev.topic} late result from ${ev.workerId || "a worker"}`,
        tone: "yellow",
      };
    case "dropped":
      return {
        ...base,
        text: `! ${ev.dropped} events dropped: the stream fell behind, resyncing`,
        tone: "yellow",
      };
    default:
      return { ...base, text: `${id} ${ev.kind}${ev.text ? ` ${ev.text}` : ""}`, tone: "gray" };
  }
}
