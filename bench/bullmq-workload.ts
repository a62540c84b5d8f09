/** The same workload on BullMQ: add a no-op job, wait until finished, W in flight, a worker of concurrency W. */
import { Queue, QueueEvents, Worker } from "bullmq";
import { figures, runClosedLoop, type WorkloadFigures } from "./stats.js";

export async function runBullmqWorkload(
  redisUrl: string,
  n: number,
  w: number,
  payload: string,
  round: number,
): Promise<WorkloadFigures> {
  const u = new URL(redisUrl);
  const connection = { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
  const name = `bench-${process.pid}-${round}`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  const worker = new Worker(name, async (job) => ({ job_id: job.id, received: job.data }), {
    connection,
    concurrency: w,
  });
  // BullMQ adds a "closing" listener per add() in flight: W of them is expected, not a leak.
  queue.setMaxListeners(w + 10);
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
  try {
    const { latencies, wallMs } = await runClosedLoop(n, w, async () => {
      // Completed jobs are kept for a while: removing them at once races waitUntilFinished's check.
      const job = await queue.add("echo", { payload }, { removeOnComplete: 5000, removeOnFail: 5000 });
      await job.waitUntilFinished(events, 60_000);
    });
    return figures(latencies, wallMs);
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
