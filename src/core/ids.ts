/** Job and trace identifiers. randomUUID is CSPRNG-backed and does no I/O. */
import { randomUUID } from "node:crypto";

/** New job id: a lowercase RFC 4122 v4 UUID. */
export function newJobId(): string {
  return randomUUID();
}

/**
 * New trace id: 32 lowercase hex digits, the W3C trace-context format, so a trace id
 * can be handed to tracing tools as is.
 */
export function newTraceId(): string {
  return randomUUID().replaceAll("-", "");
}

/**
 * Job ids end up inside store keys (`job:result:<id>:<attempt>`) and bus headers, so
 * ":" "." whitespace and wildcards are excluded. Ids from CortexOS v1 senders are not
 * always UUIDs, hence a charset rather than a UUID check.
 */
const JOB_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function isValidJobId(id: string): boolean {
  return JOB_ID_RE.test(id);
}

const TRACE_ID_RE = /^[0-9a-f]{32}$/;

/** W3C trace id: 32 lowercase hex digits, not all zero. */
export function isValidTraceId(id: string): boolean {
  return TRACE_ID_RE.test(id) && !/^0+$/.test(id);
}
