/**
 * Job spans through @opentelemetry/api only: the SDK is loaded by an entry point when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (daemon/tracing-sdk.ts), which turns these helpers on.
 * Off, every helper is one boolean check, so the job path pays nothing for tracing.
 * A job's trace id is the OpenTelemetry trace id; the span context crosses processes as a
 * W3C traceparent (BusPacket.traceparent, gRPC metadata, an HTTP header).
 */
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { formatTraceparent, parseTraceparent } from "./traceparent.js";

export type { Span };
export { SpanKind };

let tracer: Tracer | undefined;

/** Called by the entry point once the SDK is registered. */
export function enableTracing(name = "cortex"): void {
  tracer = trace.getTracer(name);
}

export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/**
 * Where a job's span hangs: the sender's span (traceparent), else the active span when it is
 * in the job's trace, else a remote parent in the job's trace (a v1 sender, a later pass).
 */
export function jobParent(traceId: string, traceparent = ""): Context {
  const given = parseTraceparent(traceparent);
  if (given && given.traceId === traceId) return trace.setSpanContext(context.active(), given);
  const active = trace.getSpanContext(context.active());
  if (active && active.traceId === traceId) return context.active();
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return context.active();
  // A span id derived from the trace id, so every such span of the trace shares one parent.
  const spanId = traceId.slice(16) === "0000000000000000" ? traceId.slice(0, 16) : traceId.slice(16);
  return trace.setSpanContext(context.active(), {
    traceId,
    spanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

export interface SpanOptions {
  parent?: Context;
  kind?: SpanKind;
  attributes?: Attributes;
}

/**
 * Runs `fn` inside a span that ends when it settles (an error is recorded on it). Off, `fn`
 * runs with no span and no context switch.
 */
export async function inSpan<T>(
  name: string,
  opts: SpanOptions,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (tracer === undefined) return fn(undefined);
  const parent = opts.parent ?? context.active();
  const span = tracer.startSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.attributes ? { attributes: opts.attributes } : {}) },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/** The traceparent of the active span, for a packet or a request; "" when none. */
export function activeTraceparent(): string {
  if (tracer === undefined) return "";
  const sc = trace.getSpanContext(context.active());
  return sc ? formatTraceparent(sc) : "";
}

/** The trace id of the active span (a new root's, when the caller started one); "" when none. */
export function activeTraceId(): string {
  if (tracer === undefined) return "";
  return trace.getSpanContext(context.active())?.traceId ?? "";
}

/** Adds attributes to the active span (none when tracing is off). */
export function annotate(attributes: Attributes): void {
  if (tracer === undefined) return;
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** Runs `fn` with the sender's span (a packet's traceparent) as the active one, when tracing is on. */
export function withSender<T>(traceId: string, traceparent: string, fn: () => Promise<T>): Promise<T> {
  if (tracer === undefined || traceparent === "") return fn();
  return context.with(jobParent(traceId, traceparent), fn);
}
