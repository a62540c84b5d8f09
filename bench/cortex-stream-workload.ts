/** The cortex stream client: submit and wait for the outcome over one SubmitAndWatchMany stream. */
import { submitAndWait } from "../src/client/submit-and-wait.js";
import { CortexError, ErrorCode } from "../src/core/errors.js";
import type { CortexDaemon } from "./cortex-daemon.js";
import { figures, runClosedLoop } from "./stats.js";
import type { Workload } from "./workload.js";

export function openStreamWorkload(daemon: CortexDaemon, w: number, payload: string): Workload {
  const contextJson = JSON.stringify({ payload });
  // One shared stream, as a busy service would submit; like BullMQ's waitUntilFinished,
  // each job waits for its outcome only (terminal_only).
  const many = daemon.client.submitMany();
  return {
    async run(n) {
      const { latencies, wallMs } = await runClosedLoop(n, w, async () => {
        const done = await submitAndWait(
          daemon.client,
          { topic: "job.echo", contextJson, terminalOnly: true },
          { timeoutMs: 60_000, many },
        );
        if (done.job.state !== "SUCCEEDED")
          throw new CortexError(
            ErrorCode.Internal,
            `job ${done.job.jobId} ended ${done.job.state}: ${done.job.reason}`,
          );
      });
      return figures(latencies, wallMs);
    },
    async close() {
      many.close();
    },
  };
}
