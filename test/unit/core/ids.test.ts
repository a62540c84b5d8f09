import { describe, expect, it } from "vitest";
import { isValidJobId, isValidTraceId, newJobId, newTraceId } from "../../../src/core/ids.js";

describe("job ids", () => {
  it("newJobId is a lowercase v4 UUID that passes isValidJobId", () => {
    const id = newJobId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isValidJobId(id)).toBe(true);
  });

  it("newJobId does not repeat", () => {
    const ids = new Set(Array.from({ length: 1000 }, newJobId));
    expect(ids.size).toBe(1000);
  });

  it.each(["job-1", "A", "wf_code-review-step-3", "x".repeat(128)])("accepts %s", (id) => {
    expect(isValidJobId(id)).toBe(true);
  });

  it.each([
    "",
    "x".repeat(129),
    "-leading-dash",
    "has:colon",
    "has.dot",
    "has space",
    "job*",
    "job>",
    "ünïcode",
    "line\nbreak",
  ])("rejects %j", (id) => {
    expect(isValidJobId(id)).toBe(false);
  });
});

describe("trace ids", () => {
  it("newTraceId is 32 lowercase hex digits (W3C trace-context)", () => {
    const id = newTraceId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(isValidTraceId(id)).toBe(true);
    expect(newTraceId()).not.toBe(id);
  });

  it.each(["0".repeat(32), "4BF92F3577B34DA6A3CE929D0E0E4736", "abc", "g".repeat(32)])("rejects %s", (id) => {
    expect(isValidTraceId(id)).toBe(false);
  });
});
