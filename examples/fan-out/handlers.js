// A worker that fans a list out into child jobs (linked by parent_job_id) and aggregates
// their results: `cortex submit job.fanout --context '{"items": ["a", "b", "c"]}' --wait`.
// The parts run in a pool of their own, so a parent waiting on them never holds the slot
// a part needs. Once the package exports land this import is `cortex/worker`.
import { defineWorker, NonRetryableError } from "../../dist/sdk/index.js";

const fanOut = defineWorker({
  pool: "fan-out",
  topics: {
    "job.fanout": async (input, ctx) => {
      const items = input?.items;
      if (!Array.isArray(items) || items.length === 0 || items.length > 50)
        throw new NonRetryableError('give the job a context like {"items": ["a", "b"]} (1 to 50 items)');
      const children = await Promise.all(
        items.map((item) => ctx.submit({ topic: "job.fanout.part", context: { item: String(item) } })),
      );
      ctx.progress(`submitted ${children.length} parts\n`);
      const ended = await Promise.all(children.map((c) => ctx.wait(c.jobId, { timeoutMs: 60_000 })));
      const failed = ended.filter((e) => e.state !== "SUCCEEDED");
      if (failed.length > 0) throw new Error(`${failed.length} of ${ended.length} parts did not succeed`);
      return {
        count: ended.length,
        parts: ended.map((e) => e.result.part),
        children: ended.map((e) => e.jobId),
      };
    },
  },
});

const part = defineWorker({
  pool: "fan-out-part",
  concurrency: 8,
  topics: {
    "job.fanout.part": (input, ctx) => ({ part: String(input.item).toUpperCase(), attempt: ctx.attempt }),
  },
});

export default [fanOut, part];
