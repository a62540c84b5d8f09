/**
 * The JobStore contract: one suite every adapter must pass (the BullMQ adapter-conformance
 * idea). Tests that look at the Redis key layout run only when the factory hands over a
 * raw client (`inspect`); other adapters skip them.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it, type TestContext } from "vitest";
import { ErrorCode, isCortexError } from "../../src/core/errors.js";
import { type KeyNames, redisPointer } from "../../src/core/keys.js";
import { ALL_STATES, canTransition, isTerminal, type JobState, TRANSITIONS } from "../../src/core/states.js";
import type { JobRecord, JobStore, NewJob, TransitionRequest } from "../../src/store/job-store.js";
import { describeAdmitAndFinish } from "./store-contract-admit-finish.js";
import { describeApprovals } from "./store-contract-approval.js";
import { describeDeadLetters } from "./store-contract-dead-letters.js";
import { describeIdPrefix } from "./store-contract-id-prefix.js";
import { describePoisonReads, type StoreCorruptor } from "./store-contract-poison.js";

export interface RedisInspect {
  /** A plain client on the same Redis, to read keys as redis-cli would. */
  redis: Redis;
  keys: KeyNames;
}

export interface StoreUnderTest {
  store: JobStore;
  cleanup(): Promise<void>;
  inspect?: RedisInspect;
  /** Raw writes past the adapter, for the corrupt-record tests. */
  corrupt?: StoreCorruptor;
}

/** A transition step with a reason, so states that need one get one. */
const step = (to: JobState, extra: Partial<TransitionRequest> = {}): Omit<TransitionRequest, "jobId"> => ({
  to,
  reason: `test ${to}`,
  ...extra,
});

/** How to walk a new job to each state. */
const PATH_TO: Record<JobState, Omit<TransitionRequest, "jobId">[]> = {
  PENDING: [],
  AWAITING_APPROVAL: [step("AWAITING_APPROVAL")],
  SCHEDULED: [step("SCHEDULED", { incrementAttempts: true })],
  DISPATCHED: [step("SCHEDULED", { incrementAttempts: true }), step("DISPATCHED")],
  RUNNING: [step("SCHEDULED", { incrementAttempts: true }), step("DISPATCHED"), step("RUNNING")],
  SUCCEEDED: [
    step("SCHEDULED", { incrementAttempts: true }),
    step("DISPATCHED"),
    step("RUNNING", { workerId: "w1" }),
    step("SUCCEEDED"),
  ],
  FAILED: [step("FAILED")],
  TIMEOUT: [step("TIMEOUT")],
  CANCELLED: [step("CANCELLED")],
  DENIED: [step("DENIED")],
};

export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    jobId: randomUUID(),
    traceId: randomUUID().replaceAll("-", ""),
    topic: "job.echo",
    tenant: "default",
    priority: "INTERACTIVE",
    context: { prompt: "hello", n: 1, nested: { ok: true } },
    ...overrides,
  };
}

export function runStoreContract(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`JobStore contract: ${name}`, () => {
    let sut: StoreUnderTest | undefined;
    let store: JobStore;

    beforeEach(async () => {
      sut = await factory();
      store = sut.store;
    });
    afterEach(async () => {
      await sut?.cleanup();
      sut = undefined;
    });

    const inspectOrSkip = (ctx: TestContext): RedisInspect => {
      if (!sut?.inspect) ctx.skip("adapter has no Redis key layout");
      return sut.inspect;
    };

    async function walkTo(state: JobState, job: NewJob = newJob()): Promise<JobRecord> {
      await store.createJob(job);
      for (const s of PATH_TO[state]) {
        const out = await store.transition({ jobId: job.jobId, ...s });
        if (!out.ok) throw new Error(`walking to ${state}: ${s.to} refused: ${JSON.stringify(out)}`);
      }
      const rec = await store.getJob(job.jobId);
      expect(rec?.state).toBe(state);
      return rec as JobRecord;
    }

    describe("create and read", () => {
      it("creates a PENDING job and reads it and its context back", async () => {
        const job = newJob({
          adapterId: "a1",
          parentJobId: "p1",
          workflowId: "wf1",
          stepIndex: 2,
          envVars: { tenant_id: "acme", X: "1" },
          priority: "CRITICAL",
        });
        const before = Date.now();
        const rec = await store.createJob(job);
        expect(rec).toMatchObject({
          jobId: job.jobId,
          traceId: job.traceId,
          topic: job.topic,
          tenant: job.tenant,
          priority: "CRITICAL",
          state: "PENDING",
          attempts: 0,
          adapterId: "a1",
          parentJobId: "p1",
          workflowId: "wf1",
          stepIndex: 2,
          envVars: { tenant_id: "acme", X: "1" },
        });
        expect(rec.contextPtr).toMatch(/^redis:\/\//);
        expect(rec.createdAt).toBeGreaterThanOrEqual(before);
        expect(rec.updatedAt).toBe(rec.createdAt);
        expect(rec.finishedAt).toBeUndefined();
        expect(await store.getJob(job.jobId)).toEqual(rec);
        expect(await store.getContext(job.jobId)).toEqual(job.context);
      });

      it("answers undefined for unknown jobs", async () => {
        expect(await store.getJob("nope")).toBeUndefined();
        expect(await store.getContext("nope")).toBeUndefined();
        expect(await store.getResult("nope")).toBeUndefined();
        expect(await store.events("nope")).toEqual([]);
      });

      it("getJobs keeps the order of the ids and marks missing ones undefined", async () => {
        const a = await store.createJob(newJob());
        const b = await store.createJob(newJob());
        expect(await store.getJobs([b.jobId, "missing", a.jobId])).toEqual([b, undefined, a]);
        expect(await store.getJobs([])).toEqual([]);
      });

      it("refuses a second job with the same id (JOB_EXISTS) and keeps the first", async () => {
        const job = newJob();
        await store.createJob(job);
        const err = await store.createJob({ ...job, topic: "job.other", context: { x: 2 } }).catch((e) => e);
        expect(isCortexError(err, ErrorCode.JobExists)).toBe(true);
        expect((await store.getJob(job.jobId))?.topic).toBe(job.topic);
        expect(await store.getContext(job.jobId)).toEqual(job.context);
        expect(await store.events(job.jobId)).toHaveLength(1);
      });

      it("answers ping", async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe("transitions", () => {
      const nonTerminal = ALL_STATES.filter((s) => !isTerminal(s));

      for (const from of nonTerminal) {
        it(`allows every move the table lists from ${from}`, async () => {
          for (const to of TRANSITIONS[from]) {
            const rec = await walkTo(from);
            const out = await store.transition({ jobId: rec.jobId, ...step(to) });
            expect(out, `${from} -> ${to}`).toMatchObject({ ok: true, from, job: { state: to } });
            if (!out.ok) continue;
            expect(out.event).toMatchObject({ kind: "state", jobId: rec.jobId, from, to });
            expect(out.job.updatedAt).toBeGreaterThanOrEqual(rec.updatedAt);
            if (isTerminal(to)) expect(out.job.finishedAt).toBeTypeOf("number");
            expect(await store.getJob(rec.jobId)).toEqual(out.job);
          }
        });
      }

      for (const from of ALL_STATES) {
        it(`refuses moves the table does not list from ${from}, reporting the current state`, async () => {
          const rec = await walkTo(from);
          for (const to of ALL_STATES.filter((t) => !canTransition(from, t))) {
            const out = await store.transition({ jobId: rec.jobId, ...step(to) });
            expect(out, `${from} -> ${to}`).toEqual({
              ok: false,
              code: "not_allowed",
              current: from,
              attempts: rec.attempts,
            });
          }
          expect(await store.getJob(rec.jobId)).toEqual(rec);
        });
      }

      it("keeps terminal states final", async () => {
        const rec = await walkTo("SUCCEEDED");
        for (const to of ALL_STATES) {
          const out = await store.transition({ jobId: rec.jobId, ...step(to) });
          expect(out.ok).toBe(false);
        }
        expect(await store.getJob(rec.jobId)).toEqual(rec);
      });

      it("answers not_found for an unknown job", async () => {
        expect(await store.transition({ jobId: "nope", to: "SCHEDULED" })).toEqual({
          ok: false,
          code: "not_found",
        });
      });

      it("fails PENDING and SCHEDULED jobs with a reason", async () => {
        const a = await walkTo("PENDING");
        const outA = await store.transition({ jobId: a.jobId, to: "FAILED", reason: "no pool for topic" });
        expect(outA).toMatchObject({
          ok: true,
          from: "PENDING",
          job: { state: "FAILED", reason: "no pool for topic" },
        });
        const b = await walkTo("SCHEDULED");
        const outB = await store.transition({ jobId: b.jobId, to: "FAILED", reason: "publish failed" });
        expect(outB).toMatchObject({
          ok: true,
          from: "SCHEDULED",
          job: { state: "FAILED", reason: "publish failed" },
        });
        if (outB.ok) expect(outB.event.reason).toBe("publish failed");
      });

      it("rejects entering a state that needs a reason without one (INVALID_ARGUMENT)", async () => {
        const rec = await walkTo("PENDING");
        const err = await store.transition({ jobId: rec.jobId, to: "FAILED" }).catch((e) => e);
        expect(isCortexError(err, ErrorCode.InvalidArgument)).toBe(true);
        expect((await store.getJob(rec.jobId))?.state).toBe("PENDING");
      });

      it("honours the from guard", async () => {
        const rec = await walkTo("PENDING");
        const refused = await store.transition({ jobId: rec.jobId, to: "CANCELLED", from: ["RUNNING"] });
        expect(refused).toEqual({ ok: false, code: "not_allowed", current: "PENDING", attempts: 0 });
        const moved = await store.transition({
          jobId: rec.jobId,
          to: "CANCELLED",
          from: ["PENDING", "RUNNING"],
        });
        expect(moved).toMatchObject({ ok: true, from: "PENDING", job: { state: "CANCELLED" } });
      });

      it("honours expectAttempt and counts attempts with incrementAttempts", async () => {
        const rec = await walkTo("PENDING");
        const first = await store.transition({ jobId: rec.jobId, to: "SCHEDULED", incrementAttempts: true });
        expect(first).toMatchObject({ ok: true, job: { attempts: 1 }, event: { attempt: 1 } });
        const retry = await store.transition({
          jobId: rec.jobId,
          to: "SCHEDULED",
          incrementAttempts: true,
          expectAttempt: 1,
        });
        expect(retry).toMatchObject({ ok: true, from: "SCHEDULED", job: { attempts: 2 } });
        const stale = await store.transition({
          jobId: rec.jobId,
          to: "RUNNING",
          workerId: "w-old",
          expectAttempt: 1,
        });
        expect(stale).toEqual({ ok: false, code: "not_allowed", current: "SCHEDULED", attempts: 2 });
        const current = await store.transition({
          jobId: rec.jobId,
          to: "RUNNING",
          workerId: "w-new",
          expectAttempt: 2,
        });
        expect(current).toMatchObject({
          ok: true,
          job: { state: "RUNNING", attempts: 2, workerId: "w-new" },
        });
        if (current.ok) expect(current.job.startedAt).toBeTypeOf("number");
      });

      it("stamps the timestamps, worker and result pointer of each state", async () => {
        const rec = await walkTo("PENDING");
        const id = rec.jobId;
        await store.transition({ jobId: id, to: "SCHEDULED", incrementAttempts: true });
        await store.transition({ jobId: id, to: "DISPATCHED" });
        await store.transition({ jobId: id, to: "RUNNING", workerId: "w7" });
        const done = await store.transition({ jobId: id, to: "SUCCEEDED", resultPtr: "redis://res:x" });
        expect(done.ok).toBe(true);
        if (!done.ok) return;
        const j = done.job;
        expect(j).toMatchObject({ workerId: "w7", resultPtr: "redis://res:x", attempts: 1 });
        for (const t of [j.scheduledAt, j.dispatchedAt, j.startedAt, j.finishedAt])
          expect(t).toBeTypeOf("number");
        const order = [j.createdAt, j.scheduledAt, j.dispatchedAt, j.startedAt, j.finishedAt] as number[];
        expect([...order].sort((x, y) => x - y)).toEqual(order);
        expect(done.event.workerId).toBe("w7");
      });

      it("moves on with `andThen` in the same step: two events, indexes and timestamps of both", async () => {
        const rec = await walkTo("PENDING");
        const id = rec.jobId;
        const out = await store.transition({
          jobId: id,
          to: "SCHEDULED",
          from: ["PENDING"],
          andThen: "DISPATCHED",
        });
        expect(out.ok).toBe(true);
        if (!out.ok) return;
        expect(out.from).toBe("PENDING");
        expect(out.job.state).toBe("DISPATCHED");
        expect(out.job.scheduledAt).toBeTypeOf("number");
        expect(out.job.dispatchedAt).toBeTypeOf("number");
        expect(out.events.map((e) => [e.from, e.to])).toEqual([
          ["PENDING", "SCHEDULED"],
          ["SCHEDULED", "DISPATCHED"],
        ]);
        expect(out.event).toEqual(out.events[1]);
        expect((out.events[1]?.seq ?? 0) - (out.events[0]?.seq ?? 0)).toBe(1);
        expect((await store.events(id)).slice(-2)).toEqual(out.events);
        for (const [state, expected] of [
          ["PENDING", 0],
          ["SCHEDULED", 0],
          ["DISPATCHED", 1],
        ] as const) {
          const page = await store.listJobs({ state });
          expect(page.jobs.filter((j) => j.jobId === id)).toHaveLength(expected);
        }
        // The guard applies to the first move: a second chained schedule is refused.
        const again = await store.transition({
          jobId: id,
          to: "SCHEDULED",
          from: ["PENDING"],
          andThen: "DISPATCHED",
        });
        expect(again).toMatchObject({ ok: false, code: "not_allowed", current: "DISPATCHED" });
      });

      it("refuses an `andThen` the table does not allow after `to` (INVALID_ARGUMENT), changing nothing", async () => {
        const rec = await walkTo("PENDING");
        await expect(
          store.transition({ jobId: rec.jobId, to: "SCHEDULED", andThen: "SUCCEEDED" }),
        ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
        await expect(
          store.transition({ jobId: rec.jobId, to: "SCHEDULED", andThen: "FAILED" }),
        ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
        expect((await store.getJob(rec.jobId))?.state).toBe("PENDING");
      });

      it("returns the context with `withContext`, and none without", async () => {
        const rec = await walkTo("DISPATCHED");
        const out = await store.transition({
          jobId: rec.jobId,
          to: "RUNNING",
          incrementAttempts: true,
          withContext: true,
        });
        expect(out.ok && out.context).toEqual({ prompt: "hello", n: 1, nested: { ok: true } });
        const plain = await store.transition({ jobId: rec.jobId, to: "RUNNING", incrementAttempts: true });
        expect(plain.ok && plain.context).toBeUndefined();
      });

      it("lets exactly one of 1,000 concurrent identical transitions win", async () => {
        // SCHEDULED -> DISPATCHED is allowed once; DISPATCHED -> DISPATCHED is not.
        expect(canTransition("SCHEDULED", "DISPATCHED") && !canTransition("DISPATCHED", "DISPATCHED")).toBe(
          true,
        );
        const rec = await walkTo("SCHEDULED");
        const outs = await Promise.all(
          Array.from({ length: 1_000 }, (_, i) =>
            store.transition({ jobId: rec.jobId, to: "DISPATCHED", workerId: `w${i}` }),
          ),
        );
        const wins = outs.filter((o) => o.ok);
        expect(wins).toHaveLength(1);
        for (const o of outs)
          if (!o.ok) expect(o).toMatchObject({ code: "not_allowed", current: "DISPATCHED" });
        expect((await store.events(rec.jobId)).map((e) => e.to)).toEqual([
          "PENDING",
          "SCHEDULED",
          "DISPATCHED",
        ]);
      });

      it("lets exactly one of 1,000 concurrent guarded dispatches count an attempt", async () => {
        const rec = await walkTo("PENDING");
        const outs = await Promise.all(
          Array.from({ length: 1_000 }, () =>
            store.transition({
              jobId: rec.jobId,
              to: "SCHEDULED",
              from: ["PENDING"],
              incrementAttempts: true,
            }),
          ),
        );
        expect(outs.filter((o) => o.ok)).toHaveLength(1);
        expect((await store.getJob(rec.jobId))?.attempts).toBe(1);
      });
    });

    describeAdmitAndFinish({ store: () => store, walkTo, inspectOrSkip });
    describeDeadLetters({ store: () => store });
    describeApprovals({ store: () => store, newJob });
    describeIdPrefix({ store: () => store, newJob, inspectOrSkip });
    describePoisonReads({
      store: () => store,
      corruptorOrSkip: (ctx: TestContext): StoreCorruptor => {
        const corrupt = sut?.corrupt;
        if (!corrupt) ctx.skip("adapter has no raw-write hook");
        return corrupt;
      },
    });

    describe("results", () => {
      it("keeps the first result per attempt, stores a new attempt's, and records late ones", async () => {
        const rec = await walkTo("RUNNING");
        const id = rec.jobId;
        const first = await store.putResult({ jobId: id, attempt: 1, workerId: "w1", result: { answer: 1 } });
        expect(first.stored).toBe(true);
        expect(first.resultPtr).toMatch(/^redis:\/\//);
        const dup = await store.putResult({ jobId: id, attempt: 1, workerId: "w2", result: { answer: 2 } });
        expect(dup).toEqual({ stored: false, duplicate: true, resultPtr: first.resultPtr });
        expect(await store.getResult(id)).toEqual({ answer: 1 });

        const second = await store.putResult({
          jobId: id,
          attempt: 2,
          workerId: "w3",
          result: { answer: 3 },
        });
        expect(second).toEqual({ stored: true, resultPtr: first.resultPtr });
        expect(await store.getResult(id)).toEqual({ answer: 3 });

        await store.transition({ jobId: id, to: "SUCCEEDED", resultPtr: first.resultPtr });
        const late = await store.putResult({ jobId: id, attempt: 3, workerId: "w4", result: { answer: 4 } });
        expect(late).toEqual({ stored: false, late: true, resultPtr: first.resultPtr });
        // A redelivery of an attempt that already stored is late too once the job is final.
        const lateDup = await store.putResult({
          jobId: id,
          attempt: 2,
          workerId: "w3",
          result: { answer: 3 },
        });
        expect(lateDup).toMatchObject({ stored: false, late: true });
        expect(await store.getResult(id)).toEqual({ answer: 3 });
        expect((await store.getJob(id))?.lateResults).toBe(2);
      });

      it("stores any JSON value as a result", async () => {
        const rec = await walkTo("RUNNING");
        await store.putResult({ jobId: rec.jobId, attempt: 1, workerId: "w", result: "just text" });
        expect(await store.getResult(rec.jobId)).toBe("just text");
      });
    });

    describe("listing", () => {
      async function pages(query: Parameters<JobStore["listJobs"]>[0]): Promise<JobRecord[][]> {
        const all: JobRecord[][] = [];
        let cursor: string | undefined;
        for (let i = 0; i < 100; i++) {
          const page = await store.listJobs({ ...query, cursor });
          all.push(page.jobs);
          cursor = page.nextCursor;
          if (!cursor) return all;
        }
        throw new Error("pagination did not end");
      }

      it("pages through recent and per-state lists, visiting every job once, newest first", async () => {
        // Created concurrently, so many share a millisecond: ties must page correctly too.
        const jobs = await Promise.all(
          Array.from({ length: 23 }, (_, i) =>
            store.createJob(newJob({ topic: i % 2 ? "job.a" : "job.b", tenant: i % 3 ? "t1" : "t2" })),
          ),
        );
        const scheduled = jobs.slice(0, 10);
        for (const j of scheduled) await store.transition({ jobId: j.jobId, to: "SCHEDULED" });

        const recent = (await pages({ limit: 5 })).flat();
        expect(recent.map((j) => j.jobId).sort()).toEqual(jobs.map((j) => j.jobId).sort());
        const created = recent.map((j) => j.createdAt);
        expect([...created].sort((a, b) => b - a)).toEqual(created);

        const sched = await pages({ state: "SCHEDULED", limit: 3 });
        expect(sched.every((p) => p.length <= 3)).toBe(true);
        const schedJobs = sched.flat();
        expect(schedJobs.map((j) => j.jobId).sort()).toEqual(scheduled.map((j) => j.jobId).sort());
        expect(schedJobs.every((j) => j.state === "SCHEDULED")).toBe(true);
        const updated = schedJobs.map((j) => j.updatedAt);
        expect([...updated].sort((a, b) => b - a)).toEqual(updated);

        const pending = (await pages({ state: "PENDING", limit: 50 })).flat();
        expect(pending).toHaveLength(13);
      });

      it("filters by topic and tenant", async () => {
        const jobs = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            store.createJob(newJob({ topic: i % 2 ? "job.a" : "job.b", tenant: i % 3 ? "t1" : "t2" })),
          ),
        );
        const ids = (pred: (j: JobRecord) => boolean) =>
          jobs
            .filter(pred)
            .map((j) => j.jobId)
            .sort();
        const got = async (q: Parameters<JobStore["listJobs"]>[0]) =>
          (await pages(q))
            .flat()
            .map((j) => j.jobId)
            .sort();
        expect(await got({ topic: "job.a", limit: 4 })).toEqual(ids((j) => j.topic === "job.a"));
        expect(await got({ tenant: "t2", limit: 2 })).toEqual(ids((j) => j.tenant === "t2"));
        expect(await got({ topic: "job.b", tenant: "t1", state: "PENDING" })).toEqual(
          ids((j) => j.topic === "job.b" && j.tenant === "t1"),
        );
        expect(await got({ topic: "job.none" })).toEqual([]);
      });

      it("does not repeat or skip older jobs when new ones arrive between pages", async () => {
        const old = [];
        for (let i = 0; i < 9; i++) old.push(await store.createJob(newJob()));
        const seen: string[] = [];
        let page = await store.listJobs({ limit: 4 });
        seen.push(...page.jobs.map((j) => j.jobId));
        while (page.nextCursor) {
          await store.createJob(newJob());
          page = await store.listJobs({ limit: 4, cursor: page.nextCursor });
          seen.push(...page.jobs.map((j) => j.jobId));
        }
        expect(new Set(seen).size).toBe(seen.length);
        // A job created in the same millisecond as the cursor may sort after it and show up.
        expect(seen).toEqual(expect.arrayContaining(old.map((j) => j.jobId)));
      });

      it("uses 50 as the default page size and rejects a malformed cursor", async () => {
        await Promise.all(Array.from({ length: 51 }, () => store.createJob(newJob())));
        const page = await store.listJobs({});
        expect(page.jobs).toHaveLength(50);
        expect(page.nextCursor).toBeTypeOf("string");
        const err = await store.listJobs({ cursor: "not a cursor" }).catch((e) => e);
        expect(isCortexError(err, ErrorCode.InvalidArgument)).toBe(true);
      });

      it("skips and drops index entries whose job expired", async (ctx) => {
        const inspect = inspectOrSkip(ctx);
        const a = await store.createJob(newJob());
        const b = await store.createJob(newJob());
        await inspect.redis.del(inspect.keys.meta(a.jobId));
        const page = await store.listJobs({});
        expect(page.jobs.map((j) => j.jobId)).toEqual([b.jobId]);
        expect(await inspect.redis.zscore(inspect.keys.recent(), a.jobId)).toBeNull();
        const pend = await store.listJobs({ state: "PENDING" });
        expect(pend.jobs.map((j) => j.jobId)).toEqual([b.jobId]);
        expect(await inspect.redis.zscore(inspect.keys.index("PENDING"), a.jobId)).toBeNull();
      });
    });

    describe("events and traces", () => {
      it("records a job's events in order with increasing seq", async () => {
        const job = newJob();
        const rec = await walkTo("SUCCEEDED", job);
        const progress = await store.appendEvent({ kind: "progress", jobId: rec.jobId, reason: "50%" });
        const events = await store.events(rec.jobId);
        expect(events.map((e) => e.kind)).toEqual(["state", "state", "state", "state", "state", "progress"]);
        expect(events.map((e) => e.to)).toEqual([
          "PENDING",
          "SCHEDULED",
          "DISPATCHED",
          "RUNNING",
          "SUCCEEDED",
          undefined,
        ]);
        expect(events.slice(1, 5).map((e) => e.from)).toEqual([
          "PENDING",
          "SCHEDULED",
          "DISPATCHED",
          "RUNNING",
        ]);
        const seqs = events.map((e) => e.seq);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] as number);
        expect(events[0]).toMatchObject({
          jobId: rec.jobId,
          traceId: job.traceId,
          topic: job.topic,
          tenant: job.tenant,
          attempt: 0,
        });
        expect(events.at(-1)).toEqual(progress);
        expect(progress.at).toBeTypeOf("number");
      });

      it("returns the transition's event as stored", async () => {
        const rec = await walkTo("PENDING");
        const out = await store.transition({ jobId: rec.jobId, to: "SCHEDULED", incrementAttempts: true });
        expect(out.ok).toBe(true);
        if (out.ok) expect((await store.events(rec.jobId)).at(-1)).toEqual(out.event);
      });

      it("keeps recent events across jobs, oldest first", async () => {
        const a = await store.createJob(newJob());
        const b = await store.createJob(newJob());
        await store.transition({ jobId: a.jobId, to: "SCHEDULED" });
        await store.transition({ jobId: b.jobId, to: "CANCELLED" });
        await store.appendEvent({ kind: "worker.join", jobId: "", workerId: "w9", at: 1234 });
        const all = await store.recentEvents(100);
        expect(all.map((e) => [e.jobId, e.kind, e.to])).toEqual([
          [a.jobId, "state", "PENDING"],
          [b.jobId, "state", "PENDING"],
          [a.jobId, "state", "SCHEDULED"],
          [b.jobId, "state", "CANCELLED"],
          ["", "worker.join", undefined],
        ]);
        expect(all.at(-1)).toMatchObject({ workerId: "w9", at: 1234 });
        for (let i = 1; i < all.length; i++) expect(all[i]?.seq).toBeGreaterThan(all[i - 1]?.seq as number);
        expect(await store.recentEvents(2)).toEqual(all.slice(-2));
        expect(await store.recentEvents(0)).toEqual([]);
      });

      it("does not keep per-job history for events of unknown jobs", async () => {
        await store.appendEvent({ kind: "progress", jobId: "ghost" });
        expect(await store.events("ghost")).toEqual([]);
        expect((await store.recentEvents(1))[0]).toMatchObject({ jobId: "ghost", kind: "progress" });
      });

      it("lists a trace's jobs in submit order", async () => {
        const traceId = randomUUID().replaceAll("-", "");
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const j = await store.createJob(newJob({ traceId }));
          ids.push(j.jobId);
          await store.createJob(newJob());
        }
        expect(await store.traceJobs(traceId)).toEqual(ids);
        expect(await store.traceJobs("unknown")).toEqual([]);
      });
    });

    describe("redis layout", () => {
      it("keeps the documented key layout and pointers", async (ctx) => {
        const { redis, keys } = inspectOrSkip(ctx);
        const job = newJob();
        const rec = await store.createJob(job);
        const id = rec.jobId;
        expect(rec.contextPtr).toBe(redisPointer(keys.ctx(id)));
        expect(rec.contextPtr).toBe(`redis://${keys.prefix}ctx:${id}`);
        expect(JSON.parse((await redis.get(keys.ctx(id))) as string)).toEqual(job.context);
        expect(await redis.hget(keys.meta(id), "state")).toBe("PENDING");
        expect(await redis.hget(keys.meta(id), "topic")).toBe(job.topic);
        expect(await redis.zscore(keys.index("PENDING"), id)).toBe(String(rec.createdAt));
        expect(await redis.zscore(keys.recent(), id)).toBe(String(rec.createdAt));
        expect(await redis.lrange(keys.trace(job.traceId), 0, -1)).toEqual([id]);
        expect(await redis.llen(keys.events(id))).toBe(1);
        expect(await redis.type(keys.eventStream())).toBe("stream");
        expect(await redis.xlen(keys.eventStream())).toBe(1);
        expect(Number(await redis.get(keys.eventSeq()))).toBe(1);

        await store.transition({ jobId: id, to: "SCHEDULED", incrementAttempts: true });
        expect(await redis.hget(keys.meta(id), "state")).toBe("SCHEDULED");
        expect(await redis.zscore(keys.index("PENDING"), id)).toBeNull();
        expect(await redis.zscore(keys.index("SCHEDULED"), id)).not.toBeNull();

        const put = await store.putResult({ jobId: id, attempt: 1, workerId: "w1", result: { out: "x" } });
        expect(put.resultPtr).toBe(redisPointer(keys.res(id)));
        expect(JSON.parse((await redis.get(keys.res(id))) as string)).toEqual({ out: "x" });
        expect(await redis.ttl(keys.resultGuard(id, 1))).toBeGreaterThan(0);

        await store.transition({ jobId: id, to: "CANCELLED" });
        await store.putResult({ jobId: id, attempt: 1, workerId: "w2", result: { out: "late" } });
        const late = (await redis.lrange(keys.late(id), 0, -1)).map((s) => JSON.parse(s));
        expect(late).toEqual([
          { attempt: 1, workerId: "w2", at: expect.any(Number), result: { out: "late" } },
        ]);
        expect(await redis.hget(keys.meta(id), "late_results")).toBe("1");
      });

      it("sets the retention TTL on a job's keys when it ends, and only then", async (ctx) => {
        const { redis, keys } = inspectOrSkip(ctx);
        const job = newJob();
        const rec = await walkTo("RUNNING", job);
        const id = rec.jobId;
        await store.putResult({ jobId: id, attempt: 1, workerId: "w1", result: 1 });
        for (const key of [
          keys.meta(id),
          keys.ctx(id),
          keys.res(id),
          keys.events(id),
          keys.trace(job.traceId),
        ]) {
          expect(await redis.ttl(key), key).toBe(-1);
        }
        await store.transition({ jobId: id, to: "SUCCEEDED" });
        for (const key of [
          keys.meta(id),
          keys.ctx(id),
          keys.res(id),
          keys.events(id),
          keys.trace(job.traceId),
        ]) {
          expect(await redis.ttl(key), key).toBeGreaterThan(0);
        }
        // A new job in the same trace keeps the trace alive.
        await store.createJob(newJob({ traceId: job.traceId }));
        expect(await redis.ttl(keys.trace(job.traceId))).toBe(-1);
      });
    });
  });
}
