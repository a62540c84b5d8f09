import { describe, expect, it } from "vitest";
import { type EventFilter, EventHub, EventWatcher } from "../../../src/daemon/gateway/event-watch.js";
import type { JobEvent } from "../../../src/gen/cortex/v1/api.js";
import type { JobEventRecord } from "../../../src/store/job-store.js";

const filter = (f: Partial<EventFilter>): EventFilter => ({
  topics: [],
  states: [],
  jobId: "",
  traceId: "",
  tenant: "",
  ...f,
});

function watcher(f: Partial<EventFilter>): { w: EventWatcher; got: JobEvent[] } {
  const got: JobEvent[] = [];
  const w = new EventWatcher(filter(f), { write: (ev) => got.push(ev) > 0, onDrain: () => undefined });
  w.goLive([]);
  return { w, got };
}

let seq = 1;
const ev = (jobId: string, topic = "job.echo"): JobEventRecord => ({
  seq: seq++,
  at: 0,
  kind: "state",
  jobId,
  topic,
  to: "RUNNING",
});

describe("EventHub", () => {
  it("routes a job's events to that job's watchers and to every matching general watcher", () => {
    const hub = new EventHub();
    const a = watcher({ jobId: "a" });
    const a2 = watcher({ jobId: "a" });
    const b = watcher({ jobId: "b" });
    const all = watcher({});
    const chat = watcher({ topics: ["job.chat.*"] });
    for (const x of [a, a2, b, all, chat]) hub.add(x.w);
    hub.publish(ev("a"));
    hub.publish(ev("b"));
    hub.publish(ev("c", "job.chat.simple"));
    hub.publish({ seq: seq++, at: 0, kind: "worker_join", jobId: "", workerId: "w1" });
    expect(a.got.map((e) => e.jobId)).toEqual(["a"]);
    expect(a2.got.map((e) => e.jobId)).toEqual(["a"]);
    expect(b.got.map((e) => e.jobId)).toEqual(["b"]);
    expect(all.got.map((e) => e.kind)).toEqual(["state", "state", "state", "worker_join"]);
    expect(chat.got.map((e) => e.jobId)).toEqual(["c"]);
    expect(hub.published).toBe(4);
  });

  it("stops delivering to a removed watcher and forgets it", () => {
    const hub = new EventHub();
    const a = watcher({ jobId: "a" });
    const all = watcher({});
    const removeA = hub.add(a.w);
    const removeAll = hub.add(all.w);
    expect(hub.size()).toBe(2);
    removeA();
    removeAll();
    hub.publish(ev("a"));
    expect(a.got).toEqual([]);
    expect(all.got).toEqual([]);
    expect(hub.size()).toBe(0);
  });
});
