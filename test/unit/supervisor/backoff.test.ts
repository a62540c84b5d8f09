import { describe, expect, it } from "vitest";
import { RESTART_BASE_MS, RESTART_MAX_MS, restartDelayMs } from "../../../src/daemon/supervisor/backoff.js";

describe("restartDelayMs", () => {
  it("doubles with each crash in a row, capped", () => {
    expect([1, 2, 3, 4].map(restartDelayMs)).toEqual([1, 2, 4, 8].map((k) => k * RESTART_BASE_MS));
    expect(restartDelayMs(50)).toBe(RESTART_MAX_MS);
    expect(restartDelayMs(0)).toBe(RESTART_BASE_MS);
  });
});
