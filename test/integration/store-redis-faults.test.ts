/**
 * The Redis store when Redis goes away: calls fail fast with STORE_UNAVAILABLE (never
 * hang), and the same store object works again once Redis is back, with no manual step.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CortexError, ErrorCode, isCortexError } from "../../src/core/errors.js";
import { createRedisStore, type RedisJobStore, type StoreLogger } from "../../src/store/redis-store.js";
import { freePort } from "../support/free-port.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";
import { newJob } from "../support/store-contract.js";

let server: RedisHandle;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

/** Settles `p` and reports how long that took after `since`. */
async function settle<T>(p: Promise<T>, since: number): Promise<{ error: unknown; ms: number }> {
  try {
    await p;
    return { error: undefined, ms: Date.now() - since };
  } catch (error) {
    return { error, ms: Date.now() - since };
  }
}

function expectUnavailable(error: unknown): void {
  expect(error).toBeInstanceOf(CortexError);
  expect(isCortexError(error, ErrorCode.StoreUnavailable)).toBe(true);
  expect((error as CortexError).hint).toMatch(/redis/i);
  expect((error as CortexError).message).toContain(server.url);
}

/** Polls until the store answers again; reconnect backoff is capped at 1 s. */
async function waitUntilUp(store: RedisJobStore, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      await store.ping();
      return Date.now() - start;
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A plain client for CLIENT PAUSE; tolerant of the server dying under it. */
function rawClient(url: string): Redis {
  const redis = new Redis(url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});
  return redis;
}

describe("redis store faults", () => {
  it("fails the first connect with STORE_UNAVAILABLE and a hint", async () => {
    const port = await freePort();
    const start = Date.now();
    const err = await createRedisStore({ url: `redis://127.0.0.1:${port}` }).catch((e) => e);
    expect(isCortexError(err, ErrorCode.StoreUnavailable)).toBe(true);
    expect((err as CortexError).hint).toBeTruthy();
    expect(Date.now() - start).toBeLessThan(3_000);
  });

  it("rejects retention and stream sizes that are not positive integers", async () => {
    for (const bad of [{ retentionSeconds: 0 }, { eventStreamMax: -1 }, { retentionSeconds: 1.5 }]) {
      const err = await createRedisStore({ url: server.url, ...bad }).catch((e) => e);
      expect(isCortexError(err, ErrorCode.InvalidArgument)).toBe(true);
    }
  });

  it("masks a password in the URL it reports", async () => {
    const port = await freePort();
    const err = await createRedisStore({ url: `redis://:s3cret@127.0.0.1:${port}` }).catch((e) => e);
    expect(isCortexError(err, ErrorCode.StoreUnavailable)).toBe(true);
    expect((err as CortexError).message).not.toContain("s3cret");
  });

  it("fails a command that gets no reply within the command timeout", async () => {
    const store = await createRedisStore({ url: server.url, prefix: uniquePrefix(), commandTimeoutMs: 200 });
    const raw = rawClient(server.url);
    try {
      await raw.call("CLIENT", "PAUSE", "700", "ALL");
      const start = Date.now();
      const { error, ms } = await settle(store.ping(), start);
      expectUnavailable(error);
      expect(ms).toBeLessThan(1_000);
      await waitUntilUp(store);
    } finally {
      await store.close();
      raw.disconnect();
    }
  });

  it("rejects calls in flight and while down promptly, then recovers after a restart", async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger: StoreLogger = {
      warn: (_o, msg) => warnings.push(msg),
      info: (_o, msg) => infos.push(msg),
    };
    const store = await createRedisStore({ url: server.url, prefix: uniquePrefix(), logger });
    const raw = rawClient(server.url);
    try {
      const job = await store.createJob(newJob());
      // Hold every command in Redis, so the ones below are truly in flight when it dies.
      await raw.call("CLIENT", "PAUSE", "10000", "ALL");
      const inFlight: Promise<unknown>[] = [
        store.transition({ jobId: job.jobId, to: "SCHEDULED", incrementAttempts: true }),
        ...Array.from({ length: 50 }, () => store.getJob(job.jobId)),
        store.listJobs({}),
        store.putResult({ jobId: job.jobId, attempt: 1, workerId: "w", result: 1 }),
      ];
      const killedAt = Date.now();
      // Handlers attached before the kill: the rejections arrive while kill9() runs.
      const settling = Promise.all(inFlight.map((p) => settle(p, killedAt)));
      await server.kill9();
      const settled = await settling;
      for (const { error, ms } of settled) {
        expectUnavailable(error);
        expect(ms).toBeLessThan(3_000);
      }

      const downAt = Date.now();
      const whileDown = await Promise.all([
        settle(store.getJob(job.jobId), downAt),
        settle(store.createJob(newJob()), downAt),
        settle(store.ping(), downAt),
        settle(store.getJobs([job.jobId, "x"]), downAt),
      ]);
      for (const { error, ms } of whileDown) {
        expectUnavailable(error);
        expect(ms).toBeLessThan(3_000);
      }

      await server.restart();
      await waitUntilUp(store);
      // The data died with the server (no persistence); the store itself works again,
      // scripts included (reloaded on the new connection).
      const again = await store.createJob(newJob());
      const moved = await store.transition({ jobId: again.jobId, to: "SCHEDULED", incrementAttempts: true });
      expect(moved).toMatchObject({ ok: true, job: { state: "SCHEDULED", attempts: 1 } });
      expect((await store.listJobs({})).jobs.map((j) => j.jobId)).toEqual([again.jobId]);
      expect(warnings).toEqual(["store connection lost; reconnecting"]);
      expect(infos).toEqual(["store reconnected"]);
    } finally {
      await store.close();
      raw.disconnect();
    }
  });

  it("closes cleanly while Redis is down", async () => {
    const store = await createRedisStore({ url: server.url, prefix: uniquePrefix() });
    await server.kill9();
    try {
      await expect(store.ping()).rejects.toSatisfy((e) => isCortexError(e, ErrorCode.StoreUnavailable));
      await store.close();
      await store.close();
    } finally {
      await server.restart();
    }
  });
});
