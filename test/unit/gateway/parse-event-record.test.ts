import { describe, expect, it } from "vitest";
import { parseEventRecord } from "../../../src/daemon/gateway/job-info.js";

const bytes = (v: unknown): Uint8Array =>
  new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

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

describe("parseEventRecord", () => {
  it("keeps every known field", () => {
    expect(parseEventRecord(bytes(full))).toEqual(full);
  });

  it("drops unknown keys and defaults seq to 0 and at to now", () => {
    const before = Date.now();
    const ev = parseEventRecord(bytes({ kind: "state", jobId: "j1", newerField: { x: 1 } }));
    expect(ev).toBeDefined();
    expect(Object.keys(ev ?? {}).sort()).toEqual(["at", "jobId", "kind", "seq"]);
    expect(ev?.seq).toBe(0);
    expect(ev?.at).toBeGreaterThanOrEqual(before);
    expect(ev?.at).toBeLessThanOrEqual(Date.now());
  });

  it("reads a view into a larger buffer (as the bus hands it over) by its own bytes only", () => {
    const payload = bytes({ kind: "state", jobId: "j2" });
    const big = new Uint8Array(payload.length + 10);
    big.set(payload, 5);
    expect(parseEventRecord(big.subarray(5, 5 + payload.length))?.jobId).toBe("j2");
  });

  it.each([
    ["not JSON", "{nope"],
    ["a JSON array", "[1,2]"],
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
    expect(parseEventRecord(bytes(payload))).toBeUndefined();
  });
});
