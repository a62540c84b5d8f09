import { describe, expect, it } from "vitest";
import { backoffCeiling, backoffDelay } from "../../../src/core/backoff.js";
import { ErrorCode } from "../../../src/core/errors.js";

const opts = { baseMs: 100, maxMs: 5_000 };
const fixed = (r: number) => () => r;

describe("backoffCeiling", () => {
  it("doubles per attempt from baseMs, then stops at maxMs", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffCeiling(a, opts))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
  });

  it("treats attempts below 1 (and NaN) as the first retry", () => {
    expect(backoffCeiling(0, opts)).toBe(100);
    expect(backoffCeiling(-3, opts)).toBe(100);
    expect(backoffCeiling(Number.NaN, opts)).toBe(100);
  });

  it("stays at the cap for huge attempts instead of overflowing", () => {
    expect(backoffCeiling(10_000, opts)).toBe(5_000);
    expect(backoffCeiling(Number.POSITIVE_INFINITY, opts)).toBe(100);
  });
});

describe("backoffDelay (full jitter)", () => {
  it("is deterministic given a random source", () => {
    expect(backoffDelay(3, { ...opts, random: fixed(0.5) })).toBe(200);
    expect(backoffDelay(3, { ...opts, random: fixed(0) })).toBe(0);
    expect(backoffDelay(3, { ...opts, random: fixed(0.999) })).toBe(399);
    expect(backoffDelay(20, { ...opts, random: fixed(0.5) })).toBe(2_500);
  });

  it("always lands in [0, ceiling] and is a whole number", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, opts);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(backoffCeiling(attempt, opts));
      }
    }
  });

  it("clamps a random source that leaves [0, 1)", () => {
    expect(backoffDelay(1, { ...opts, random: fixed(7) })).toBe(100);
    expect(backoffDelay(1, { ...opts, random: fixed(-1) })).toBe(0);
    expect(backoffDelay(1, { ...opts, random: fixed(Number.NaN) })).toBe(0);
  });

  it("rejects negative or non-finite bounds with INVALID_ARGUMENT naming the field", () => {
    expect(() => backoffDelay(1, { baseMs: -1, maxMs: 10 })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument, details: { field: "baseMs", value: -1 } }),
    );
    expect(() => backoffDelay(1, { baseMs: 1, maxMs: Number.POSITIVE_INFINITY })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
  });
});
