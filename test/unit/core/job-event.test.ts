import { describe, expect, it } from "vitest";
import { type JobEventRecord, parseEventPayload } from "../../../src/core/job-event.js";

const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** One event, as a single-event payload: undefined when it was rejected. */
const parseOne = (v: unknown): JobEventRecord | undefined => {
  const { events, rejected } = parseEventPayload(text(v), Date.now());
  return rejected === 0 && events.length === 1 ? events[0] : undefined;
};

const full = {
  seq: 7,
  at: 1_700_000_000_000,
  kind: "state",
  jobId: "j1",
  traceId: "t1",
  topic: "job.echo",
  from: "RUNNING",
  to: "SUCCEEDED",
  workerId: "w1",
  reason: "done",
  tenant: "acme",
  attempt: 2,
  text: "tok",
  resultJson: '{"ok":true}',
};

describe("parseEventPayload", () => {
  it("keeps every known field", () => {
    expect(parseOne(full)).toEqual(full);
  });

  it("drops unknown keys and defaults seq to 0 and at to now", () => {
    const before = Date.now();
    const ev = parseOne({ kind: "state", jobId: "j1", newerField: { x: 1 } });
    expect(ev).toBeDefined();
    expect(Object.keys(ev ?? {}).sort()).toEqual(["at", "jobId", "kind", "seq"]);
    expect(ev?.seq).toBe(0);
    expect(ev?.at).toBeGreaterThanOrEqual(before);
    expect(ev?.at).toBeLessThanOrEqual(Date.now());
  });

  it("reads a batch: an array, or {origin, events}, dropping only the malformed entries", () => {
    const good = { kind: "state", jobId: "j2", seq: 3, at: 5 };
    expect(parseEventPayload(text([good, { kind: "state" }, good]), 0)).toEqual({
      events: [good, good],
      rejected: 1,
    });
    expect(parseEventPayload(text({ origin: "feed-1", events: [good] }), 0)).toEqual({
      events: [good],
      rejected: 0,
      origin: "feed-1",
    });
  });

  it("skips a payload of the named origin without parsing it", () => {
    expect(parseEventPayload('{"origin":"me","events":[{"kind":"state","jobId":"j"}]}', 0, "me")).toEqual({
      events: [],
      rejected: 0,
      origin: "me",
    });
    expect(
      parseEventPayload('{"origin":"you","events":[{"kind":"state","jobId":"j","at":1}]}', 0, "me").events,
    ).toHaveLength(1);
  });

  it.each([
    ["not JSON", "{nope"],
    ["an array of non-events", "[1,2]"],
    ["JSON null", "null"],
    ["a JSON string", '"state"'],
    ["no kind", { jobId: "j1" }],
    ["an empty kind", { kind: "", jobId: "j1" }],
    ["no job id", { kind: "state" }],
    ["an empty job id", { kind: "state", jobId: "" }],
    ["a job id that is a number", { kind: "state", jobId: 5 }],
    ["a negative seq", { kind: "state", jobId: "j1", seq: -1 }],
    ["a fractional seq", { kind: "state", jobId: "j1", seq: 1.5 }],
    ["a seq that is a string", { kind: "state", jobId: "j1", seq: "3" }],
    ["an at that is a string", { kind: "state", jobId: "j1", at: "now" }],
    ["a fractional attempt", { kind: "state", jobId: "j1", attempt: 0.5 }],
    ["a topic that is a number", { kind: "state", jobId: "j1", topic: 3 }],
    ["a null optional field", { kind: "state", jobId: "j1", reason: null }],
    ["a result that is an object", { kind: "state", jobId: "j1", resultJson: { ok: true } }],
  ])("rejects %s", (_what, payload) => {
    expect(parseOne(payload)).toBeUndefined();
  });
});
