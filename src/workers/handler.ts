/**
 * What a worker kind plugs into the runtime: a function from one job to its result
 * document. The runtime owns everything else (acks, attempts, timeouts, results).
 */
import type { ProgressFn } from "./progress.js";

/** One attempt of a job, as a handler sees it. */
export interface JobInput {
  jobId: string;
  traceId: string;
  topic: string;
  /** 1-based attempt number (the store's attempts after this worker took the job). */
  attempt: number;
  /** The JSON context stored at ctx:<id>. */
  context: Record<string, unknown>;
  envVars: Record<string, string>;
  tenant: string;
  /** The worker running this attempt (the `processed_by` of result documents). */
  workerId: string;
  /**
   * Streams progress to watchers (`cortex submit … --wait`, `cortex watch`): tokens by
   * default, or another kind such as "progress". Batched and fire-and-forget; calls after
   * the attempt ended are ignored.
   */
  progress: ProgressFn;
}

/**
 * Resolves with the JSON-serialisable result document stored at res:<id>; throwing
 * fails the attempt (status FAILED). `signal` aborts on cancel, timeout or drain, and a
 * handler that does long work should pass it on (timers, fetch, LLM calls).
 */
export type JobHandler = (job: JobInput, signal: AbortSignal) => Promise<unknown>;
