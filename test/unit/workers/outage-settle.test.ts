/** Which hand-backs count as an outage, and how soon an outage hand-back comes back. */
import { describe, expect, it } from "vitest";
import { busUnavailable, CortexError, ErrorCode, storeUnavailable } from "../../../src/core/errors.js";
import { isOutage } from "../../../src/core/outage.js";
import { storeLocked } from "../../../src/store/sqlite/errors.js";
import { guard, Requeue, retryDelay } from "../../../src/workers/message-settle.js";
import { topicSettingsFromTimeout } from "../../../src/workers/runtime-options.js";

const fail = (err: unknown) => guard("finish attempt", () => Promise.reject(err));

describe("outage hand-backs", () => {
  it("Redis, NATS and a locked SQLite database are outages; a bug or a bad record is not", async () => {
    for (const err of [
      storeUnavailable("redis://127.0.0.1:1", new Error("ECONNREFUSED")),
      busUnavailable("nats://127.0.0.1:1", new Error("closed")),
      storeLocked("/tmp/cortex.db", new Error("SQLITE_BUSY")),
      new CortexError(ErrorCode.StoreUnavailable, "disk full"),
    ]) {
      await expect(fail(err)).rejects.toMatchObject({ outage: true });
    }
    for (const err of [
      new CortexError(ErrorCode.Internal, "Redis rejected a command"),
      new CortexError(ErrorCode.DecodeFailed, "bad record"),
      new Error("store unavailable"),
    ]) {
      await expect(fail(err)).rejects.toMatchObject({ outage: false });
    }
    expect(new Requeue("job is PENDING").outage).toBe(false);
    expect(isOutage(new Error("wrapped", { cause: storeUnavailable("redis://x", undefined) }))).toBe(true);
  });

  it("an outage hand-back waits at most 2 s, however often it was handed back", () => {
    for (const count of [1, 2, 5, 50, 10_000]) {
      const delay = retryDelay(count, true);
      expect(delay).toBeGreaterThanOrEqual(250);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
  });

  it("job topics have no delivery limit: the jobs layer counts attempts", () => {
    expect(topicSettingsFromTimeout({ timeoutSeconds: 60 })).toEqual({
      timeoutMs: 60_000,
      ackWaitMs: 30_000,
      maxDeliver: -1,
    });
  });
});
