/** Percentiles and medians over latency samples (ms). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx] ?? 0;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return percentile(s, 0.5);
}

export interface WorkloadFigures {
  jobs_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
}

export function figures(latencies: number[], wallMs: number): WorkloadFigures {
  const s = [...latencies].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    jobs_per_s: r((latencies.length / wallMs) * 1000),
    p50_ms: r(percentile(s, 0.5)),
    p90_ms: r(percentile(s, 0.9)),
    p99_ms: r(percentile(s, 0.99)),
  };
}

/** Runs `task` for indices 0..n-1 with at most `w` in flight; returns per-task latency (ms). */
export async function runClosedLoop(
  n: number,
  w: number,
  task: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const s = performance.now();
      await task(i);
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: Math.min(w, n) }, lane));
  return { latencies, wallMs: performance.now() - t0 };
}
