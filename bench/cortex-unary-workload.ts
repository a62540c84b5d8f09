/**
 * The cortex unary client, as a CortexOS v1 client works: one unary SubmitJob per job
 * (v1 fields only), then waiting for the job's completion from a CompletionSource
 * (sys.job.result on the nats backend, a WatchEvents stream on embedded).
 */
import { CortexError, ErrorCode } from "../src/core/errors.js";
import type { CompletionSource } from "./completion-waiter.js";
import type { CortexDaemon } from "./cortex-daemon.js";
import { figures, runClosedLoop } from "./stats.js";
import type { Workload } from "./workload.js";

export const ECHO_TOPIC = "job.echo";

/** The workload owns `completions` and closes it with itself. */
export function openUnaryWorkload(
  daemon: CortexDaemon,
  completions: CompletionSource,
  w: number,
  payload: string,
): Workload {
  return {
    async run(n) {
      const { latencies, wallMs } = await runClosedLoop(n, w, async () => {
        // The prompt becomes the job's context.
        const { jobId } = await daemon.client.submitJob({ topic: ECHO_TOPIC, prompt: payload });
        const done = await completions.wait(jobId);
        if (!done.ok) throw new CortexError(ErrorCode.Internal, `job ${jobId} ended ${done.detail}`);
      });
      completions.endRun();
      return figures(latencies, wallMs);
    },
    close: () => completions.close(),
  };
}
