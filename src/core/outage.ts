/**
 * Failures that only mean "the store or bus cannot be reached right now": waiting fixes
 * them, so they must cost a job time, never one of its attempts (DESIGN.md invariants).
 */
import { CortexError, ErrorCode } from "./errors.js";

const OUTAGE_CODES: ReadonlySet<string> = new Set<string>([
  ErrorCode.StoreUnavailable,
  // SQLITE_BUSY/SQLITE_LOCKED map here: the embedded database is locked for a while.
  ErrorCode.StoreLocked,
  ErrorCode.BusUnavailable,
  ErrorCode.BusTimeout,
]);

/** True when `err`, or an error in its cause chain, is a CortexError with an outage code. */
export function isOutage(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof CortexError && OUTAGE_CODES.has(e.code)) return true;
  }
  return false;
}
