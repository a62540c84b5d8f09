/** W3C Trace Context `traceparent` (version 00): https://www.w3.org/TR/trace-context/#traceparent-header */

export interface TraceparentContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote: true;
}

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The span context a traceparent names; undefined when it is missing or malformed. */
export function parseTraceparent(value: string | undefined): TraceparentContext | undefined {
  const m = TRACEPARENT_RE.exec(value?.trim() ?? "");
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // ff is forbidden; version 00 has nothing after the flags (later versions may).
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (!traceId || !spanId || !flags || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
}

export function formatTraceparent(sc: { traceId: string; spanId: string; traceFlags: number }): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/** Request metadata (gRPC) and header (HTTP) names that carry it. */
export const TRACEPARENT_HEADER = "traceparent";
