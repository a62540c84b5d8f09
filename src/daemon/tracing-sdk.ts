/**
 * The OpenTelemetry SDK for one process, loaded (import()) only when OTEL_EXPORTER_OTLP_ENDPOINT
 * is set. Spans go in batches to the OTLP HTTP endpoint; the exporter and the batch processor
 * read the standard OTEL_* variables (OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_SCHEDULE_DELAY, …).
 */
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { enableTracing } from "../core/tracing.js";

export interface Tracing {
  /** Sends the spans still queued, then stops. */
  shutdown(): Promise<void>;
}

/** Registers the global tracer provider (W3C propagation, async-local context) and turns the job spans on. */
export function startTracing(serviceName: string): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME || serviceName,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  enableTracing("cortex");
  return { shutdown: () => provider.shutdown() };
}
