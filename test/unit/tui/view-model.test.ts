/** The pure reducer of `cortex watch`: batching, ordering, filters, selection, pause, stats, keys. */
import { describe, expect, it } from "vitest";
import type { JobEvent } from "../../../src/gen/cortex/v1/api.js";
import { selectedJob, visibleJobs, visibleLog, windowStats } from "../../../src/tui/model/selectors.js";
import {
  type Action,
  type Effect,
  initialState,
  type KeyPress,
  MAX_HELD,
  MAX_JOBS,
  MAX_OUTPUT_CHARS,
  MAX_PENDING,
  MESSAGE_TTL_MS,
  type WatchState,
} from "../../../src/tui/model/state.js";
import { update, updateAll } from "../../../src/tui/model/update.js";
import { event, jobInfo } from "./fake-gateway.js";

const T0 = 1_800_000_000_000;

function lifecycle(jobId: string, at: number, final = "SUCCEEDED", topic = "job.echo"): JobEvent[] {
  const base = { jobId, topic };
  return [
    event({ ...base, atMs: at, from: "", to: "PENDING" }),
    event({ ...base, atMs: at + 2, from: "PENDING", to: "SCHEDULED" }),
    event({ ...base, atMs: at + 3, from: "SCHEDULED", to: "DISPATCHED" }),
    event({ ...base, atMs: at + 5, from: "DISPATCHED", to: "RUNNING", workerId: "w1", attempt: 1 }),
    event({
      ...base,
      atMs: at + 50,
      from: "RUNNING",
      to: final,
      workerId: "w1",
      attempt: 1,
      reason: final === "SUCCEEDED" ? "" : "boom",
    }),
  ];
}

function feed(
  state: WatchState,
  events: JobEvent[],
  now = T0 + 1000,
): { state: WatchState; effects: Effect[] } {
  return updateAll(state, [
    { type: "received", events },
    { type: "flush", now },
  ]);
}

const key = (input: string, extra: Partial<KeyPress> = {}): Action => ({
  type: "key",
  key: { input, ...extra },
  view: { pageSize: 5, maxScroll: 10 },
});

const keys = (state: WatchState, ...presses: Action[]) => updateAll(state, presses);

const start = () => initialState(T0);

/** Three jobs, submitted 1 s apart: c (newest), b, a. */
function threeJobs(): WatchState {
  return feed(
    start(),
    [...lifecycle("a", T0), ...lifecycle("b", T0 + 1000), ...lifecycle("c", T0 + 2000)],
    T0 + 3000,
  ).state;
}

describe("batching", () => {
  it("keeps received events out of view until the flush", () => {
    const received = update(start(), { type: "received", events: lifecycle("a", T0) }).state;
    expect(received.jobs.size).toBe(0);
    expect(received.pending).toHaveLength(5);
    const flushed = update(received, { type: "flush", now: T0 + 100 }).state;
    expect(flushed.pending).toHaveLength(0);
    expect(flushed.jobs.get("a")?.state).toBe("SUCCEEDED");
    expect(flushed.log).toHaveLength(5);
  });

  it("an idle flush within the same second returns the same state (no render)", () => {
    const s = threeJobs();
    expect(update(s, { type: "flush", now: s.now + 10 }).state).toBe(s);
    expect(update(s, { type: "flush", now: s.now + 1000 }).state).not.toBe(s);
  });

  it("a flood beyond the pending cap is counted as dropped and asks for a resync", () => {
    const many = Array.from({ length: MAX_PENDING + 7 }, (_, i) =>
      event({ kind: "progress", text: "", jobId: `j${i}`, seq: 0 }),
    );
    const received = update(start(), { type: "received", events: many }).state;
    expect(received.pending).toHaveLength(MAX_PENDING);
    expect(received.pendingDropped).toBe(7);
    const t = update(received, { type: "flush", now: T0 + 100 });
    expect(t.state.droppedEvents).toBe(7);
    expect(t.effects).toContainEqual({ type: "resync" });
  });
});

describe("job rows", () => {
  it("follows a job through its states with times, worker and attempts", () => {
    const row = feed(start(), lifecycle("a", T0)).state.jobs.get("a");
    expect(row).toMatchObject({
      state: "SUCCEEDED",
      topic: "job.echo",
      createdAtMs: T0,
      startedAtMs: T0 + 5,
      finishedAtMs: T0 + 50,
      workerId: "w1",
      attempts: 1,
    });
  });

  it("lists newest first", () => {
    expect(visibleJobs(threeJobs()).map((r) => r.jobId)).toEqual(["c", "b", "a"]);
  });

  it("an older event arriving late does not move a job backwards", () => {
    const [pending, , , running, done] = lifecycle("a", T0);
    const s = feed(start(), [pending as JobEvent, done as JobEvent, running as JobEvent]).state;
    expect(s.jobs.get("a")?.state).toBe("SUCCEEDED");
    // ... but the log still shows the late line where it happened.
    expect(s.log.map((l) => l.state)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
  });

  it("drops events a reconnect's backfill repeats (same seq)", () => {
    const events = lifecycle("a", T0);
    const once = feed(start(), events).state;
    const twice = feed(once, events, T0 + 2000).state;
    expect(twice.log).toHaveLength(5);
    expect(twice.totalEvents).toBe(5);
    expect(windowStats({ ...twice, now: T0 + 2000 }).finished).toBe(1);
  });

  it("a seed fills rows and never overrides a newer streamed state", () => {
    const streamed = feed(start(), lifecycle("a", T0)).state;
    const seeded = update(streamed, {
      type: "seed",
      now: T0 + 1000,
      jobs: [
        jobInfo({ jobId: "a", state: "RUNNING", updatedAtMs: T0 + 5, createdAtMs: T0 }),
        jobInfo({ jobId: "old", state: "FAILED", createdAtMs: T0 - 60_000, updatedAtMs: T0 - 59_000 }),
      ],
    }).state;
    expect(seeded.jobs.get("a")?.state).toBe("SUCCEEDED");
    expect(seeded.jobs.get("old")?.state).toBe("FAILED");
    expect(visibleJobs(seeded).map((r) => r.jobId)).toEqual(["a", "old"]);
  });

  it("a job first seen mid-life gets its real age from the seed", () => {
    const mid = feed(start(), [event({ jobId: "m", from: "RUNNING", to: "SUCCEEDED", atMs: T0 })]).state;
    expect(mid.jobs.get("m")?.createdAtMs).toBe(T0);
    const seeded = update(mid, {
      type: "seed",
      now: T0,
      jobs: [jobInfo({ jobId: "m", state: "SUCCEEDED", createdAtMs: T0 - 5000, updatedAtMs: T0 })],
    }).state;
    expect(seeded.jobs.get("m")?.createdAtMs).toBe(T0 - 5000);
  });

  it("keeps at most MAX_JOBS rows, never dropping the selected one", () => {
    let s = feed(start(), [event({ jobId: "keep", atMs: T0 - 1_000_000 })]).state;
    s = { ...s, selectedId: "keep" };
    const many = Array.from({ length: MAX_JOBS + 20 }, (_, i) => event({ jobId: `j${i}`, atMs: T0 + i }));
    s = feed(s, many, T0 + 5000).state;
    expect(s.jobs.size).toBe(MAX_JOBS + 1);
    expect(s.jobs.has("keep")).toBe(true);
    expect(s.jobs.has("j0")).toBe(false);
  });
});

describe("stats window", () => {
  it("counts jobs/s and failures over the last 10 s only", () => {
    const events = [
      ...lifecycle("a", T0),
      ...lifecycle("b", T0 + 100, "FAILED"),
      ...lifecycle("c", T0 + 200, "TIMEOUT"),
      ...lifecycle("d", T0 + 300, "CANCELLED"),
      ...lifecycle("e", T0 + 400),
    ];
    const s = feed(start(), events, T0 + 1000).state;
    expect(windowStats(s)).toEqual({ jobsPerSecond: 0.5, failures: 2, finished: 5 });
    const later = update(s, { type: "flush", now: T0 + 10_500 }).state;
    expect(windowStats(later)).toEqual({ jobsPerSecond: 0, failures: 0, finished: 0 });
  });

  it("backfilled events older than the window are not counted", () => {
    const s = feed(start(), lifecycle("old", T0 - 60_000), T0).state;
    expect(windowStats(s).finished).toBe(0);
    expect(s.jobs.get("old")?.state).toBe("SUCCEEDED");
  });
});

describe("filters", () => {
  const mixed = () =>
    feed(
      start(),
      [
        ...lifecycle("e1", T0),
        ...lifecycle("c1", T0 + 10, "FAILED", "job.chat.simple"),
        ...lifecycle("c2", T0 + 20, "SUCCEEDED", "job.chat.advanced"),
      ],
      T0 + 1000,
    ).state;

  const typeFilter = (s: WatchState, text: string) =>
    keys(s, key("/"), ...Array.from(text).map((c) => key(c)), key("", { return: true })).state;

  it("by state prefix, topic substring or subject pattern", () => {
    const s = mixed();
    expect(visibleJobs(typeFilter(s, "fail")).map((r) => r.jobId)).toEqual(["c1"]);
    expect(visibleJobs(typeFilter(s, "SUCCEEDED")).map((r) => r.jobId)).toEqual(["c2", "e1"]);
    expect(visibleJobs(typeFilter(s, "chat")).map((r) => r.jobId)).toEqual(["c2", "c1"]);
    expect(visibleJobs(typeFilter(s, "job.chat.*")).map((r) => r.jobId)).toEqual(["c2", "c1"]);
    expect(visibleJobs(typeFilter(s, "nothing-matches"))).toEqual([]);
  });

  it("filters the log too: state filters show state lines only", () => {
    const s = typeFilter(mixed(), "fail");
    expect(visibleLog(s).map((l) => l.state)).toEqual(["FAILED"]);
    const t = typeFilter(mixed(), "echo");
    expect(visibleLog(t).every((l) => l.topic === "job.echo")).toBe(true);
  });

  it("typing: backspace edits, Esc cancels, an empty filter clears, Esc in the list clears", () => {
    let s = keys(mixed(), key("/"), key("c"), key("h"), key("x"), key("", { backspace: true })).state;
    expect(s.filterInput).toBe("ch");
    const cancelled = keys(s, key("", { escape: true })).state;
    expect(cancelled.filter).toBe("");
    expect(cancelled.filterInput).toBeUndefined();
    s = keys(s, key("", { return: true })).state;
    expect(s.filter).toBe("ch");
    // "/" starts from the current filter; erasing it all and Enter clears it.
    const bs = key("", { backspace: true });
    expect(keys(s, key("/"), bs, bs, key("", { return: true })).state.filter).toBe("");
    expect(keys(s, key("", { escape: true })).state.filter).toBe("");
  });

  it("keys typed into the filter are text, not commands", () => {
    const t = keys(mixed(), key("/"), key("q"), key("p"), key("c"));
    expect(t.effects).toEqual([]);
    expect(t.state).toMatchObject({ filterInput: "qpc", paused: false, quit: false });
  });
});

describe("selection", () => {
  const down = key("", { downArrow: true });
  const up = key("", { upArrow: true });

  it("starts on the top row and stays within bounds", () => {
    let s = threeJobs();
    expect(selectedJob(s)?.jobId).toBe("c");
    s = keys(s, up).state;
    expect(selectedJob(s)?.jobId).toBe("c");
    s = keys(s, down, down, down, down).state;
    expect(selectedJob(s)?.jobId).toBe("a");
    s = keys(s, key("", { pageUp: true })).state;
    expect(selectedJob(s)?.jobId).toBe("c");
    s = keys(s, key("G")).state;
    expect(selectedJob(s)?.jobId).toBe("a");
  });

  it("stays on the chosen job when new jobs arrive above it", () => {
    let s = keys(threeJobs(), down).state;
    expect(selectedJob(s)?.jobId).toBe("b");
    s = feed(s, lifecycle("d", T0 + 3000), T0 + 4000).state;
    expect(visibleJobs(s)[0]?.jobId).toBe("d");
    expect(selectedJob(s)?.jobId).toBe("b");
  });

  it("follows the top until a key moves it; g goes back to following", () => {
    let s = feed(threeJobs(), lifecycle("d", T0 + 3000), T0 + 4000).state;
    expect(selectedJob(s)?.jobId).toBe("d");
    s = keys(s, down, up, key("g")).state;
    s = feed(s, lifecycle("e", T0 + 4000), T0 + 5000).state;
    expect(selectedJob(s)?.jobId).toBe("e");
  });

  it("falls back to the nearest row when the selected job is filtered out", () => {
    let s = keys(threeJobs(), down, down).state;
    s = { ...s, filter: "nothing" };
    expect(selectedJob(s)).toBeUndefined();
    s = { ...s, filter: "", selectedId: "gone" };
    expect(selectedJob(s)?.jobId).toBe("a");
  });

  it("keys on an empty list do nothing", () => {
    const s = start();
    expect(keys(s, down, up, key("", { return: true }))).toEqual({ state: s, effects: [] });
  });
});

describe("pause", () => {
  it("holds events while paused, still counts them, applies them on resume", () => {
    let s = keys(threeJobs(), key("p")).state;
    expect(s.paused).toBe(true);
    s = feed(s, lifecycle("d", T0 + 3000), T0 + 3500).state;
    expect(s.jobs.has("d")).toBe(false);
    expect(s.held).toHaveLength(5);
    expect(windowStats(s).finished).toBe(4);
    s = keys(s, key("p")).state;
    expect(s.paused).toBe(false);
    expect(s.jobs.get("d")?.state).toBe("SUCCEEDED");
    expect(s.held).toHaveLength(0);
  });

  it("too many held events: resync on resume, with a message", () => {
    let s = keys(start(), key("p")).state;
    const many = Array.from({ length: MAX_HELD + 3 }, (_, i) => event({ jobId: `j${i}`, atMs: T0 + i }));
    s = feed(s, many).state;
    expect(s.heldDropped).toBe(3);
    const t = keys(s, key("p"));
    expect(t.effects).toContainEqual({ type: "resync" });
    expect(t.state.message?.text).toMatch(/3 events skipped while paused/);
  });

  it("holds the detail view's output too", () => {
    let s = keys(threeJobs(), key("", { return: true }), key("p")).state;
    s = updateAll(s, [
      {
        type: "receivedDetail",
        jobId: "c",
        events: [event({ jobId: "c", kind: "token", text: "hi", seq: 0 })],
      },
      { type: "flush", now: s.now + 2000 },
    ]).state;
    expect(s.detail?.output).toBe("");
    s = updateAll(s, [key("p"), { type: "flush", now: s.now + 3000 }]).state;
    expect(s.detail?.output).toBe("hi");
  });
});

describe("tokens on the main stream", () => {
  it("are left to the detail view: not logged, counted or held", () => {
    const tok = event({ jobId: "a", kind: "token", seq: 0, text: "x" });
    const s = feed(start(), [tok, tok]).state;
    expect(s).toMatchObject({ totalEvents: 0, log: [] });
    const paused = feed(keys(start(), key("p")).state, [tok]).state;
    expect(paused.held).toEqual([]);
  });
});

describe("dropped markers", () => {
  it("a gateway 'dropped' event is counted, logged, and triggers a resync", () => {
    const t = feed(start(), [event({ kind: "dropped", jobId: "", seq: 0, dropped: 42 })]);
    expect(t.state.droppedEvents).toBe(42);
    expect(t.state.log.at(-1)?.text).toMatch(/42 events dropped/);
    expect(t.effects).toEqual([{ type: "resync" }]);
  });
});

describe("connection", () => {
  const conn = (s: WatchState, c: Extract<Action, { type: "connection" }>["connection"], now = T0) =>
    update(s, { type: "connection", connection: c, now }).state;

  it("goes connecting → live → reconnecting → live, logging each change once", () => {
    let s = start();
    expect(s.connection.status).toBe("connecting");
    s = conn(s, { status: "live", sinceMs: T0 });
    s = conn(s, { status: "reconnecting", attempt: 1, retryAtMs: T0 + 500, error: "gone" });
    s = conn(s, { status: "reconnecting", attempt: 2, retryAtMs: T0 + 1500, error: "gone" });
    expect(s.connection).toEqual({ status: "reconnecting", attempt: 2, retryAtMs: T0 + 1500, error: "gone" });
    s = conn(s, { status: "live", sinceMs: T0 + 2000 }, T0 + 2000);
    expect(s.log.map((l) => l.text)).toEqual([
      "● connected",
      "✗ connection lost: gone",
      "● reconnected, resuming the stream",
    ]);
  });

  it("keeps the rows across a reconnect and resumes without duplicates", () => {
    let s = threeJobs();
    s = conn(s, { status: "reconnecting", attempt: 1, retryAtMs: T0, error: "x" });
    expect(s.jobs.size).toBe(3);
    s = feed(s, [...lifecycle("c", T0 + 2000).map((e) => ({ ...e })), ...lifecycle("d", T0 + 3000)]).state;
    expect(s.jobs.size).toBe(4);
  });
});

describe("detail view", () => {
  it("Enter opens the selected job, Esc closes it", () => {
    const t = keys(threeJobs(), key("", { downArrow: true }), key("", { return: true }));
    expect(t.effects).toEqual([{ type: "openDetail", jobId: "b" }]);
    expect(t.state.detail).toMatchObject({ jobId: "b", loading: true });
    const back = keys(t.state, key("", { escape: true }));
    expect(back.state.detail).toBeUndefined();
    expect(back.effects).toEqual([{ type: "closeDetail" }]);
  });

  it("loads the job, merges the timeline and shows the result", () => {
    let s = keys(threeJobs(), key("", { return: true })).state;
    s = update(s, {
      type: "detailLoaded",
      jobId: "c",
      response: {
        job: jobInfo({ jobId: "c", state: "SUCCEEDED", updatedAtMs: T0 + 2050 }),
        resultJson: '{"ok":true}',
        contextJson: '{"prompt":"hi"}',
        events: lifecycle("c", T0 + 2000),
      },
    }).state;
    expect(s.detail).toMatchObject({
      loading: false,
      resultJson: '{"ok":true}',
      contextJson: '{"prompt":"hi"}',
    });
    expect(s.detail?.timeline.map((e) => e.to)).toEqual([
      "PENDING",
      "SCHEDULED",
      "DISPATCHED",
      "RUNNING",
      "SUCCEEDED",
    ]);
  });

  it("appends live tokens on flush, notes on their own line, ignores other jobs", () => {
    let s = keys(threeJobs(), key("", { return: true })).state;
    const tok = (text: string, jobId = "c", kind = "token") => event({ jobId, kind, text, seq: 0 });
    s = update(s, { type: "receivedDetail", jobId: "c", events: [tok("Hel"), tok("lo")] }).state;
    expect(s.detail?.output).toBe("");
    s = update(s, { type: "flush", now: s.now + 100 }).state;
    expect(s.detail?.output).toBe("Hello");
    s = updateAll(s, [
      { type: "receivedDetail", jobId: "c", events: [tok("step 2/3", "c", "progress"), tok("x", "other")] },
      { type: "receivedDetail", jobId: "other", events: [tok("nope", "other")] },
      { type: "flush", now: s.now + 200 },
    ]).state;
    expect(s.detail?.output).toBe("Hello\n· step 2/3\n");
  });

  it("keeps only the tail of a very long output", () => {
    let s = keys(threeJobs(), key("", { return: true })).state;
    const big = "x".repeat(MAX_OUTPUT_CHARS);
    s = updateAll(s, [
      {
        type: "receivedDetail",
        jobId: "c",
        events: [event({ jobId: "c", kind: "token", text: big, seq: 0 })],
      },
      {
        type: "receivedDetail",
        jobId: "c",
        events: [event({ jobId: "c", kind: "token", text: "END", seq: 0 })],
      },
      { type: "flush", now: s.now + 100 },
    ]).state;
    expect(s.detail?.output.length).toBe(MAX_OUTPUT_CHARS);
    expect(s.detail?.output.endsWith("END")).toBe(true);
    expect(s.detail?.outputTruncated).toBe(true);
  });

  it("scrolls within bounds and stops following", () => {
    let s = keys(threeJobs(), key("", { return: true })).state;
    s = keys(s, key("", { downArrow: true }), key("", { pageDown: true }), key("", { pageDown: true })).state;
    expect(s.detail).toMatchObject({ scroll: 10, follow: false });
    s = keys(s, key("", { upArrow: true }), key("g")).state;
    expect(s.detail?.scroll).toBe(0);
    s = keys(s, key("G")).state;
    expect(s.detail).toMatchObject({ scroll: 10, follow: true });
  });

  it("outcomes for a closed or different detail are ignored", () => {
    const s = threeJobs();
    expect(update(s, { type: "detailFailed", jobId: "c", error: "x" }).state).toBe(s);
    expect(update(s, { type: "receivedDetail", jobId: "c", events: [event()] }).state).toBe(s);
  });
});

describe("cancel", () => {
  const running = () => feed(start(), lifecycle("r", T0).slice(0, 4)).state;

  it("asks for confirmation; y cancels the selected job", () => {
    let t = keys(running(), key("c"));
    expect(t.state.confirm).toEqual({ jobId: "r", topic: "job.echo" });
    expect(t.effects).toEqual([]);
    t = keys(t.state, key("y"));
    expect(t.effects).toEqual([{ type: "cancel", jobId: "r" }]);
    expect(t.state.confirm).toBeUndefined();
    const done = update(t.state, {
      type: "cancelled",
      jobId: "r",
      state: "CANCELLED",
      cancelled: true,
    }).state;
    expect(done.message?.text).toBe("cancelled r");
  });

  it("n (or any other key) keeps the job", () => {
    const t = keys(running(), key("c"), key("n"));
    expect(t.effects).toEqual([]);
    expect(t.state.message?.text).toBe("not cancelled");
    expect(keys(running(), key("c"), key("q")).state.quit).toBe(false);
  });

  it("a finished job is not offered for cancelling", () => {
    const t = keys(threeJobs(), key("c"));
    expect(t.state.confirm).toBeUndefined();
    expect(t.state.message?.text).toMatch(/already SUCCEEDED/);
  });

  it("works from the detail view, and reports failures", () => {
    const t = keys(running(), key("", { return: true }), key("c"), key("y"));
    expect(t.effects).toContainEqual({ type: "cancel", jobId: "r" });
    const failed = update(t.state, { type: "cancelFailed", jobId: "r", error: "nope" }).state;
    expect(failed.message).toMatchObject({ text: "cancel failed: nope", tone: "red" });
  });
});

describe("help, quit and messages", () => {
  it("? opens the help, any key closes it, q quits from it", () => {
    const s = keys(start(), key("?")).state;
    expect(s.help).toBe(true);
    expect(keys(s, key("x")).state.help).toBe(false);
    expect(keys(s, key("q")).effects).toEqual([{ type: "quit" }]);
  });

  it("q and Ctrl+C quit", () => {
    expect(keys(start(), key("q"))).toMatchObject({ state: { quit: true }, effects: [{ type: "quit" }] });
    expect(keys(start(), key("/"), key("c", { ctrl: true })).effects).toEqual([{ type: "quit" }]);
  });

  it("messages expire", () => {
    const s = keys(threeJobs(), key("c")).state;
    expect(s.message).toBeDefined();
    expect(update(s, { type: "flush", now: s.now + MESSAGE_TTL_MS + 1 }).state.message).toBeUndefined();
  });

  it("health, workers and backlog land in the state", () => {
    const s = updateAll(start(), [
      {
        type: "workers",
        workers: {
          workers: [
            { heartbeat: { pool: "echo" } as never, lastSeenMs: T0 - 2000 },
            { heartbeat: { pool: "echo" } as never, lastSeenMs: T0 - 1000 },
          ],
          pools: [
            { pool: "zeta", liveWorkers: 0, activeJobs: 0, capacity: 0, topics: [] },
            { pool: "echo", liveWorkers: 2, activeJobs: 1, capacity: 8, topics: ["job.echo"] },
          ],
        },
      },
      { type: "backlog", backlog: { pending: 1, scheduled: 2, dispatched: 3, capped: false } },
      { type: "healthFailed", error: "down" },
    ]).state;
    expect(s.pools.map((p) => [p.pool, p.lastHeartbeatMs])).toEqual([
      ["echo", T0 - 1000],
      ["zeta", 0],
    ]);
    expect(s.backlog?.dispatched).toBe(3);
    expect(s.healthError).toBe("down");
  });
});
