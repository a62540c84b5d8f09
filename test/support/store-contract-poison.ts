/**
 * Contract for reads past corrupt records (issue 14, finding 4): a record or event that
 * cannot be decoded is skipped and counted by listings, batch reads and event reads, and a
 * single read of it fails with DECODE_FAILED naming the job and the field. Records are
 * corrupted with a raw write past cortex's codec (redis-cli HSET, a sqlite3 UPDATE).
 */
import { describe, expect, it, type TestContext } from "vitest";
import { type CortexError, ErrorCode, isCortexError } from "../../src/core/errors.js";
import type { JobRecord, JobStore } from "../../src/store/job-store.js";
import { newJob } from "./store-contract.js";

/** Raw writes that bypass the adapter, one implementation per backend. */
export interface StoreCorruptor {
  /** Overwrites one field (a `job:meta:<id>` name / a jobs column) of the job's record. */
  setField(jobId: string, field: string, value: string | number): Promise<void>;
  /** Adds a raw entry to the job's event history and to the recent-event stream. */
  addRawEvent(jobId: string, body: string): Promise<void>;
}

export interface PoisonHandles {
  store(): JobStore;
  corruptorOrSkip(ctx: TestContext): StoreCorruptor;
}

const INT32_OVER = 2_147_483_648;

/** Fields whose bad values make a record undecodable, as seen in the field (issue 14). */
const BAD_FIELDS: readonly [field: string, value: string | number][] = [
  ["step_index", INT32_OVER],
  ["attempts", INT32_OVER],
  ["priority", "URGENT"],
  ["env_vars", "{not json"],
  ["approval", "{not json"],
  ["approval", '{"ruleId":1}'],
  ["created_at", "not a time"],
];

const failures = (store: JobStore): number => {
  const stats = store.stats?.();
  if (!stats) throw new Error("the adapter does not implement stats()");
  return stats.decodeFailures;
};

export function describePoisonReads(h: PoisonHandles): void {
  describe("corrupt records", () => {
    async function threeJobsMiddleCorrupt(
      c: StoreCorruptor,
      field: string,
      value: string | number,
    ): Promise<[JobRecord, JobRecord, JobRecord]> {
      const store = h.store();
      const a = await store.createJob(newJob());
      const b = await store.createJob(newJob());
      const d = await store.createJob(newJob());
      await c.setField(b.jobId, field, value);
      return [a, b, d];
    }

    for (const [field, value] of BAD_FIELDS) {
      it(`listJobs skips and counts a record with a bad ${field}, in job:recent and its state's index`, async (ctx) => {
        const c = h.corruptorOrSkip(ctx);
        const store = h.store();
        const [a, , d] = await threeJobsMiddleCorrupt(c, field, value);
        const before = failures(store);
        const recent = await store.listJobs({});
        expect(recent.jobs.map((j) => j.jobId).sort()).toEqual([a.jobId, d.jobId].sort());
        const pending = await store.listJobs({ state: "PENDING" });
        expect(pending.jobs.map((j) => j.jobId).sort()).toEqual([a.jobId, d.jobId].sort());
        expect(failures(store)).toBe(before + 2);
      });
    }

    it("listJobs skips a record whose state is unknown", async (ctx) => {
      const c = h.corruptorOrSkip(ctx);
      const store = h.store();
      const [a, , d] = await threeJobsMiddleCorrupt(c, "state", "BOGUS");
      const before = failures(store);
      const recent = await store.listJobs({});
      expect(recent.jobs.map((j) => j.jobId).sort()).toEqual([a.jobId, d.jobId].sort());
      expect(failures(store)).toBe(before + 1);
    });

    it("pages on past a corrupt record: every other job is listed once", async (ctx) => {
      const c = h.corruptorOrSkip(ctx);
      const store = h.store();
      const jobs: JobRecord[] = [];
      for (let i = 0; i < 7; i++) jobs.push(await store.createJob(newJob()));
      const bad = jobs.filter((_, i) => i % 3 === 1);
      for (const j of bad) await c.setField(j.jobId, "step_index", INT32_OVER);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await store.listJobs({ state: "PENDING", limit: 1, ...(cursor ? { cursor } : {}) });
        seen.push(...page.jobs.map((j) => j.jobId));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      const good = jobs.filter((j) => !bad.includes(j)).map((j) => j.jobId);
      expect(seen.sort()).toEqual(good.sort());
    });

    it("getJobs answers undefined for a corrupt record and counts it; getJob fails with DECODE_FAILED naming job and field", async (ctx) => {
      const c = h.corruptorOrSkip(ctx);
      const store = h.store();
      const [a, b, d] = await threeJobsMiddleCorrupt(c, "step_index", INT32_OVER);
      const before = failures(store);
      const got = await store.getJobs([a.jobId, b.jobId, d.jobId]);
      expect(got.map((j) => j?.jobId)).toEqual([a.jobId, undefined, d.jobId]);
      expect(failures(store)).toBe(before + 1);
      const err = (await store.getJob(b.jobId).catch((e: unknown) => e)) as CortexError;
      expect(isCortexError(err, ErrorCode.DecodeFailed)).toBe(true);
      expect(err.message).toContain(b.jobId);
      expect(err.message).toContain("step_index");
      expect(err.details).toMatchObject({ jobId: b.jobId, field: "step_index" });
      expect(err.hint).toBeTruthy();
    });

    it("events and recentEvents skip and count an entry that is not an event", async (ctx) => {
      const c = h.corruptorOrSkip(ctx);
      const store = h.store();
      const job = await store.createJob(newJob());
      await c.addRawEvent(job.jobId, "{garbage");
      await c.addRawEvent(job.jobId, "42");
      await store.transition({ jobId: job.jobId, to: "SCHEDULED" });
      const before = failures(store);
      const events = await store.events(job.jobId);
      expect(events.map((e) => e.to)).toEqual(["PENDING", "SCHEDULED"]);
      expect(failures(store)).toBe(before + 2);
      const recent = await store.recentEvents(10);
      expect(recent.map((e) => e.to)).toEqual(["PENDING", "SCHEDULED"]);
      expect(failures(store)).toBe(before + 4);
    });
  });
}
