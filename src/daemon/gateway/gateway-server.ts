import { randomUUID } from "node:crypto";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Bus, Subscription } from "../../bus/bus.js";
import { NO_RETRY_TIMEOUTS } from "../../config/index.js";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { parseEventPayload } from "../../core/job-event.js";
import { Subjects } from "../../core/subjects.js";
import { type HeldFacts, waitingReason } from "../../core/waiting-reason.js";
import {
  HEARTBEAT_INTERVAL_MS,
  MISSED_BEATS_BEFORE_FORGET,
  WorkerRegistry,
} from "../../core/worker-registry.js";
import { CortexApiService } from "../../gen/cortex/v1/api.js";
import { JobLifecycle } from "../../jobs/index.js";
import type { Component, ComponentInfo } from "../component.js";
import { GatewayMetrics } from "../metrics/gateway-metrics.js";
import { type ApiContext, createApiService, getStatus } from "./api-service.js";
import { ApiKeys } from "./auth.js";
import { DEFAULT_WATCH_BUFFER, EventHub } from "./event-watch.js";
import {
  GATEWAY_DEFAULTS,
  type GatewayConfig,
  type GatewayOptions,
  type GatewayPorts,
} from "./gateway-options.js";
import { type HttpApi, startHttpApi } from "./http/server.js";
import { progressToEvent } from "./job-info.js";
import { hostPort, portInUse, readVersion } from "./listen.js";
import { addReflection } from "./reflection.js";
import { SENDER_ID } from "./submit-job.js";
import { WorkerPresence } from "./worker-presence.js";

export {
  GATEWAY_DEFAULTS,
  type GatewayConfig,
  type GatewayOptions,
  type GatewayPorts,
} from "./gateway-options.js";

const decoder = new TextDecoder();

export class GatewayServer implements Component {
  readonly name = "gateway";
  readonly registry: WorkerRegistry;
  private readonly hub = new EventHub();
  private readonly streams = new Set<{ end(): void }>();
  private readonly cfg: Required<
    Omit<GatewayConfig, "apiKey" | "apiKeys" | "httpHost" | "version" | "instanceId">
  > & {
    httpHost: string;
  };
  private readonly keys: ApiKeys;
  private readonly metrics: GatewayMetrics | undefined;
  private readonly presence: WorkerPresence;
  private grpc: Server | undefined;
  private http: HttpApi | undefined;
  /** Set by startGrpc; GET /api/v1/status answers from the same context as GetStatus. */
  private apiCtx: ApiContext | undefined;
  private subs: Subscription[] = [];
  private bound: GatewayPorts | undefined;
  private startedAtMs = 0;
  private badEvents = 0;
  private readonly jobs: JobLifecycle;
  private readonly instanceId: string;

  constructor(private readonly opts: GatewayOptions) {
    const c = opts.config ?? {};
    const grpcHost = c.grpcHost ?? GATEWAY_DEFAULTS.grpcHost;
    this.cfg = {
      grpcHost,
      grpcPort: c.grpcPort ?? GATEWAY_DEFAULTS.grpcPort,
      httpHost: c.httpHost ?? grpcHost,
      httpPort: c.httpPort ?? GATEWAY_DEFAULTS.httpPort,
      maxContextBytes: c.maxContextBytes ?? GATEWAY_DEFAULTS.maxContextBytes,
      defaultTenant: c.defaultTenant ?? GATEWAY_DEFAULTS.defaultTenant,
      poolTopics: c.poolTopics ?? {},
      watchBufferSize: c.watchBufferSize ?? DEFAULT_WATCH_BUFFER,
      heartbeatIntervalMs: c.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
      missedBeats: c.missedBeats ?? MISSED_BEATS_BEFORE_FORGET,
      redisUrl: c.redisUrl ?? "",
      backend: c.backend ?? "nats",
      dataPath: c.dataPath ?? "",
      shutdownGraceMs: c.shutdownGraceMs ?? GATEWAY_DEFAULTS.shutdownGraceMs,
    };
    this.registry = new WorkerRegistry({
      heartbeatIntervalMs: this.cfg.heartbeatIntervalMs,
      missedBeats: this.cfg.missedBeats,
      ...(opts.now ? { now: opts.now } : {}),
    });
    this.instanceId = c.instanceId ?? randomUUID();
    this.keys = new ApiKeys({ apiKey: c.apiKey, keys: c.apiKeys });
    this.jobs =
      opts.jobs ??
      new JobLifecycle({
        bus: opts.bus,
        store: opts.store,
        logger: opts.logger,
        pools: { topics: this.cfg.poolTopics },
        // Without its own lifecycle the gateway only defers admission: nothing reads these.
        timeouts: NO_RETRY_TIMEOUTS,
        senderId: SENDER_ID,
      });
    this.presence = new WorkerPresence({
      registry: this.registry,
      store: opts.store,
      hub: this.hub,
      logger: opts.logger,
      pruneIntervalMs: this.cfg.heartbeatIntervalMs,
      silenceMs: this.cfg.heartbeatIntervalMs * this.cfg.missedBeats,
    });
    this.metrics = opts.metrics
      ? new GatewayMetrics(opts.metrics, {
          watchers: () => ({ grpc: this.streams.size, websocket: this.http?.streams() ?? 0 }),
          liveWorkersByPool: () => {
            const counts = new Map<string, number>();
            for (const { heartbeat } of this.registry.live())
              counts.set(heartbeat.pool, (counts.get(heartbeat.pool) ?? 0) + 1);
            return counts;
          },
          storeDecodeFailures: () => opts.store.stats?.().decodeFailures ?? 0,
        })
      : undefined;
  }

  /** Bound ports; throws before start(). */
  ports(): GatewayPorts {
    if (this.bound === undefined) throw new CortexError(ErrorCode.Internal, "gateway is not started");
    return this.bound;
  }

  /** Open watches (gRPC + WebSocket), live workers, ignored event payloads and stream buffers (metrics, tests). */
  stats(): {
    watchers: number;
    liveWorkers: number;
    malformedEvents: number;
    eventsPublished: number;
    websocketStreams: number;
    maxWatchQueue: number;
    maxSocketBufferedBytes: number;
  } {
    return {
      watchers: this.hub.size(),
      liveWorkers: this.registry.live().length,
      malformedEvents: this.badEvents,
      eventsPublished: this.hub.published,
      websocketStreams: this.http?.streams() ?? 0,
      maxWatchQueue: this.hub.maxQueued(),
      maxSocketBufferedBytes: this.http?.maxBufferedBytes() ?? 0,
    };
  }

  address(): string {
    return hostPort(this.cfg.grpcHost, this.bound?.grpc ?? this.cfg.grpcPort);
  }

  async start(): Promise<void> {
    if (this.grpc !== undefined) return;
    const { bus, store, logger } = this.opts;
    this.startedAtMs = Date.now();
    try {
      await this.subscribe(bus, logger);
      const grpcPort = await this.startGrpc();
      this.http = await startHttpApi(
        {
          bus,
          store,
          logger,
          jobs: this.jobs,
          liveTopic: this.liveTopic,
          waitingFor: this.waitingFor,
          limits: this.limits(),
          keys: this.keys,
          hub: this.hub,
          registry: this.registry,
          poolTopics: this.cfg.poolTopics,
          watchBufferSize: this.cfg.watchBufferSize,
          metrics: this.metrics,
          policySource: this.opts.policySource,
          ...(this.opts.llmHealth ? { llmHealth: this.opts.llmHealth } : {}),
          status: () => {
            if (this.apiCtx === undefined)
              throw new CortexError(ErrorCode.Internal, "status asked before the gRPC API started", {
                hint: "Retry once the gateway has started.",
              });
            return getStatus(this.apiCtx);
          },
        },
        this.cfg.httpHost,
        this.cfg.httpPort,
      ).catch((err: unknown) => {
        throw portInUse("HTTP", hostPort(this.cfg.httpHost, this.cfg.httpPort), "CORTEX_HTTP_PORT", err);
      });
      this.bound = { grpc: grpcPort, http: this.http.port };
      this.presence.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
    logger.info(
      {
        grpc: this.address(),
        http: hostPort(this.cfg.httpHost, this.bound.http),
        apiKeys: this.keys.enabled ? this.keys.size : "off",
      },
      "gateway listening (gRPC CortexApi; HTTP /api/v1, /api/v1/stream, /health, /ready)",
    );
  }

  async stop(): Promise<void> {
    const grpc = this.grpc;
    const http = this.http;
    this.grpc = undefined;
    this.http = undefined;
    this.bound = undefined;
    this.presence.stop();
    // Watch streams never end on their own; end them so tryShutdown can complete.
    this.hub.closeAll();
    for (const s of this.streams) s.end();
    this.streams.clear();
    const subs = this.subs;
    this.subs = [];
    if (!this.opts.jobs) await this.jobs.drain();
    await Promise.allSettled([
      ...subs.map((s) => s.unsubscribe()),
      grpc ? this.shutdownGrpc(grpc) : undefined,
      http?.close(),
    ]);
  }

  private async subscribe(bus: Bus, logger: Logger): Promise<void> {
    const local = this.jobs.feed.onEvents((events) => {
      for (const ev of events) this.hub.publish(ev);
    });
    this.subs.push({ unsubscribe: async () => void local() });
    this.subs.push(
      await bus.subscribe(Subjects.heartbeatAll, (packet, subject) => this.presence.observe(packet, subject)),
    );
    // Progress (LLM tokens, step updates) is streamed to watchers, never stored per token.
    this.subs.push(
      await bus.subscribe(Subjects.jobProgress, (packet) => {
        if (packet.payload?.$case !== "jobProgress") return;
        this.hub.publish(progressToEvent(packet.payload.jobProgress, packet.traceId));
      }),
    );
    this.subs.push(
      await bus.subscribeRaw(Subjects.jobEvent, (data) => {
        // This process's own events came straight from the feed (below).
        const own = this.jobs.feed.origin;
        const { events, rejected } = parseEventPayload(decoder.decode(data), Date.now(), own);
        for (const ev of events) this.hub.publish(ev);
        if (rejected > 0) {
          const before = this.badEvents;
          this.badEvents += rejected;
          if (Math.floor(before / 100) !== Math.floor(this.badEvents / 100) || before === 0)
            logger.warn({ count: this.badEvents }, `ignoring malformed payloads on ${Subjects.jobEvent}`);
        }
      }),
    );
  }

  private async startGrpc(): Promise<number> {
    const { bus, store, logger } = this.opts;
    // Room for the largest accepted submit plus framing, so oversized input gets our
    // INVALID_ARGUMENT naming the limit rather than a transport-level RESOURCE_EXHAUSTED.
    const maxReceive = Math.max(4 * 1024 * 1024, 2 * this.cfg.maxContextBytes + 1024 * 1024);
    const server = new Server({ "grpc.max_receive_message_length": maxReceive });
    const ctx: ApiContext = {
      bus,
      store,
      logger,
      jobs: this.jobs,
      liveTopic: this.liveTopic,
      waitingFor: this.waitingFor,
      limits: this.limits(),
      registry: this.registry,
      hub: this.hub,
      poolTopics: this.cfg.poolTopics,
      watchBufferSize: this.cfg.watchBufferSize,
      keys: this.keys,
      metrics: this.metrics,
      policySource: this.opts.policySource,
      statusProvider: this.opts.statusProvider ?? (() => [this.selfStatus()]),
      status: {
        version: this.opts.config?.version ?? readVersion(),
        pid: process.pid,
        startedAtMs: this.startedAtMs,
        redisUrl: this.cfg.redisUrl,
        backend: this.cfg.backend,
        dataPath: this.cfg.dataPath,
        instanceId: this.instanceId,
        httpAddress: () => (this.bound ? hostPort(this.cfg.httpHost, this.bound.http) : ""),
      },
      streams: this.streams,
    };
    server.addService(CortexApiService, createApiService(ctx));
    addReflection(server);
    this.grpc = server;
    this.apiCtx = ctx;
    const address = hostPort(this.cfg.grpcHost, this.cfg.grpcPort);
    return new Promise<number>((resolve, reject) => {
      server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(portInUse("gRPC", address, "CORTEX_GRPC_PORT", err));
        else resolve(port);
      });
    });
  }

  /** A worker of the topic's pool is live (its heartbeat is current): admission dispatches at once. */
  private readonly liveTopic = (topic: string): boolean => {
    const pool = Object.hasOwn(this.cfg.poolTopics, topic) ? this.cfg.poolTopics[topic] : undefined;
    return pool !== undefined && this.registry.hasLiveWorker(pool);
  };

  private readonly waitingFor = (state: string, topic: string, held?: HeldFacts): string => {
    const pool = Object.hasOwn(this.cfg.poolTopics, topic) ? this.cfg.poolTopics[topic] : undefined;
    const live = pool !== undefined && this.registry.hasLiveWorker(pool);
    return waitingReason({ state, topic, pool, live, backend: this.cfg.backend, held });
  };

  private limits(): ApiContext["limits"] {
    return { maxContextBytes: this.cfg.maxContextBytes, defaultTenant: this.cfg.defaultTenant };
  }

  private shutdownGrpc(server: Server): Promise<void> {
    return new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.cfg.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private selfStatus(): ComponentInfo {
    return {
      name: this.name,
      state: this.bound ? "running" : "stopped",
      address: this.address(),
      pid: process.pid,
      startedAtMs: this.startedAtMs,
      detail: "",
      metricsAddress: "",
    };
  }
}
