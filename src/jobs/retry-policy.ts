/** Whether a failed attempt gets another one: decided here for every path that reports a failure. */
import { type TimeoutsConfig, timeoutFor } from "../config/index.js";
import { ErrorCode } from "../core/errors.js";
import { JobState } from "../core/states.js";

/** Failures that another attempt cannot fix: the input is wrong or gone, or the handler said so. */
const NOT_RETRYABLE: ReadonlySet<string> = new Set([
  ErrorCode.InvalidArgument,
  ErrorCode.NonRetryable,
  "CONTEXT_MISSING",
]);

/** Attempts a job of `topic` may have in all (max_retries + 1). */
export function maxAttempts(timeouts: TimeoutsConfig, topic: string): number {
  return timeoutFor(timeouts, topic).maxRetries + 1;
}

/**
 * FAILED and TIMEOUT attempts are retried while attempts are left, unless the error code
 * says another attempt cannot help.
 */
export function shouldRetry(
  timeouts: TimeoutsConfig,
  topic: string,
  to: JobState,
  attempt: number,
  errorCode?: string,
): boolean {
  if (to !== JobState.Failed && to !== JobState.Timeout) return false;
  if (errorCode !== undefined && NOT_RETRYABLE.has(errorCode)) return false;
  return attempt < maxAttempts(timeouts, topic);
}

export function retryReason(to: JobState, reason: string | undefined): string {
  return `retry after ${to}${reason === undefined ? "" : `: ${reason}`}`;
}
