/**
 * Exponential backoff with "full jitter" (a uniform delay in [0, ceiling)), which spreads
 * retries of many clients that failed together instead of having them retry in lockstep.
 */
import { CortexError, ErrorCode } from "./errors.js";

export interface BackoffOptions {
  /** Ceiling of the first retry's delay, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. */
  maxMs: number;
  /** Source of uniform numbers in [0, 1); inject one to make delays deterministic. */
  random?: () => number;
}

function checkMs(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new CortexError(
      ErrorCode.InvalidArgument,
      `backoff ${name} must be a finite number >= 0, got ${value}`,
      {
        hint: `Set ${name} to a non-negative number of milliseconds.`,
        details: { field: name, value },
      },
    );
  }
}

/** The largest delay `attempt` may wait: min(maxMs, baseMs * 2^(attempt-1)). */
export function backoffCeiling(attempt: number, opts: Pick<BackoffOptions, "baseMs" | "maxMs">): number {
  checkMs("baseMs", opts.baseMs);
  checkMs("maxMs", opts.maxMs);
  // attempt 1 is the first retry; anything lower (or NaN) is treated as the first retry
  const n = Number.isFinite(attempt) && attempt > 1 ? Math.floor(attempt) : 1;
  // 2 ** n overflows to Infinity for large n, and min() then yields the cap
  return Math.min(opts.maxMs, opts.baseMs * 2 ** (n - 1));
}

/** Delay in whole ms before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const ceiling = backoffCeiling(attempt, opts);
  const r = (opts.random ?? Math.random)();
  // clamp a misbehaving source so the result always stays within [0, ceiling]
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}
