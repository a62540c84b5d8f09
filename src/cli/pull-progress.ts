/**
 * Shows `cortex pull-model` progress: a bar redrawn in place on a terminal, plain lines
 * (status changes and every quarter of a layer) when the output is a file or a pipe.
 */
import type { PullProgress } from "../llm/index.js";

const BAR_WIDTH = 24;
/** Ollama reports progress many times a second; a terminal needs far fewer redraws. */
const REDRAW_MS = 100;
/** A rate over less time than this is noise. */
const MIN_RATE_WINDOW_MS = 250;

/** Bytes in SI units, as Ollama prints them (4.7 GB). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.max(0, Math.round(n))} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** "pulling 6a0746a1ec1a" from the layer digest when there is one, else Ollama's status. */
export function layerLabel(p: PullProgress): string {
  if (p.digest === undefined) return p.status;
  const hex = p.digest.startsWith("sha256:") ? p.digest.slice(7) : p.digest;
  return `pulling ${hex.slice(0, 12)}`;
}

const percentOf = (p: PullProgress): number | undefined =>
  p.total !== undefined && p.total > 0
    ? Math.min(100, Math.floor(((p.completed ?? 0) / p.total) * 100))
    : undefined;

/** One line for a progress event: label, optional bar, percent, bytes done/total, rate. */
export function describeProgress(
  p: PullProgress,
  opts: { bar?: boolean; bytesPerSecond?: number } = {},
): string {
  const pct = percentOf(p);
  if (pct === undefined || p.total === undefined) return layerLabel(p);
  const parts = [layerLabel(p)];
  if (opts.bar) {
    const filled = Math.round((pct / 100) * BAR_WIDTH);
    parts.push(`[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}]`);
  }
  parts.push(`${String(pct).padStart(3)}%`, `${formatBytes(p.completed ?? 0)}/${formatBytes(p.total)}`);
  if (opts.bytesPerSecond !== undefined) parts.push(`${formatBytes(opts.bytesPerSecond)}/s`);
  return parts.join("  ");
}

export interface PullRenderer {
  update(p: PullProgress): void;
  /** Ends an open bar line. */
  finish(): void;
}

interface LayerClock {
  startedAt: number;
  startBytes: number;
}

export function createPullRenderer(
  out: NodeJS.WritableStream & { columns?: number },
  tty: boolean,
): PullRenderer {
  const clocks = new Map<string, LayerClock>();
  let lastLabel: string | undefined;
  let lineOpen = false;
  let lastDraw = 0;
  let lastQuarter = -1;

  const rateOf = (p: PullProgress, now: number): number | undefined => {
    if (p.digest === undefined || p.completed === undefined) return undefined;
    const clock = clocks.get(p.digest);
    if (clock === undefined) {
      clocks.set(p.digest, { startedAt: now, startBytes: p.completed });
      return undefined;
    }
    const elapsed = now - clock.startedAt;
    return elapsed < MIN_RATE_WINDOW_MS ? undefined : ((p.completed - clock.startBytes) * 1000) / elapsed;
  };

  const endLine = () => {
    if (lineOpen) out.write("\n");
    lineOpen = false;
  };

  return {
    update(p) {
      const now = performance.now();
      const label = layerLabel(p);
      const changed = label !== lastLabel;
      const rate = rateOf(p, now);
      const pct = percentOf(p);
      if (changed) {
        endLine();
        lastQuarter = -1;
      }
      lastLabel = label;
      if (pct === undefined) {
        // a plain status ("pulling manifest", "writing manifest"): once per change
        if (changed) out.write(`${label}\n`);
        return;
      }
      const rateOpt = rate === undefined ? {} : { bytesPerSecond: rate };
      if (tty) {
        if (!changed && pct < 100 && now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        const line = describeProgress(p, { bar: true, ...rateOpt });
        // a pseudo-terminal without a size reports 0 columns
        const width = out.columns !== undefined && out.columns > 0 ? out.columns : 80;
        out.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
        lineOpen = true;
        return;
      }
      const quarter = Math.floor(pct / 25);
      if (quarter <= lastQuarter) return;
      lastQuarter = quarter;
      out.write(`${describeProgress(p, rateOpt)}\n`);
    },
    finish: endLine,
  };
}
