/**
 * SubmitJob that survives a lost answer. The job and trace ids are made here, so a retry of
 * an UNAVAILABLE or DEADLINE_EXCEEDED submit names the same job: the gateway answers a
 * resubmit with the job the first call made (or re-admits one it could not queue), so a
 * retry never runs a job twice or loses it.
 */
import { status } from "@grpc/grpc-js";
import { backoffDelay } from "../core/backoff.js";
import { newJobId, newTraceId } from "../core/ids.js";
import type { SubmitJobResponse } from "../gen/cortex/v1/api.js";
import type { SubmitJobInput } from "./gateway-types.js";
import { isServiceError } from "./grpc-error.js";

export interface SubmitRetryOptions {
  /** Calls in all, the first included. Default 4. */
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const DEFAULTS = { attempts: 4, baseMs: 200, maxMs: 2_000 };

/** The gateway may or may not have acted: the same request again is safe and may succeed. */
export function isRetryableSubmitError(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  const e = isServiceError(err) ? err : isServiceError(cause) ? cause : undefined;
  return e !== undefined && (e.code === status.UNAVAILABLE || e.code === status.DEADLINE_EXCEEDED);
}

/** Fills in the ids a retry needs to name the same job. */
export function withClientIds(req: SubmitJobInput): SubmitJobInput {
  return { ...req, jobId: req.jobId || newJobId(), traceId: req.traceId || newTraceId() };
}

export async function submitWithRetry(
  /** `attempt`: 1 for the first call, then 2, 3, … for its retries. */
  submit: (req: SubmitJobInput, attempt: number) => Promise<SubmitJobResponse>,
  req: SubmitJobInput,
  opts: SubmitRetryOptions = {},
): Promise<SubmitJobResponse> {
  const attempts = Math.max(1, opts.attempts ?? DEFAULTS.attempts);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const backoff = {
    baseMs: opts.baseMs ?? DEFAULTS.baseMs,
    maxMs: opts.maxMs ?? DEFAULTS.maxMs,
    ...(opts.random ? { random: opts.random } : {}),
  };
  const named = withClientIds(req);
  for (let n = 1; ; n++) {
    try {
      return await submit(named, n);
    } catch (err) {
      if (n >= attempts || !isRetryableSubmitError(err)) throw err;
      await sleep(backoffDelay(n, backoff));
    }
  }
}
