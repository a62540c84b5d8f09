/**
 * Completions as a CortexOS v1 client sees them on the nats backend: the v1
 * BusPacket{job_result} on sys.job.result, through a plain core NATS subscription
 * (no JetStream, no gateway stream).
 */
import { connect, type Msg, type NatsConnection } from "nats";
import { Subjects } from "../src/core/subjects.js";
import { BusPacket, type JobResult, JobStatus } from "../src/gen/cortex/v1/bus.js";
import { type CompletionSource, CompletionWaiter } from "./completion-waiter.js";

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

export const BUS_COMPLETIONS_VIA = `${Subjects.jobResult} (NATS core subscription)`;

/** Subscribes for one round only, so the stream and BullMQ rounds carry no deliveries to it. */
export async function openBusCompletions(bus: NatsConnection): Promise<CompletionSource> {
  const via = BUS_COMPLETIONS_VIA;
  const waiter = new CompletionWaiter(via);
  const sub = bus.subscribe(Subjects.jobResult, {
    callback: (_err, msg) => {
      const r = jobResultOf(msg);
      if (r === undefined) return;
      const ok = r.status === JobStatus.JOB_STATUS_COMPLETED;
      waiter.settle(r.jobId, { ok, detail: `${JobStatus[r.status] ?? r.status}: ${r.errorMessage}` });
    },
  });
  // The SUB is on the server before the first job is submitted.
  await bus.flush();
  return {
    via,
    wait: (jobId) => waiter.wait(jobId),
    endRun: () => waiter.forgetEarly(),
    async close() {
      sub.unsubscribe();
      await bus.flush();
    },
  };
}
