/**
 * A screen line as styled segments. The view builds every line as data, clipped to the
 * terminal width, so the Ink components only paint them and the layout (80×24, no wrapping)
 * is testable as plain strings.
 */
import type { Tone } from "../format.js";

export interface Segment {
  text: string;
  color?: Tone;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export type Line = Segment[];

export const seg = (text: string, style: Omit<Segment, "text"> = {}): Segment => ({ text, ...style });

export function lineText(line: Line): string {
  return line.map((s) => s.text).join("");
}

const width = (s: string) => Array.from(s).length;

/** Cuts a line to at most `max` characters, ending with "…" when something was cut. */
export function clipLine(line: Line, max: number): Line {
  const total = line.reduce((n, s) => n + width(s.text), 0);
  if (total <= max) return line;
  const out: Line = [];
  let left = max - 1;
  for (const s of line) {
    if (left <= 0) break;
    const chars = Array.from(s.text);
    out.push({ ...s, text: chars.slice(0, left).join("") });
    left -= Math.min(left, chars.length);
  }
  const last = out[out.length - 1];
  if (max >= 1) out.push({ ...(last ?? {}), text: "…" });
  return out;
}

/** Clipped, then padded with spaces to exactly `max` (for full-width bars). */
export function fillLine(line: Line, max: number): Line {
  const clipped = clipLine(line, max);
  const used = clipped.reduce((n, s) => n + width(s.text), 0);
  if (used >= max) return clipped;
  const last = clipped[clipped.length - 1];
  return [...clipped, { ...(last ?? {}), text: " ".repeat(max - used) }];
}

/** The same style on every segment (a selected row, a title bar). */
export function styleLine(line: Line, style: Omit<Segment, "text">): Line {
  return line.map((s) => ({ ...s, ...style }));
}

export const blank = (): Line => [];
