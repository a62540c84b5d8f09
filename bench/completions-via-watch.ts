/**
 * Completions for a v1-style unary client that cannot reach the bus (the embedded backend
 * has no NATS to subscribe to): one gateway WatchEvents stream for the round, filtered to
 * the echo topic's terminal states.
 */
import type { GatewayClient } from "../src/client/gateway-client.js";
import { CortexError, ErrorCode } from "../src/core/errors.js";
import { JobState, TERMINAL_STATES } from "../src/core/states.js";
import { type CompletionSource, CompletionWaiter } from "./completion-waiter.js";

export const WATCH_COMPLETIONS_VIA = "WatchEvents (one gRPC stream per round, terminal states)";

export async function openWatchCompletions(client: GatewayClient, topic: string): Promise<CompletionSource> {
  const via = WATCH_COMPLETIONS_VIA;
  const waiter = new CompletionWaiter(via);
  const stream = client.watchEvents({ topics: [topic], states: [...TERMINAL_STATES] });
  let closing = false;
  const consume = async () => {
    try {
      for await (const ev of stream) {
        if (ev.to === "") continue;
        waiter.settle(ev.jobId, { ok: ev.to === JobState.Succeeded, detail: `${ev.to}: ${ev.reason}` });
      }
      if (!closing)
        waiter.failAll(new CortexError(ErrorCode.Internal, "the gateway ended the WatchEvents stream"));
    } catch (err) {
      waiter.failAll(err instanceof Error ? err : new CortexError(ErrorCode.Internal, String(err)));
    }
  };
  const consuming = consume();
  // Registered before the first job is submitted, so no terminal event is missed.
  await stream.ready;
  return {
    via,
    wait: (jobId) => waiter.wait(jobId),
    endRun: () => waiter.forgetEarly(),
    async close() {
      closing = true;
      stream.cancel();
      await consuming;
    },
  };
}
