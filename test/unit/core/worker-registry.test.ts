import { describe, expect, it } from "vitest";
import { summarizePools, WorkerRegistry } from "../../../src/core/worker-registry.js";
import { Heartbeat } from "../../../src/gen/cortex/v1/bus.js";

function beat(workerId: string, pool: string, extra: Partial<Heartbeat> = {}): Heartbeat {
  return Heartbeat.fromPartial({ workerId, pool, type: pool, maxParallelJobs: 2, ...extra });
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("WorkerRegistry", () => {
  it("reports a join on the first beat only", () => {
    const c = clock();
    const reg = new WorkerRegistry({ now: c.now });
    expect(reg.observe(beat("w1", "echo")).joined).toBe(true);
    c.advance(5_000);
    const again = reg.observe(beat("w1", "echo", { activeJobs: 1 }));
    expect(again.joined).toBe(false);
    expect(again.entry.firstSeenMs).toBe(1_000_000);
    expect(reg.get("w1")?.heartbeat.activeJobs).toBe(1);
  });

  it("keeps a worker through two missed beats and forgets it after three", () => {
    const c = clock();
    const reg = new WorkerRegistry({ now: c.now });
    reg.observe(beat("w1", "echo"));
    c.advance(15_000);
    expect(reg.live().map((e) => e.heartbeat.workerId)).toEqual(["w1"]);
    expect(reg.hasLiveWorker("echo")).toBe(true);
    c.advance(1);
    expect(reg.live()).toEqual([]);
    expect(reg.get("w1")).toBeUndefined();
    expect(reg.hasLiveWorker("echo")).toBe(false);
    expect(reg.prune().map((e) => e.heartbeat.workerId)).toEqual(["w1"]);
    expect(reg.prune()).toEqual([]);
  });

  it("treats a beat after expiry as a new join", () => {
    const c = clock();
    const reg = new WorkerRegistry({ now: c.now, heartbeatIntervalMs: 100, missedBeats: 3 });
    reg.observe(beat("w1", "echo"));
    c.advance(301);
    const back = reg.observe(beat("w1", "echo"));
    expect(back.joined).toBe(true);
    expect(back.entry.firstSeenMs).toBe(c.now());
  });

  it("filters and sorts live workers by pool then id", () => {
    const reg = new WorkerRegistry({ now: () => 0 });
    reg.observe(beat("b", "chat"));
    reg.observe(beat("a", "echo"));
    reg.observe(beat("a2", "chat"));
    expect(reg.live().map((e) => e.heartbeat.workerId)).toEqual(["a2", "b", "a"]);
    expect(reg.live("echo").map((e) => e.heartbeat.workerId)).toEqual(["a"]);
    expect(reg.remove("a")).toBe(true);
    expect(reg.hasLiveWorker("echo")).toBe(false);
  });
});

describe("summarizePools", () => {
  it("aggregates live workers and lists configured pools without workers", () => {
    const reg = new WorkerRegistry({ now: () => 0 });
    reg.observe(beat("e1", "echo", { activeJobs: 1, maxParallelJobs: 4 }));
    reg.observe(beat("e2", "echo", { activeJobs: 2, maxParallelJobs: 4 }));
    reg.observe(beat("x1", "extra", { activeJobs: 0, maxParallelJobs: 1 }));
    const pools = summarizePools(reg.live(), {
      "job.echo": "echo",
      "job.chat.simple": "chat",
      "job.chat.advanced": "chat",
    });
    expect(pools).toEqual([
      {
        pool: "chat",
        liveWorkers: 0,
        activeJobs: 0,
        capacity: 0,
        topics: ["job.chat.advanced", "job.chat.simple"],
      },
      { pool: "echo", liveWorkers: 2, activeJobs: 3, capacity: 8, topics: ["job.echo"] },
      { pool: "extra", liveWorkers: 1, activeJobs: 0, capacity: 1, topics: [] },
    ]);
  });
});
