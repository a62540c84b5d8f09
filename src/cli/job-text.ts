/**
 * Job text shared by `cortex jobs` and `cortex watch`: short ids, ages, durations and state
 * tones. Pure, in src/cli so commands and the TUI both import it without importing each other.
 */
import { isJobState, isTerminal } from "../core/states.js";
import { TENANT_ID_SEP } from "../core/tenant-job-id.js";

export const SHORT_ID_LENGTH = 8;
/** Marks the elided middle of a child's short id; `...` is accepted back as well. */
export const SHORT_ID_ELLIPSIS = "…";
/** Workflow children are named `<workflow id>-s-<step>-<n>` (orchestrator). */
const CHILD_ID_RE = /^(.+?)(-s-.+)$/;

/**
 * The id as `cortex jobs` and `watch` show it: its first 8 characters, and for a workflow
 * child also the part that tells siblings apart (`1b8a35ad…-s-patch-1`). Every short form
 * is accepted back by `cortex job` / `cancel` (parseShortId).
 */
export function shortId(jobId: string): string {
  // Another tenant's job (`acme~<id>`, as an admin or a named approver sees it) keeps its tenant.
  const sep = jobId.lastIndexOf(TENANT_ID_SEP);
  if (sep >= 0) return `${jobId.slice(0, sep + 1)}${shortId(jobId.slice(sep + 1))}`;
  const child = CHILD_ID_RE.exec(jobId);
  if (child?.[1] !== undefined && child[2] !== undefined && child[1].length > SHORT_ID_LENGTH) {
    return `${child[1].slice(0, SHORT_ID_LENGTH)}${SHORT_ID_ELLIPSIS}${child[2]}`;
  }
  return jobId.slice(0, SHORT_ID_LENGTH);
}

/** What an id the user typed stands for: ids starting with `prefix` and ending with `suffix`. */
export interface ShortIdPattern {
  prefix: string;
  suffix: string;
}

/** `1b8a…-s-patch-1` (or `...`, or watch's `1b8a/s-patch-1`) is a prefix and a suffix; anything else a prefix. */
export function parseShortId(given: string): ShortIdPattern {
  const at = given.includes(SHORT_ID_ELLIPSIS) ? given.indexOf(SHORT_ID_ELLIPSIS) : given.indexOf("...");
  if (at < 0) {
    // watch names a child `<parent short id>/s-patch-1`; "/" is outside the job-id charset.
    const slash = given.indexOf("/");
    if (slash < 0) return { prefix: given, suffix: "" };
    return { prefix: given.slice(0, slash), suffix: `-${given.slice(slash + 1)}` };
  }
  const mark = given.startsWith(SHORT_ID_ELLIPSIS, at) ? SHORT_ID_ELLIPSIS.length : 3;
  return { prefix: given.slice(0, at), suffix: given.slice(at + mark) };
}

export function matchesShortId(jobId: string, p: ShortIdPattern): boolean {
  return (
    jobId.length >= p.prefix.length + p.suffix.length &&
    jobId.startsWith(p.prefix) &&
    jobId.endsWith(p.suffix)
  );
}

/** "4s", "3m12s", "2h5m", "3d"; "-" for unknown (negative) spans. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d`;
}

/** Durations of work: "85ms", "1.2s", "42s", then as ages. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  return formatAge(ms);
}

export interface JobTimes {
  state: string;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
}

/**
 * How long the job has been (or was) working: from its start (or creation, when it never
 * reached a worker) to its end, or to `now` while it runs. Undefined before it starts.
 */
export function jobDurationMs(job: JobTimes, now: number): number | undefined {
  const start = job.startedAtMs > 0 ? job.startedAtMs : job.createdAtMs;
  if (start <= 0) return undefined;
  if (job.finishedAtMs > 0) return Math.max(0, job.finishedAtMs - start);
  if (job.startedAtMs > 0 && isJobState(job.state) && !isTerminal(job.state)) return Math.max(0, now - start);
  return undefined;
}

export function jobAgeMs(job: Pick<JobTimes, "createdAtMs">, now: number): number {
  return job.createdAtMs > 0 ? Math.max(0, now - job.createdAtMs) : -1;
}

/** Colour names Ink and ansis both understand. */
export type Tone = "green" | "red" | "yellow" | "cyan" | "blue" | "magenta" | "gray" | "white";

export function stateTone(state: string): Tone {
  switch (state) {
    case "SUCCEEDED":
      return "green";
    case "FAILED":
    case "TIMEOUT":
    case "DENIED":
      return "red";
    case "CANCELLED":
      return "yellow";
    case "RUNNING":
      return "cyan";
    case "AWAITING_APPROVAL":
      return "magenta";
    case "DISPATCHED":
    case "SCHEDULED":
      return "blue";
    default:
      return "gray";
  }
}
