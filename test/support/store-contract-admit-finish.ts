/**
 * Contract for the two one-step job paths: admitJob (record, ctx and admission moves) and
 * finishAttempt (result and the attempt's last moves). Run by runStoreContract for every adapter.
 */
import { describe, expect, it, type TestContext } from "vitest";
import { ErrorCode, isCortexError } from "../../src/core/errors.js";
import { jobFingerprint, NOT_QUEUED } from "../../src/core/job-fingerprint.js";
import type { JobState } from "../../src/core/states.js";
import type { JobRecord, JobStore, MoveStep, NewJob } from "../../src/store/job-store.js";
import { newJob, type RedisInspect } from "./store-contract.js";

export interface ContractHandles {
  store(): JobStore;
  walkTo(state: JobState, job?: NewJob): Promise<JobRecord>;
  inspectOrSkip(ctx: TestContext): RedisInspect;
}

const ADMIT: readonly MoveStep[] = [{ to: "SCHEDULED", incrementAttempts: true }, { to: "DISPATCHED" }];
/** How a cortex worker finishes: RUNNING when it was not recorded yet (a new attempt), then SUCCEEDED. */
const FINISH: readonly MoveStep[] = [
  { to: "RUNNING", onlyFrom: "DISPATCHED", incrementAttempts: true },
  { to: "SUCCEEDED" },
];

const moves = (events: readonly { from?: string; to?: string }[]) => events.map((e) => [e.from, e.to]);

export function describeAdmitAndFinish(h: ContractHandles): void {
  describe("admitJob", () => {
    it("admits through PENDING, SCHEDULED and DISPATCHED in one step: three events, one attempt", async () => {
      const store = h.store();
      const job = newJob();
      const out = await store.admitJob({ job, steps: ADMIT });
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.job).toMatchObject({ jobId: job.jobId, state: "DISPATCHED", attempts: 1 });
      expect(out.job.scheduledAt).toBeTypeOf("number");
      expect(out.job.dispatchedAt).toBeTypeOf("number");
      expect(out.job.contextPtr).toMatch(/^redis:\/\//);
      expect(moves(out.events)).toEqual([
        [undefined, "PENDING"],
        ["PENDING", "SCHEDULED"],
        ["SCHEDULED", "DISPATCHED"],
      ]);
      expect(out.events.map((e) => e.attempt)).toEqual([0, 1, 1]);
      expect(out.events[0]).toMatchObject({ kind: "state", traceId: job.traceId, topic: job.topic });
      const seqs = out.events.map((e) => e.seq);
      expect(seqs[1]).toBe((seqs[0] as number) + 1);
      expect(seqs[2]).toBe((seqs[1] as number) + 1);
      expect(await store.getJob(job.jobId)).toEqual(out.job);
      expect(await store.events(job.jobId)).toEqual(out.events);
      expect(await store.getContext(job.jobId)).toEqual(job.context);
      expect(await store.traceJobs(job.traceId)).toEqual([job.jobId]);
      const ids = async (state: JobState) => (await store.listJobs({ state })).jobs.map((j) => j.jobId);
      expect(await ids("DISPATCHED")).toEqual([job.jobId]);
      expect(await ids("PENDING")).toEqual([]);
    });

    it("admits straight to DENIED with its reason", async () => {
      const store = h.store();
      const job = newJob();
      const out = await store.admitJob({ job, steps: [{ to: "DENIED", reason: "policy: topic denied" }] });
      expect(out).toMatchObject({
        ok: true,
        job: { state: "DENIED", reason: "policy: topic denied", attempts: 0 },
      });
      if (!out.ok) return;
      expect(out.job.finishedAt).toBeTypeOf("number");
      expect(moves(out.events)).toEqual([
        [undefined, "PENDING"],
        ["PENDING", "DENIED"],
      ]);
      expect(out.events[1]?.reason).toBe("policy: topic denied");
    });

    it("answers exists for a taken id and writes nothing", async () => {
      const store = h.store();
      const rec = await h.walkTo("DISPATCHED");
      const again = newJob({ jobId: rec.jobId, topic: "job.other", context: { other: true } });
      const out = await store.admitJob({ job: again, steps: ADMIT });
      expect(out).toMatchObject({ ok: false, code: "exists", current: "DISPATCHED", attempts: 1, job: rec });
      if (out.ok) return;
      // walkTo admitted a newJob(): the fingerprint leaves the ids out
      expect(out.fingerprint).toBe(jobFingerprint(newJob()));
      expect(await store.getJob(rec.jobId)).toEqual(rec);
      expect(await store.getContext(rec.jobId)).toEqual(newJob().context);
      expect(await store.events(rec.jobId)).toHaveLength(3);
      expect(await store.traceJobs(again.traceId)).toEqual([]);
    });

    it("answers exists with the existing record and its fingerprint for the same submit", async () => {
      const store = h.store();
      const job = newJob({ envVars: { b: "2", a: "1" }, context: { y: [1, { b: 1, a: 2 }], x: "s" } });
      const first = await store.admitJob({ job, steps: ADMIT });
      if (!first.ok) throw new Error("first admit refused");
      // the same content with keys in another order, under a new trace id
      const again = {
        ...job,
        traceId: "f".repeat(32),
        envVars: { a: "1", b: "2" },
        context: { x: "s", y: [1, { a: 2, b: 1 }] },
      };
      const out = await store.admitJob({ job: again, steps: ADMIT });
      expect(out).toMatchObject({
        ok: false,
        code: "exists",
        job: first.job,
        fingerprint: jobFingerprint(job),
      });
      expect(jobFingerprint(again)).toBe(jobFingerprint(job));
      expect(jobFingerprint({ ...job, priority: "BATCH" })).not.toBe(jobFingerprint(job));
      expect(await store.events(job.jobId)).toHaveLength(3);
    });

    it("re-admits a job FAILED as not queued when the same tenant submits the same job again", async () => {
      const store = h.store();
      const job = newJob();
      const first = await store.admitJob({ job, steps: ADMIT });
      if (!first.ok) throw new Error("first admit refused");
      const failed = await store.transition({
        jobId: job.jobId,
        to: "FAILED",
        from: ["DISPATCHED"],
        reason: "not queued: the bus was unavailable at submit",
        reasonCode: NOT_QUEUED,
      });
      expect(failed.ok).toBe(true);
      const out = await store.admitJob({ job, steps: ADMIT });
      if (!out.ok) throw new Error(`retry refused: ${JSON.stringify(out)}`);
      expect(out.job).toMatchObject({
        jobId: job.jobId,
        traceId: job.traceId,
        state: "DISPATCHED",
        attempts: 1,
      });
      expect(out.job.reason).toBeUndefined();
      expect(out.job.finishedAt).toBeUndefined();
      expect(moves(out.events)).toEqual([
        [undefined, "PENDING"],
        ["PENDING", "SCHEDULED"],
        ["SCHEDULED", "DISPATCHED"],
      ]);
      expect(await store.getJob(job.jobId)).toEqual(out.job);
      // the history keeps the failed submit
      expect(await store.events(job.jobId)).toHaveLength(7);
      expect(await store.traceJobs(job.traceId)).toEqual([job.jobId]);
      const failedPage = await store.listJobs({ state: "FAILED" });
      expect(failedPage.jobs.map((j) => j.jobId)).not.toContain(job.jobId);
      const dispatched = await store.listJobs({ state: "DISPATCHED" });
      expect(dispatched.jobs.map((j) => j.jobId)).toContain(job.jobId);
      // once re-admitted it is an ordinary job: the same submit again is answered with it
      expect(await store.admitJob({ job, steps: ADMIT })).toMatchObject({ ok: false, current: "DISPATCHED" });
    });

    it("moves a re-admitted job to the retry's trace when it names another one", async () => {
      const store = h.store();
      const job = newJob();
      await store.admitJob({ job, steps: [] });
      await store.transition({
        jobId: job.jobId,
        to: "FAILED",
        reason: "not queued",
        reasonCode: NOT_QUEUED,
      });
      const retry = { ...job, traceId: "e".repeat(32) };
      const out = await store.admitJob({ job: retry, steps: [] });
      expect(out).toMatchObject({ ok: true, job: { traceId: retry.traceId } });
      expect(await store.traceJobs(job.traceId)).toEqual([]);
      expect(await store.traceJobs(retry.traceId)).toEqual([job.jobId]);
    });

    it("keeps a not-queued job for another tenant, other content or a FAILED without the code", async () => {
      const store = h.store();
      const fail = async (reasonCode?: string): Promise<NewJob> => {
        const job = newJob();
        await store.admitJob({ job, steps: ADMIT });
        await store.transition({
          jobId: job.jobId,
          to: "FAILED",
          reason: "not queued: the bus was unavailable at submit",
          ...(reasonCode ? { reasonCode } : {}),
        });
        return job;
      };
      const cases: [string, NewJob][] = [];
      const a = await fail(NOT_QUEUED);
      cases.push(["other tenant", { ...a, tenant: "other" }]);
      const b = await fail(NOT_QUEUED);
      cases.push(["other content", { ...b, context: { other: true } }]);
      const c = await fail();
      cases.push(["no reason code", c]);
      for (const [what, job] of cases) {
        const out = await store.admitJob({ job, steps: ADMIT });
        expect(out, what).toMatchObject({ ok: false, code: "exists", current: "FAILED" });
        expect((await store.getJob(job.jobId))?.state, what).toBe("FAILED");
      }
    });

    it("leaves the context alone with contextStored", async () => {
      const store = h.store();
      const job = newJob();
      const out = await store.admitJob({ job, steps: [], contextStored: true });
      expect(out).toMatchObject({ ok: true, job: { state: "PENDING" } });
      expect(await store.getContext(job.jobId)).toBeUndefined();
    });

    it("keeps a context a v1 sender stored before admission", async (ctx) => {
      const { redis, keys } = h.inspectOrSkip(ctx);
      const store = h.store();
      const job = newJob();
      await redis.set(keys.ctx(job.jobId), JSON.stringify({ from: "v1" }));
      await store.admitJob({ job, steps: ADMIT, contextStored: true });
      expect(await store.getContext(job.jobId)).toEqual({ from: "v1" });
    });

    it("rejects steps without a needed reason or outside the table (INVALID_ARGUMENT), writing nothing", async () => {
      const store = h.store();
      for (const steps of [[{ to: "DENIED" }], [{ to: "SUCCEEDED" }]] as MoveStep[][]) {
        const job = newJob();
        const err = await store.admitJob({ job, steps }).catch((e: unknown) => e);
        expect(isCortexError(err, ErrorCode.InvalidArgument), JSON.stringify(steps)).toBe(true);
        expect(await store.getJob(job.jobId)).toBeUndefined();
        expect(await store.events(job.jobId)).toEqual([]);
      }
    });
  });

  describe("finishAttempt", () => {
    it("finishes a DISPATCHED attempt: RUNNING (a new attempt) then SUCCEEDED, with its result", async () => {
      const store = h.store();
      const rec = await h.walkTo("DISPATCHED");
      const id = rec.jobId;
      const out = await store.finishAttempt({
        jobId: id,
        attempt: 2,
        workerId: "w1",
        steps: FINISH,
        result: { answer: 42 },
      });
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.from).toBe("DISPATCHED");
      expect(moves(out.events)).toEqual([
        ["DISPATCHED", "RUNNING"],
        ["RUNNING", "SUCCEEDED"],
      ]);
      expect(out.events.map((e) => [e.attempt, e.workerId])).toEqual([
        [2, "w1"],
        [2, "w1"],
      ]);
      expect(out.resultPtr).toMatch(new RegExp(`^redis://.*res:${id}$`));
      expect(out.job).toMatchObject({
        state: "SUCCEEDED",
        attempts: 2,
        workerId: "w1",
        resultPtr: out.resultPtr,
      });
      expect(out.job.startedAt).toBeTypeOf("number");
      expect(out.job.finishedAt).toBeTypeOf("number");
      expect(await store.getResult(id)).toEqual({ answer: 42 });
      expect(await store.getJob(id)).toEqual(out.job);
      expect((await store.events(id)).slice(-2)).toEqual(out.events);
    });

    it("skips the RUNNING step when the job is already RUNNING", async () => {
      const store = h.store();
      const rec = await h.walkTo("RUNNING");
      const out = await store.finishAttempt({
        jobId: rec.jobId,
        attempt: 1,
        workerId: "w1",
        steps: FINISH,
        result: 1,
      });
      expect(out).toMatchObject({ ok: true, from: "RUNNING", job: { state: "SUCCEEDED", attempts: 1 } });
      if (out.ok) expect(moves(out.events)).toEqual([["RUNNING", "SUCCEEDED"]]);
    });

    it("refuses a stale attempt and writes nothing", async () => {
      const store = h.store();
      for (const [state, attempt] of [
        ["RUNNING", 2],
        ["DISPATCHED", 1],
      ] as const) {
        const rec = await h.walkTo(state);
        const events = await store.events(rec.jobId);
        const out = await store.finishAttempt({
          jobId: rec.jobId,
          attempt,
          workerId: "w-old",
          steps: FINISH,
          result: { stale: true },
        });
        expect(out).toEqual({ ok: false, code: "not_allowed", current: state, attempts: 1, late: false });
        expect(await store.getJob(rec.jobId)).toEqual(rec);
        expect(await store.getResult(rec.jobId)).toBeUndefined();
        expect(await store.events(rec.jobId)).toEqual(events);
      }
    });

    it("honours the from guard", async () => {
      const store = h.store();
      const rec = await h.walkTo("SCHEDULED");
      const out = await store.finishAttempt({
        jobId: rec.jobId,
        attempt: 1,
        workerId: "w1",
        from: ["RUNNING"],
        steps: [{ to: "CANCELLED" }],
      });
      expect(out).toEqual({ ok: false, code: "not_allowed", current: "SCHEDULED", attempts: 1, late: false });
      expect(await store.getJob(rec.jobId)).toEqual(rec);
    });

    it("records a result for a terminal job as late", async () => {
      const store = h.store();
      const rec = await h.walkTo("SUCCEEDED");
      const late = await store.finishAttempt({
        jobId: rec.jobId,
        attempt: 1,
        workerId: "w2",
        steps: FINISH,
        result: { late: true },
      });
      expect(late).toEqual({ ok: false, code: "not_allowed", current: "SUCCEEDED", attempts: 1, late: true });
      const noResult = await store.finishAttempt({
        jobId: rec.jobId,
        attempt: 1,
        workerId: "w2",
        steps: FINISH,
      });
      expect(noResult).toMatchObject({ ok: false, code: "not_allowed", late: false });
      expect(await store.getJob(rec.jobId)).toEqual({ ...rec, lateResults: 1 });
      expect(await store.getResult(rec.jobId)).toBeUndefined();
    });

    it("answers not_found for an unknown job and rejects a step without its reason", async () => {
      const store = h.store();
      expect(await store.finishAttempt({ jobId: "nope", attempt: 1, workerId: "w", steps: FINISH })).toEqual({
        ok: false,
        code: "not_found",
      });
      const rec = await h.walkTo("RUNNING");
      const err = await store
        .finishAttempt({ jobId: rec.jobId, attempt: 1, workerId: "w", steps: [{ to: "FAILED" }] })
        .catch((e: unknown) => e);
      expect(isCortexError(err, ErrorCode.InvalidArgument)).toBe(true);
      expect(await store.getJob(rec.jobId)).toEqual(rec);
    });

    it("lets exactly one of 100 concurrent finishes of the same attempt win; the others are late", async () => {
      const store = h.store();
      const rec = await h.walkTo("DISPATCHED");
      const outs = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          store.finishAttempt({
            jobId: rec.jobId,
            attempt: 2,
            workerId: `w${i}`,
            steps: FINISH,
            result: { i },
          }),
        ),
      );
      const wins = outs.filter((o) => o.ok);
      expect(wins).toHaveLength(1);
      expect(outs.filter((o) => !o.ok && o.code === "not_allowed" && o.late)).toHaveLength(99);
      const winner = wins[0];
      if (!winner?.ok) return;
      expect(await store.getResult(rec.jobId)).toEqual({ i: Number(winner.job.workerId?.slice(1)) });
      expect((await store.getJob(rec.jobId))?.lateResults).toBe(99);
      expect((await store.events(rec.jobId)).map((e) => e.to)).toEqual([
        "PENDING",
        "SCHEDULED",
        "DISPATCHED",
        "RUNNING",
        "SUCCEEDED",
      ]);
    });

    it("sets the retention TTL on a job's keys when the finish ends it", async (ctx) => {
      const { redis, keys } = h.inspectOrSkip(ctx);
      const store = h.store();
      const job = newJob();
      const rec = await h.walkTo("DISPATCHED", job);
      await store.finishAttempt({ jobId: rec.jobId, attempt: 2, workerId: "w1", steps: FINISH, result: 1 });
      for (const key of [
        keys.meta(rec.jobId),
        keys.ctx(rec.jobId),
        keys.res(rec.jobId),
        keys.events(rec.jobId),
      ]) {
        expect(await redis.ttl(key), key).toBeGreaterThan(0);
      }
    });
  });
}
