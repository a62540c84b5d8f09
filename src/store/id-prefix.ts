/**
 * Id-prefix lookups (short ids): a prefix is the range [prefix, upper) of ids in bytewise
 * order, which both stores can walk on an ordered key (SQLite's primary key, a Redis
 * lexicographic sorted set) without scanning every job.
 */
import { CortexError, ErrorCode } from "../core/errors.js";

/** Job ids are ASCII (core/ids.ts, plus "~" of tenant ids), so one more code unit bounds the range. */
export function idPrefixUpperBound(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}`;
}

/** Prefix pages are ordered by id; their cursor's member is the last id returned. */
export const ID_PREFIX_CURSOR_SCORE = "0";

export function requireAsciiPrefix(prefix: string): void {
  if (!/^[\x21-\x7e]+$/.test(prefix)) {
    throw new CortexError(ErrorCode.InvalidArgument, `id prefix "${prefix}" holds characters no job id has`, {
      hint: "Job ids use letters, digits, '-' and '_'; pass the start of one.",
    });
  }
}
