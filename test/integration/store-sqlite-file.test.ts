/**
 * What only the embedded store has: a file that outlives the process, typed errors for a
 * file that is damaged, held by another daemon or full, retention that deletes rows, and
 * writes that survive a kill -9.
 */

import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type Database from "better-sqlite3";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type CortexError, ErrorCode, isCortexError } from "../../src/core/errors.js";
import type { MoveStep } from "../../src/store/job-store.js";
import {
  createSqliteStore,
  type SqliteJobStore,
  type SqliteStoreOptions,
} from "../../src/store/sqlite-store.js";
import { newJob } from "../support/store-contract.js";
import { transpileTree } from "../support/transpile-tree.js";

const ADMIT: readonly MoveStep[] = [{ to: "SCHEDULED", incrementAttempts: true }, { to: "DISPATCHED" }];
const FINISH: readonly MoveStep[] = [
  { to: "RUNNING", onlyFrom: "DISPATCHED", incrementAttempts: true },
  { to: "SUCCEEDED" },
];

let dir: string;
let path: string;
const open: SqliteJobStore[] = [];

async function openStore(opts: Partial<SqliteStoreOptions> = {}): Promise<SqliteJobStore> {
  const store = await createSqliteStore({ path, ...opts });
  open.push(store);
  return store;
}

async function openError(opts: Partial<SqliteStoreOptions> = {}): Promise<CortexError> {
  const err = await openStore(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCortexError(err)).toBe(true);
  return err as CortexError;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cortex-sqlite-file-"));
  path = join(dir, "data", "cortex.db");
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sqlite store file", () => {
  it("creates the directory and keeps jobs, results and events across a reopen", async () => {
    const first = await openStore();
    const running = newJob();
    const done = newJob();
    await first.admitJob({ job: running, steps: ADMIT });
    await first.admitJob({ job: done, steps: ADMIT });
    await first.finishAttempt({
      jobId: done.jobId,
      attempt: 2,
      workerId: "w1",
      steps: FINISH,
      result: { ok: 1 },
    });
    const before = await Promise.all([first.getJob(running.jobId), first.getJob(done.jobId)]);
    const events = await first.events(done.jobId);
    await first.close();
    expect(statSync(path).isFile()).toBe(true);

    const second = await openStore();
    expect(await Promise.all([second.getJob(running.jobId), second.getJob(done.jobId)])).toEqual(before);
    expect(await second.events(done.jobId)).toEqual(events);
    expect(await second.getResult(done.jobId)).toEqual({ ok: 1 });
    expect(await second.getContext(running.jobId)).toEqual(running.context);
    // seq keeps increasing after a restart
    const next = await second.appendEvent({ kind: "progress", jobId: running.jobId });
    expect(next.seq).toBeGreaterThan(events.at(-1)?.seq as number);
  });

  it("names a damaged file and says to move it aside (STORE_CORRUPT)", async () => {
    mkdirSync(join(dir, "data"));
    writeFileSync(path, Buffer.alloc(8192, "not a database "));
    const err = await openError();
    expect(err.code).toBe(ErrorCode.StoreCorrupt);
    expect(err.message).toContain(path);
    expect(err.hint).toMatch(/move the file aside/);
    expect(err.hint).toContain("cortex up");
    expect((err.cause as { code?: string }).code).toBe("SQLITE_NOTADB");
  });

  it("refuses a file another daemon holds (STORE_LOCKED) and opens it once that one closes", async () => {
    const holder = await openStore();
    const err = await openError({ busyTimeoutMs: 50 });
    expect(err.code).toBe(ErrorCode.StoreLocked);
    expect(err.message).toContain(path);
    expect(err.hint).toContain("cortex down");
    expect((err.cause as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
    await holder.close();
    await expect(openStore({ busyTimeoutMs: 50 })).resolves.toBeDefined();
  });

  it("names a path it cannot create (STORE_UNAVAILABLE)", async () => {
    writeFileSync(join(dir, "data"), "a file where the directory should be");
    const err = await openError();
    expect(err.code).toBe(ErrorCode.StoreUnavailable);
    expect(err.message).toContain(path);
    expect(err.cause).toBeDefined();
  });

  it("reports a full disk naming the file, keeping the jobs already accepted", async () => {
    const store = await openStore();
    const kept = newJob();
    await store.admitJob({ job: kept, steps: ADMIT });
    // Stand-in for a full disk: the database may not grow past its current size.
    const db = (store as unknown as { db: Database.Database }).db;
    db.pragma(`max_page_count = ${Number(db.pragma("page_count", { simple: true }))}`);
    const big = { blob: "x".repeat(256 * 1024) };
    const err = await store
      .admitJob({ job: newJob({ context: big }), steps: ADMIT })
      .catch((e: unknown) => e);
    expect(isCortexError(err, ErrorCode.StoreUnavailable)).toBe(true);
    expect((err as CortexError).message).toContain(path);
    expect((err as CortexError).message).toMatch(/disk is full/);
    expect((err as CortexError).hint).toMatch(/already accepted are kept/);
    expect((await store.getJob(kept.jobId))?.state).toBe("DISPATCHED");
  });

  it("runs calls of one tick in one transaction without letting one failure spoil the others", async () => {
    const store = await openStore();
    const a = newJob();
    const b = newJob();
    const outs = await Promise.allSettled([
      store.createJob(a),
      store.createJob(a),
      store.createJob(b),
      store.finishAttempt({ jobId: b.jobId, attempt: 0, workerId: "w", steps: [{ to: "FAILED" }] }),
      store.getJob(b.jobId),
    ]);
    expect(outs.map((o) => o.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect(isCortexError((outs[1] as PromiseRejectedResult).reason, ErrorCode.JobExists)).toBe(true);
    expect((outs[4] as PromiseFulfilledResult<unknown>).value).toMatchObject({ jobId: b.jobId });
    expect((await store.listJobs({})).jobs.map((j) => j.jobId).sort()).toEqual([a.jobId, b.jobId].sort());
  });

  it("rejects calls after close with STORE_UNAVAILABLE", async () => {
    const store = await openStore();
    await store.close();
    await expect(store.getJob("x")).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable });
    await expect(store.ping()).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable });
  });
});

describe("sqlite store retention", () => {
  it("deletes terminal jobs past their retention with their context, result, events and trace entry", async () => {
    const store = await openStore({ retentionSeconds: 1 });
    const traceId = "t-retention";
    const live = newJob({ traceId });
    const denied = newJob({ traceId });
    const finished = newJob({ traceId });
    await store.admitJob({ job: live, steps: ADMIT });
    await store.admitJob({ job: denied, steps: [{ to: "DENIED", reason: "policy" }] });
    await store.admitJob({ job: finished, steps: ADMIT });
    await store.finishAttempt({ jobId: finished.jobId, attempt: 2, workerId: "w", steps: FINISH, result: 7 });
    await store.putResult({ jobId: finished.jobId, attempt: 2, workerId: "w2", result: "late" });

    expect(await store.sweep()).toBe(0);
    expect(await store.sweep(Date.now() + 1_500)).toBe(2);
    for (const id of [denied.jobId, finished.jobId]) {
      expect(await store.getJob(id)).toBeUndefined();
      expect(await store.getContext(id)).toBeUndefined();
      expect(await store.getResult(id)).toBeUndefined();
      expect(await store.events(id)).toEqual([]);
    }
    expect(await store.traceJobs(traceId)).toEqual([live.jobId]);
    expect((await store.getJob(live.jobId))?.state).toBe("DISPATCHED");
    expect(await store.events(live.jobId)).toHaveLength(3);
    // The global stream keeps the events of deleted jobs until they fall out of it.
    expect((await store.recentEvents(100)).map((e) => e.jobId)).toContain(finished.jobId);
  });

  it("sweeps on its own timer", async () => {
    const store = await openStore({ retentionSeconds: 1, sweepIntervalMs: 100 });
    const job = newJob();
    await store.admitJob({ job, steps: [{ to: "CANCELLED" }] });
    await vi.waitFor(async () => expect(await store.getJob(job.jobId)).toBeUndefined(), {
      timeout: 5_000,
      interval: 100,
    });
  });

  it("caps the global event stream but keeps a live job's whole history", async () => {
    const store = await openStore({ eventStreamMax: 10 });
    const job = newJob();
    await store.admitJob({ job, steps: ADMIT });
    for (let i = 0; i < 30; i++) await store.appendEvent({ kind: "progress", jobId: "", text: String(i) });
    await store.sweep();
    const recent = await store.recentEvents(100);
    expect(recent.map((e) => e.text)).toEqual(Array.from({ length: 10 }, (_, i) => String(20 + i)));
    expect(await store.events(job.jobId)).toHaveLength(3);
  });

  it("reuses the space of deleted jobs instead of growing the file", async () => {
    // The stream is kept short here so that the deleted jobs' events leave it too.
    const store = await openStore({ retentionSeconds: 1, eventStreamMax: 100 });
    const db = (store as unknown as { db: Database.Database }).db;
    const pages = () => Number(db.pragma("page_count", { simple: true }));
    const cycle = async () => {
      await Promise.all(
        Array.from({ length: 300 }, () =>
          store.admitJob({
            job: newJob({ context: { text: "y".repeat(2_000) } }),
            steps: [{ to: "CANCELLED" }],
          }),
        ),
      );
      await store.sweep(Date.now() + 2_000);
    };
    await cycle();
    const after = pages();
    for (let i = 0; i < 3; i++) await cycle();
    expect(pages()).toBeLessThanOrEqual(Math.ceil(after * 1.1));
  });
});

describe("sqlite store after kill -9", () => {
  it("keeps every call that resolved before the process was killed", async () => {
    const storeJs = transpileTree("src/store/sqlite-store.ts", join(dir, "build"));
    const script = `
      import { createSqliteStore } from ${JSON.stringify(pathToFileURL(storeJs).href)};
      const store = await createSqliteStore({ path: ${JSON.stringify(path)} });
      const ids = [];
      for (let i = 0; i < 200; i++) {
        const jobId = "job-" + i;
        ids.push(jobId);
        await store.admitJob({ job: { jobId, traceId: "t", topic: "job.echo", tenant: "d", priority: "BATCH", context: { i } },
          steps: [{ to: "SCHEDULED", incrementAttempts: true }, { to: "DISPATCHED" }] });
      }
      await Promise.all(ids.filter((_, i) => i % 2 === 0).map((jobId) => store.finishAttempt({ jobId, attempt: 2,
        workerId: "w", steps: [{ to: "RUNNING", onlyFrom: "DISPATCHED", incrementAttempts: true }, { to: "SUCCEEDED" }],
        result: { done: jobId } })));
      process.stdout.write("ready\\n");
      setInterval(() => {}, 1000);
    `;
    // reject: false: the SIGKILL below is the point of the test, not its failure.
    const child = execa(process.execPath, ["--input-type=module", "-e", script], {
      stdin: "ignore",
      stderr: "inherit",
      buffer: false,
      reject: false,
    });
    const exited = once(child, "exit");
    await new Promise<void>((ready, fail) => {
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && ready());
      child.once("exit", (code) => fail(new Error(`child exited early (${code})`)));
    });
    child.kill("SIGKILL");
    await exited;

    const store = await openStore();
    const jobs = await store.getJobs(Array.from({ length: 200 }, (_, i) => `job-${i}`));
    expect(jobs.map((j) => j?.state)).toEqual(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? "SUCCEEDED" : "DISPATCHED")),
    );
    expect(await store.getResult("job-198")).toEqual({ done: "job-198" });
    expect(await store.getContext("job-199")).toEqual({ i: 199 });
    expect(await store.traceJobs("t")).toHaveLength(200);
  });
});
