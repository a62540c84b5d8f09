/** The dashboard's throughput and latency series, computed in the browser from stream events. */
import { describe, expect, it } from "vitest";
import { BUCKET_MS, LiveMetrics, WINDOW_MS } from "../../web/src/live-metrics.js";

const NOW = 1_800_000_000_000;

describe("LiveMetrics", () => {
  it("counts each job's first terminal event once, as jobs/s per bucket, with p50/p99 latency", () => {
    const m = new LiveMetrics();
    for (let i = 0; i < 10; i++) {
      const id = `job-${i}`;
      m.observe({ kind: "submitted", job_id: id, at_ms: NOW - 5_000 });
      // Latencies 100..1000 ms.
      expect(
        m.observe({
          kind: "state",
          job_id: id,
          from: "RUNNING",
          to: "SUCCEEDED",
          at_ms: NOW - 5_000 + (i + 1) * 100,
        }),
      ).toBe(true);
    }
    // A redelivered terminal event and a non-terminal one change nothing.
    expect(
      m.observe({ kind: "state", job_id: "job-0", from: "RUNNING", to: "SUCCEEDED", at_ms: NOW - 1 }),
    ).toBe(false);
    expect(
      m.observe({ kind: "state", job_id: "job-x", from: "SCHEDULED", to: "RUNNING", at_ms: NOW - 1 }),
    ).toBe(false);
    const { rate, latency } = m.series(NOW);
    expect(rate[0].length).toBe(WINDOW_MS / BUCKET_MS);
    expect(rate[1].reduce<number>((a, b) => a + (b ?? 0), 0) * (BUCKET_MS / 1000)).toBe(10);
    const last = latency[1].length - 1;
    expect(latency[1][last]).toBe(500);
    expect(latency[2][last]).toBe(1000);
    expect(m.total()).toBe(10);
  });

  it("uses a listed job's created time when its submit event was not seen, and forgets what left the window", () => {
    const m = new LiveMetrics();
    m.noteCreated("old", NOW - 2_000);
    m.observe({ kind: "state", job_id: "old", from: "RUNNING", to: "FAILED", at_ms: NOW - 500 });
    m.observe({
      kind: "state",
      job_id: "gone",
      from: "RUNNING",
      to: "FAILED",
      at_ms: NOW - WINDOW_MS - 60_000,
    });
    const { latency } = m.series(NOW);
    expect(latency[2].filter((v) => v !== null)).toEqual([1_500]);
    expect(m.total()).toBe(1);
  });
});
