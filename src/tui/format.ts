/**
 * Text helpers of the TUI: fixed-width cells, wrapping and clock times. Pure; the TUI's rows
 * are built from these so every line has an exact width and never wraps. The job text it
 * shares with `cortex jobs` lives in src/cli/job-text.ts and is re-exported here.
 */
export {
  formatAge,
  formatDuration,
  type JobTimes,
  jobAgeMs,
  jobDurationMs,
  SHORT_ID_LENGTH,
  shortId,
  stateTone,
  type Tone,
} from "../cli/job-text.js";

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
