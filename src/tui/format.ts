/**
 * Text helpers shared by `cortex jobs` and `cortex watch`: short ids, ages, durations and
 * fixed-width cells. Pure; the TUI's rows are built from these so every line has an exact
 * width and never wraps.
 */
import { isJobState, isTerminal } from "../core/states.js";

export const SHORT_ID_LENGTH = 8;

export function shortId(jobId: string): string {
  return jobId.slice(0, SHORT_ID_LENGTH);
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

/** Exactly `width` characters: cut with an ellipsis, or padded with spaces. */
export function cell(text: string, width: number, align: "left" | "right" = "left"): string {
  if (width <= 0) return "";
  const chars = Array.from(text.replace(/[\r\n\t]+/g, " "));
  if (chars.length > width) return width === 1 ? "…" : `${chars.slice(0, width - 1).join("")}…`;
  const pad = " ".repeat(width - chars.length);
  return align === "left" ? chars.join("") + pad : pad + chars.join("");
}

/** At most `width` characters, no padding. */
export function clip(text: string, width: number): string {
  const chars = Array.from(text.replace(/[\r\n\t]+/g, " "));
  if (chars.length <= width) return chars.join("");
  return width <= 1 ? "…".slice(0, Math.max(0, width)) : `${chars.slice(0, width - 1).join("")}…`;
}

/** Hard-wraps text to `width` columns (keeping its own line breaks). */
export function wrapLines(text: string, width: number): string[] {
  if (width <= 0) return [];
  const out: string[] = [];
  for (const raw of text.replace(/\r\n?/g, "\n").replace(/\t/g, "  ").split("\n")) {
    const chars = Array.from(raw);
    if (chars.length === 0) out.push("");
    for (let i = 0; i < chars.length; i += width) out.push(chars.slice(i, i + width).join(""));
  }
  return out;
}

/** "12:04:05" in local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
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
    case "DISPATCHED":
    case "SCHEDULED":
      return "blue";
    default:
      return "gray";
  }
}
