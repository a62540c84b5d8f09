/** The screen as plain lines: sizes, truncation, sections (no Ink involved). */
import { describe, expect, it } from "vitest";
import {
  cell,
  clip,
  formatAge,
  formatDuration,
  jobDurationMs,
  shortId,
  wrapLines,
} from "../../../src/tui/format.js";
import { initialState, type WatchState } from "../../../src/tui/model/state.js";
import { updateAll } from "../../../src/tui/model/update.js";
import { clipLine, fillLine, lineText, seg } from "../../../src/tui/view/line.js";
import { listLayout, screenLines, screenModel } from "../../../src/tui/view/screen.js";
import { poolLines } from "../../../src/tui/view/sections.js";
import { event, jobInfo } from "./fake-gateway.js";

const T0 = 1_800_000_000_000;

function busyState(): WatchState {
  const longTopic = "job.some.very.long.topic.name.that.never.fits.in.a.column";
  const events = Array.from({ length: 40 }, (_, i) => [
    event({
      jobId: `job-${i}-${"x".repeat(30)}`,
      topic: i % 2 ? longTopic : "job.echo",
      atMs: T0 + i,
      to: "PENDING",
    }),
    event({
      jobId: `job-${i}-${"x".repeat(30)}`,
      topic: i % 2 ? longTopic : "job.echo",
      atMs: T0 + i + 5,
      from: "PENDING",
      to: i % 3 ? "RUNNING" : "FAILED",
      workerId: `worker-with-a-really-long-name-${i}`,
      reason: "a reason that goes on and on and on well past the edge of any reasonable terminal",
    }),
  ]).flat();
  return updateAll(initialState(T0), [
    { type: "connection", connection: { status: "live", sinceMs: T0 }, now: T0 },
    {
      type: "health",
      status: {
        components: ["safety", "scheduler", "gateway", "workers"].map((name) => ({
          name,
          state: "running",
          address: "",
          pid: 1,
          startedAtMs: 0,
          detail: "",
          metricsAddress: "",
        })),
        version: "0.1.0",
        pid: 1,
        startedAtMs: 0,
        natsUrl: "",
        redisUrl: "",
        natsConnected: true,
        redisConnected: false,
        backend: "nats",
        dataPath: "",
        instanceId: "",
        httpAddress: "",
      },
    },
    {
      type: "workers",
      workers: {
        workers: [],
        pools: Array.from({ length: 20 }, (_, i) => ({
          pool: `pool-number-${i}-with-long-name`,
          liveWorkers: i % 3,
          activeJobs: i,
          capacity: 16,
          topics: [],
        })),
      },
    },
    { type: "backlog", backlog: { pending: 500, scheduled: 3, dispatched: 1, capped: true } },
    { type: "received", events },
    { type: "flush", now: T0 + 5000 },
  ]).state;
}

function text(state: WatchState, columns: number, rows: number): string[] {
  return screenLines(screenModel(state, columns, rows)).map(lineText);
}

function expectFits(lines: string[], columns: number, rows: number): void {
  expect(lines.length).toBeLessThanOrEqual(rows - 1);
  for (const l of lines) expect(Array.from(l).length, l).toBeLessThanOrEqual(columns);
}

describe("screen at 80×24", () => {
  it("the list fills 23 lines, none longer than 80", () => {
    const lines = text(busyState(), 80, 24);
    expect(lines).toHaveLength(23);
    expectFits(lines, 80, 24);
    expect(lines[0]).toMatch(/^cortex watch ● live {2}nats ✓ {2}redis ✗ {2}components 4\/4/);
    expect(lines[1]).toMatch(/jobs\/s 1\.4 {2}backlog 504\+ \(P500 S3 D1\) {2}failures\/10s 14/);
    expect(lines.find((l) => l.includes("more pools"))).toBeDefined();
    expect(lines.at(-1)).toMatch(/↑↓ select {2}Enter open/);
  });

  it("the detail view with a long result and output fits too", () => {
    let s = busyState();
    s = updateAll(s, [
      { type: "key", key: { input: "", return: true } },
      {
        type: "detailLoaded",
        jobId: `job-39-${"x".repeat(30)}`,
        response: {
          job: jobInfo({ jobId: `job-39-${"x".repeat(30)}`, state: "RUNNING", reason: "r".repeat(200) }),
          resultJson: JSON.stringify({
            text: "y".repeat(500),
            lines: Array.from({ length: 50 }, (_, i) => i),
          }),
          contextJson: JSON.stringify({ prompt: "p".repeat(400) }),
          events: [],
        },
      },
    ]).state;
    const lines = text(s, 80, 24);
    expect(lines).toHaveLength(23);
    expectFits(lines, 80, 24);
    expect(lines[0]).toMatch(/^ JOB job-39-x+/);
  });

  it("the detail view says why a job waits, until it moves on", () => {
    const jobId = `job-39-${"x".repeat(30)}`;
    const why = "no live worker in pool echo — start one with `cortex worker start echo`";
    const open = (state: string) =>
      updateAll(busyState(), [
        { type: "key", key: { input: "", return: true } },
        {
          type: "detailLoaded",
          jobId: `job-39-${"x".repeat(30)}`,
          response: {
            job: jobInfo({ jobId, state, waitingReason: why }),
            resultJson: "",
            contextJson: "",
            events: [],
          },
        },
      ]).state;
    expect(text(open("SCHEDULED"), 160, 30).join("\n")).toContain(`waiting ${why}`);
    expect(text(open("RUNNING"), 160, 30).join("\n")).not.toContain("waiting no live worker");
  });

  it("the help fits", () => {
    const s = updateAll(busyState(), [{ type: "key", key: { input: "?" } }]).state;
    const lines = text(s, 80, 24);
    expect(lines).toHaveLength(23);
    expectFits(lines, 80, 24);
  });

  it("shows reconnecting in the header", () => {
    const s = updateAll(busyState(), [
      {
        type: "connection",
        connection: {
          status: "reconnecting",
          attempt: 3,
          retryAtMs: T0 + 7000,
          error: "cannot reach the gateway",
        },
        now: T0 + 5000,
      },
    ]).state;
    expect(text(s, 80, 24)[0]).toMatch(/^cortex watch reconnecting… attempt 3, retry in 2s · cannot reach/);
  });
});

describe("other sizes", () => {
  it.each([
    [40, 10],
    [60, 15],
    [100, 30],
    [200, 60],
  ])("%i×%i fits", (columns, rows) => {
    const lines = text(busyState(), columns, rows);
    expectFits(lines, columns, rows);
  });

  it("sections shrink on small terminals, jobs keep the room", () => {
    expect(listLayout(24, 6, 80)).toEqual({ poolLines: 3, jobLines: 10, logLines: 4 });
    expect(listLayout(12, 6, 80)).toEqual({ poolLines: 0, jobLines: 4, logLines: 2 });
    expect(listLayout(50, 6, 80).jobLines).toBeGreaterThan(25);
  });
});

describe("format helpers", () => {
  it("ids, ages, durations", () => {
    expect(shortId("4f0c1234-aaaa")).toBe("4f0c1234");
    expect([0, 59_000, 61_000, 3_700_000, 3 * 86_400_000].map(formatAge)).toEqual([
      "0s",
      "59s",
      "1m1s",
      "1h1m",
      "3d",
    ]);
    expect(formatAge(-1)).toBe("-");
    expect([85, 1234, 42_000].map(formatDuration)).toEqual(["85ms", "1.2s", "42s"]);
  });

  it("duration runs while the job runs and stops when it ends", () => {
    const job = { state: "RUNNING", createdAtMs: 1000, startedAtMs: 2000, finishedAtMs: 0 };
    expect(jobDurationMs(job, 5000)).toBe(3000);
    expect(jobDurationMs({ ...job, state: "SUCCEEDED", finishedAtMs: 2500 }, 9000)).toBe(500);
    expect(jobDurationMs({ ...job, state: "PENDING", startedAtMs: 0 }, 9000)).toBeUndefined();
    expect(jobDurationMs({ ...job, state: "DENIED", startedAtMs: 0, finishedAtMs: 1100 }, 9000)).toBe(100);
  });

  it("cells, clipping and wrapping are exact", () => {
    expect(cell("abcdef", 4)).toBe("abc…");
    expect(cell("ab", 4)).toBe("ab  ");
    expect(cell("ab", 4, "right")).toBe("  ab");
    expect(cell("a\nb", 3)).toBe("a b");
    expect(clip("abcdef", 3)).toBe("ab…");
    expect(wrapLines("abcdefg\nhi", 3)).toEqual(["abc", "def", "g", "hi"]);
    const line = [seg("hello "), seg("world", { bold: true })];
    expect(lineText(clipLine(line, 8))).toBe("hello w…");
    expect(lineText(fillLine(line, 14))).toBe("hello world   ");
    expect(lineText(clipLine(line, 11))).toBe("hello world");
  });
});

describe("pools", () => {
  const pools = Array.from({ length: 7 }, (_, i) => ({
    pool: `p${i}`,
    liveWorkers: 1,
    activeJobs: 0,
    capacity: 4,
    lastHeartbeatMs: T0 - 2000,
  }));

  it("two per line at 80 columns, the overflow counted in the free slot", () => {
    const lines = poolLines(pools, T0, 80, 3).map(lineText);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^p0 +1w +0\/4 +hb 2s +p1 +1w/);
    expect(lines[2]).toMatch(/^p4 .* +\+2 more pools$/);
  });

  it("one per line on narrow terminals", () => {
    const lines = poolLines(pools, T0, 60, 2).map(lineText);
    expect(lines).toEqual([expect.stringMatching(/^p0 /), "+6 more pools"]);
  });
});
