/**
 * The gateway's Prometheus metrics (on the process's one /metrics, CORTEX_METRICS_PORT). Label
 * values come from small fixed sets: HTTP routes are templates (`/api/v1/jobs/:id`, or
 * "unmatched"), gRPC methods and codes are names, so no client can grow the series count.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

// API calls are store/bus round trips: milliseconds, seconds when something is slow.
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type WatchTransportName = "grpc" | "websocket";

export interface GatewayGauges {
  /** Open event streams per transport. */
  watchers(): Readonly<Record<WatchTransportName, number>>;
  /** Live workers per pool, from the gateway's heartbeat registry. */
  liveWorkersByPool(): ReadonlyMap<string, number>;
  /** Records the store skipped because they cannot be decoded (JobStore.stats); 0 when it does not count. */
  storeDecodeFailures(): number;
}

export class GatewayMetrics {
  private readonly httpRequests: Counter<"method" | "route" | "status">;
  private readonly httpDuration: Histogram<"method" | "route">;
  private readonly grpcRequests: Counter<"method" | "code">;
  private readonly grpcDuration: Histogram<"method">;
  private readonly dropped: Counter<"transport">;

  constructor(registry: Registry, gauges: GatewayGauges) {
    const registers = [registry];
    this.httpRequests = new Counter({
      name: "cortex_api_gateway_http_requests_total",
      help: "HTTP requests answered by the gateway, by method, route template and status code",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "cortex_api_gateway_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method and route template",
      labelNames: ["method", "route"],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.grpcRequests = new Counter({
      name: "cortex_api_gateway_grpc_requests_total",
      help: "gRPC calls answered by the gateway, by method and status code (streams count when they start)",
      labelNames: ["method", "code"],
      registers,
    });
    this.grpcDuration = new Histogram({
      name: "cortex_api_gateway_grpc_request_duration_seconds",
      help: "Time to answer a unary gRPC call, by method",
      labelNames: ["method"],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.dropped = new Counter({
      name: "cortex_api_gateway_watch_events_dropped_total",
      help: "Events not delivered to event-stream clients that fell behind, by transport",
      labelNames: ["transport"],
      registers,
    });
    new Gauge({
      name: "cortex_api_gateway_watch_streams",
      help: "Open event streams (WatchEvents and WebSocket), by transport",
      labelNames: ["transport"],
      registers,
      collect() {
        for (const [transport, n] of Object.entries(gauges.watchers())) this.set({ transport }, n);
      },
    });
    new Gauge({
      name: "cortex_api_gateway_live_workers",
      help: "Workers whose heartbeats are current, by pool, as the gateway sees them",
      labelNames: ["pool"],
      registers,
      collect() {
        this.reset();
        for (const [pool, n] of gauges.liveWorkersByPool()) this.set({ pool }, n);
      },
    });
    // The store counts; the counter catches up with it at each scrape.
    let seen = 0;
    new Counter({
      name: "cortex_store_decode_failures_total",
      help: "Job records and events the store skipped because they cannot be decoded (see the daemon log for ids)",
      registers,
      collect() {
        const total = gauges.storeDecodeFailures();
        if (total > seen) this.inc(total - seen);
        seen = Math.max(seen, total);
      },
    });
  }

  /** `seconds` is left out for WebSocket upgrades: a stream's lifetime is not a latency. */
  observeHttp(method: string, route: string, statusCode: number, seconds?: number): void {
    this.httpRequests.inc({ method, route, status: String(statusCode) });
    if (seconds !== undefined) this.httpDuration.observe({ method, route }, seconds);
  }

  /** `seconds` only for unary calls: a stream's lifetime is not a latency. */
  observeGrpc(method: string, code: GrpcStatus, seconds?: number): void {
    this.grpcRequests.inc({ method, code: GrpcStatus[code] ?? String(code) });
    if (seconds !== undefined) this.grpcDuration.observe({ method }, seconds);
  }

  droppedEvent(transport: WatchTransportName): void {
    this.dropped.inc({ transport });
  }
}
