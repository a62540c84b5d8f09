/**
 * NonRetryableError: thrown by a handler, it fails the job at once whatever the topic's
 * max_retries. Recognised by a registered symbol, not by class identity, so a handler module
 * that bundles its own copy of the SDK is still understood.
 */
const NON_RETRYABLE = Symbol.for("cortex.worker.nonRetryable");

export class NonRetryableError extends Error {
  override readonly name: string = "NonRetryableError";
  readonly [NON_RETRYABLE] = true;
}

export function isNonRetryableError(err: unknown): err is Error {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[NON_RETRYABLE] === true;
}
