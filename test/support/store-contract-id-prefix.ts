/**
 * Contract for id-prefix listing (short ids): only ids starting with the prefix, in id order,
 * paged by cursor, the other filters still applied; on Redis, the job:ids set is written by
 * admission and ids of expired jobs are dropped from it.
 */
import type { TestContext } from "vitest";
import { describe, expect, it } from "vitest";
import { ErrorCode, isCortexError } from "../../src/core/errors.js";
import type { JobRecord, JobStore, ListJobsQuery, NewJob } from "../../src/store/job-store.js";
import type { RedisInspect } from "./store-contract.js";

interface IdPrefixHandles {
  store(): JobStore;
  newJob(overrides?: Partial<NewJob>): NewJob;
  inspectOrSkip(ctx: TestContext): RedisInspect;
}

export function describeIdPrefix(h: IdPrefixHandles): void {
  describe("id prefix", () => {
    async function all(query: ListJobsQuery): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 50; i++) {
        const page = await h.store().listJobs({ ...query, cursor });
        ids.push(...page.jobs.map((j: JobRecord) => j.jobId));
        cursor = page.nextCursor;
        if (!cursor) return ids;
      }
      throw new Error("pagination did not end");
    }

    it("lists only ids with the prefix, in id order, a page at a time, with the other filters", async () => {
      const run = `p${Date.now().toString(36)}`;
      const ids = ["a1", "a2", "a3", "a10", "b1", "a1-s-patch-1"].map((s) => `${run}${s}`);
      for (const [i, jobId] of ids.entries()) {
        await h.store().createJob(h.newJob({ jobId, topic: i % 2 ? "job.a" : "job.b" }));
      }
      await h.store().createJob(h.newJob({ jobId: `acme~${run}a1` }));
      const withA = ids.filter((id) => id.startsWith(`${run}a`)).sort();
      expect(await all({ idPrefix: `${run}a`, limit: 2 })).toEqual(withA);
      expect(await all({ idPrefix: `${run}a1` })).toEqual([`${run}a1`, `${run}a1-s-patch-1`, `${run}a10`]);
      expect(await all({ idPrefix: `${run}a`, topic: "job.a" })).toEqual([
        `${run}a1-s-patch-1`,
        `${run}a10`,
        `${run}a2`,
      ]);
      expect(await all({ idPrefix: `${run}a`, state: "SCHEDULED" })).toEqual([]);
      expect(await all({ idPrefix: `acme~${run}` })).toEqual([`acme~${run}a1`]);
      expect(await all({ idPrefix: `${run}z` })).toEqual([]);
    });

    it("rejects a prefix with characters no id has", async () => {
      const err = await h
        .store()
        .listJobs({ idPrefix: "a b" })
        .catch((e: unknown) => e);
      expect(isCortexError(err, ErrorCode.InvalidArgument)).toBe(true);
    });

    it("keeps every admitted id in job:ids and drops ids whose job expired", async (ctx) => {
      const inspect = h.inspectOrSkip(ctx);
      const a = await h.store().createJob(h.newJob());
      const b = await h.store().createJob(h.newJob({ jobId: `${a.jobId}-b` }));
      expect(await inspect.redis.zscore(inspect.keys.ids(), a.jobId)).toBe("0");
      await inspect.redis.del(inspect.keys.meta(a.jobId));
      expect(await all({ idPrefix: a.jobId })).toEqual([b.jobId]);
      expect(await inspect.redis.zscore(inspect.keys.ids(), a.jobId)).toBeNull();
    });
  });
}
