/**
 * Throughput and latency from the event stream, in the browser: the gateway serves no
 * series, and every terminal event already carries its time. Latency is submit → finish.
 */
// ".js": the unit tests compile this file with NodeNext resolution too.
import { isTerminal, type JobEvent } from "./types.js";

export const WINDOW_MS = 5 * 60_000;
export const BUCKET_MS = 10_000;

export interface Finish {
  at: number;
  latencyMs: number | undefined;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? null;
}

export class LiveMetrics {
  private submitted = new Map<string, number>();
  private finished: Finish[] = [];
  private seen = new Set<string>();

  noteCreated(jobId: string, at: number | undefined): void {
    if (at && !this.submitted.has(jobId)) this.submitted.set(jobId, at);
  }

  /** true when the event changed the series. */
  observe(ev: JobEvent): boolean {
    if (!ev.job_id || !ev.at_ms) return false;
    if (ev.kind === "submitted" || (ev.kind === "state" && (ev.to === "PENDING" || !ev.from))) {
      this.noteCreated(ev.job_id, ev.at_ms);
      return false;
    }
    if (ev.kind !== "state" || !isTerminal(ev.to) || this.seen.has(ev.job_id)) return false;
    this.seen.add(ev.job_id);
    const start = this.submitted.get(ev.job_id);
    this.finished.push({ at: ev.at_ms, latencyMs: start === undefined ? undefined : ev.at_ms - start });
    return true;
  }

  /** [times (s), jobs/s] and [times (s), p50 ms, p99 ms] over the window, one point per bucket. */
  series(now = Date.now()): {
    rate: [number[], (number | null)[]];
    latency: [number[], (number | null)[], (number | null)[]];
  } {
    const start = Math.floor((now - WINDOW_MS) / BUCKET_MS) * BUCKET_MS;
    this.finished = this.finished.filter((f) => f.at >= start);
    const n = Math.ceil((now - start) / BUCKET_MS);
    const xs: number[] = [];
    const counts: number[] = new Array(n).fill(0);
    const lat: number[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < n; i++) xs.push((start + (i + 1) * BUCKET_MS) / 1000);
    for (const f of this.finished) {
      const i = Math.min(n - 1, Math.floor((f.at - start) / BUCKET_MS));
      counts[i] = (counts[i] ?? 0) + 1;
      if (f.latencyMs !== undefined) lat[i]?.push(f.latencyMs);
    }
    const sorted = lat.map((l) => l.sort((a, b) => a - b));
    return {
      rate: [xs, counts.map((c) => c / (BUCKET_MS / 1000))],
      latency: [xs, sorted.map((l) => percentile(l, 50)), sorted.map((l) => percentile(l, 99))],
    };
  }

  total(): number {
    return this.finished.length;
  }
}
