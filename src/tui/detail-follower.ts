/**
 * The detail view's feed: the job's own WatchEvents stream (its history, then live tokens),
 * which the gateway ends after the terminal event, and GetJob for the record and result.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { GatewayClient } from "../client/gateway-client.js";
import { backoffCeiling } from "../core/backoff.js";
import { ErrorCode, isCortexError } from "../core/errors.js";
import type { JobEvent } from "../gen/cortex/v1/api.js";
import type { Action } from "./model/state.js";

export interface DetailFollowerDeps {
  jobId: string;
  /** Aborted when the view closes. */
  signal: AbortSignal;
  client: () => GatewayClient;
  dispatch: (action: Action) => void;
  /** Queues a stream event for the next flush. */
  onEvent: (ev: JobEvent) => void;
  /** Applies queued events now (before the final record). */
  flush: () => void;
  backoff: { baseMs: number; maxMs: number };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function followDetail(deps: DetailFollowerDeps): Promise<void> {
  const { jobId, signal, dispatch } = deps;
  const load = async () => {
    try {
      const response = await deps.client().getJob(jobId, {
        includeResult: true,
        includeContext: true,
        includeEvents: true,
      });
      if (!signal.aborted) dispatch({ type: "detailLoaded", jobId, response });
    } catch (err) {
      if (!signal.aborted) dispatch({ type: "detailFailed", jobId, error: message(err) });
    }
  };
  let failures = 0;
  while (!signal.aborted) {
    const stream = deps.client().watchEvents({ jobId, backfill: 1000, untilTerminal: true }, { signal });
    try {
      await stream.ready;
      if (signal.aborted) return;
      dispatch({ type: "detailStreaming", jobId, streaming: true });
      // Loaded once the watch is registered: nothing between the two is missed.
      await load();
      for await (const ev of stream) deps.onEvent(ev);
      if (signal.aborted) return;
      deps.flush();
      dispatch({ type: "detailStreaming", jobId, streaming: false });
      await load();
      return;
    } catch (err) {
      if (signal.aborted) return;
      dispatch({ type: "detailStreaming", jobId, streaming: false });
      if (isCortexError(err, ErrorCode.JobNotFound)) {
        dispatch({ type: "detailFailed", jobId, error: message(err) });
        return;
      }
      // Show what can be read meanwhile; the stream is retried while the view stays open.
      await load();
      failures += 1;
      await sleep(backoffCeiling(failures, deps.backoff), undefined, { signal }).catch(() => undefined);
    }
  }
}
