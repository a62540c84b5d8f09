/**
 * Embedded: a locked or full database is an outage, not an attempt. A worker runtime on the
 * in-process bus and a real SQLite store whose every call fails for a few seconds mid-load
 * with the store's own errors (the daemon holds the file in exclusive mode, so no other
 * process can lock it: SQLITE_BUSY, SQLITE_FULL and I/O errors come from within).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/memory-bus.js";
import { isTerminal, JobState } from "../../src/core/states.js";
import type { JobRecord, JobStore } from "../../src/store/job-store.js";
import { storeFull, storeLocked } from "../../src/store/sqlite/errors.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import { echoHandler } from "../../src/workers/echo.js";
import { WorkerRuntime } from "../../src/workers/runtime.js";
import { dispatchJob } from "../support/fake-scheduler.js";

const JOBS = 200;
const LOCK_MS = 3_000;
const dir = mkdtempSync(join(tmpdir(), "cortex-locked-"));
const cleanups: Array<() => unknown> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

/** The worker's view of `store`: while `failing()`, every call fails as SQLite would. */
function flakyStore(store: JobStore, path: string, failing: () => boolean): JobStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (!failing()) return (value as (...a: unknown[]) => unknown).apply(target, args);
        calls++;
        const cause = new Error(calls % 2 === 0 ? "SQLITE_BUSY" : "SQLITE_FULL");
        return Promise.reject(calls % 2 === 0 ? storeLocked(path, cause) : storeFull(path, cause));
      };
    },
  });
}

describe("a locked embedded database under load", () => {
  it(`a ${LOCK_MS / 1000} s locked database under ${JOBS} jobs: all SUCCEEDED, attempts 1, done within 10 s`, async () => {
    const logger = pino({ level: process.env.LOG_LEVEL ?? "silent" });
    const path = join(dir, "cortex.db");
    const store = await createSqliteStore({ path });
    const bus = new MemoryBus();
    await bus.provision();
    cleanups.push(
      () => bus.close(),
      () => store.close(),
    );
    let failing = false;
    const topic = "job.test.locked";
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      ids.push(
        await dispatchJob({ bus, store, prefix: "" }, topic, { n: i, sleep_ms: i % 2 === 0 ? 50 : 400 }),
      );
    }
    const runtime = new WorkerRuntime({
      bus,
      store: flakyStore(store, path, () => failing),
      kind: "echo",
      pool: "echo",
      topics: [topic],
      handler: echoHandler,
      concurrency: 16,
      ackWaitMs: 5_000,
      logger,
    });
    cleanups.push(() => runtime.drain(1_000));
    await runtime.start();
    const jobsOf = async () => (await store.getJobs(ids)).filter((j): j is JobRecord => j !== undefined);
    while ((await jobsOf()).filter((j) => j.state === JobState.Succeeded).length < 30) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    failing = true;
    await new Promise((resolve) => setTimeout(resolve, LOCK_MS));
    failing = false;
    const releasedAt = Date.now();

    let jobs: JobRecord[] = [];
    while (Date.now() - releasedAt < 20_000) {
      jobs = await jobsOf();
      if (jobs.every((j) => isTerminal(j.state))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const recoveredMs = Date.now() - releasedAt;
    const notOnce = jobs.filter((j) => j.state !== JobState.Succeeded || j.attempts !== 1);
    expect(notOnce.map((j) => `${j.jobId}:${j.state}:${j.attempts}`)).toEqual([]);
    expect(jobs).toHaveLength(JOBS);
    expect(recoveredMs).toBeLessThan(10_000);
  }, 60_000);
});
