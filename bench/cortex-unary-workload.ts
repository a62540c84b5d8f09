/**
 * The cortex unary client, as a CortexOS v1 client works: one unary SubmitJob per job, and
 * completion seen as the v1 BusPacket{job_result} on sys.job.result through a plain core
 * NATS subscription (no JetStream, no gateway stream).
 */
import { connect, type Msg, type NatsConnection } from "nats";
import { CortexError, ErrorCode } from "../src/core/errors.js";
import { Subjects } from "../src/core/subjects.js";
import { BusPacket, type JobResult, JobStatus } from "../src/gen/cortex/v1/bus.js";
import type { CortexDaemon } from "./cortex-daemon.js";
import { figures, runClosedLoop } from "./stats.js";
import type { Workload } from "./workload.js";

const WAIT_MS = 60_000;

/** The bench's own bus connection for v1 results, kept across rounds. */
export function connectResultBus(natsUrl: string): Promise<NatsConnection> {
  return connect({ servers: natsUrl, name: "cortex-bench-v1-client" });
}

function jobResultOf(msg: Msg): JobResult | undefined {
  try {
    const p = BusPacket.decode(msg.data).payload;
    return p?.$case === "jobResult" ? p.jobResult : undefined;
  } catch {
    // Not a BusPacket: not a result this client could read either.
    return undefined;
  }
}

/**
 * Subscribes for the round only, so the stream and BullMQ rounds carry no deliveries to it.
 * A result may arrive before SubmitJob answers: it is kept until its job_id is known.
 */
export async function openUnaryWorkload(
  daemon: CortexDaemon,
  bus: NatsConnection,
  w: number,
  payload: string,
): Promise<Workload> {
  const waiting = new Map<string, (r: JobResult) => void>();
  const early = new Map<string, JobResult>();
  const sub = bus.subscribe(Subjects.jobResult, {
    callback: (_err, msg) => {
      const r = jobResultOf(msg);
      if (r === undefined) return;
      const resolve = waiting.get(r.jobId);
      // The first result of a job wins, as in the scheduler.
      if (resolve) {
        waiting.delete(r.jobId);
        resolve(r);
      } else if (!early.has(r.jobId)) early.set(r.jobId, r);
    },
  });
  // The SUB is on the server before the first job is submitted.
  await bus.flush();

  const resultOf = (jobId: string): Promise<JobResult> => {
    const got = early.get(jobId);
    if (got) {
      early.delete(jobId);
      return Promise.resolve(got);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(jobId);
        reject(new CortexError(ErrorCode.WaitTimeout, `no JobResult for ${jobId} on ${Subjects.jobResult}`));
      }, WAIT_MS);
      waiting.set(jobId, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  };

  return {
    async run(n) {
      const { latencies, wallMs } = await runClosedLoop(n, w, async () => {
        // v1 SubmitJob fields only: the prompt becomes the job's context.
        const { jobId } = await daemon.client.submitJob({ topic: "job.echo", prompt: payload });
        const r = await resultOf(jobId);
        if (r.status !== JobStatus.JOB_STATUS_COMPLETED)
          throw new CortexError(
            ErrorCode.Internal,
            `job ${jobId} ended ${JobStatus[r.status] ?? r.status}: ${r.errorMessage}`,
          );
      });
      // Results of jobs other clients ran in the same moments are not ours.
      early.clear();
      return figures(latencies, wallMs);
    },
    async close() {
      sub.unsubscribe();
      await bus.flush();
    },
  };
}
