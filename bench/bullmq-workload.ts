/** The same workload on BullMQ: add a no-op job, wait until finished, W in flight, a worker of concurrency W. */
import { Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { figures, runClosedLoop } from "./stats.js";
import type { Workload } from "./workload.js";

/**
 * BullMQ 6 loads ioredis (now its peer dependency) with require() only when given plain
 * options; the bench hands it ioredis clients of its own, the documented way under ESM.
 * Queue and QueueEvents share one client and the worker has another; BullMQ duplicates
 * each for its blocking reads (XREAD, BZPOPMIN): four connections, as before.
 */
const newClient = (redisUrl: string) => new Redis(redisUrl, { maxRetriesPerRequest: null });

export async function openBullmqWorkload(
  redisUrl: string,
  w: number,
  payload: string,
  round: number,
): Promise<Workload> {
  const producer = newClient(redisUrl);
  const consumer = newClient(redisUrl);
  const name = `bench-${process.pid}-${round}`;
  const queue = new Queue(name, { connection: producer });
  const events = new QueueEvents(name, { connection: producer });
  const worker = new Worker(name, async (job) => ({ job_id: job.id, received: job.data }), {
    connection: consumer,
    concurrency: w,
  });
  // BullMQ adds a "closing" listener per waitUntilFinished() in flight: W of them is expected, not a leak.
  queue.setMaxListeners(w + 10);
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
  return {
    async run(n) {
      const { latencies, wallMs } = await runClosedLoop(n, w, async () => {
        // Completed jobs are kept for a while: removing them at once races waitUntilFinished's check.
        const job = await queue.add("echo", { payload }, { removeOnComplete: 5000, removeOnFail: 5000 });
        await job.waitUntilFinished(events, 60_000);
      });
      return figures(latencies, wallMs);
    },
    async close() {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      // BullMQ leaves clients it was given open.
      await Promise.all([producer.quit(), consumer.quit()]);
    },
  };
}
