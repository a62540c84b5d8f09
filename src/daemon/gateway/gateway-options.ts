/** What the gateway is built from: its config (ports, limits, keys) and the parts it is given. */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Bus } from "../../bus/bus.js";
import type { ApiKeyEntry } from "../../config/api-keys.js";
import type { JobLifecycle } from "../../jobs/index.js";
import type { LlmHealth } from "../../llm/index.js";
import type { JobStore } from "../../store/job-store.js";
import type { ComponentInfo } from "../component.js";
import type { PolicySource } from "./policy-queries.js";

export const GATEWAY_DEFAULTS = {
  grpcHost: "127.0.0.1",
  grpcPort: 8080,
  httpPort: 8081,
  maxContextBytes: 1024 * 1024,
  defaultTenant: "default",
  shutdownGraceMs: 2_000,
} as const;

export interface GatewayConfig {
  grpcHost?: string;
  /** 0 = any free port; read the bound one from ports() after start. */
  grpcPort?: number;
  /** Defaults to grpcHost. */
  httpHost?: string;
  httpPort?: number;
  /** Limit on prompt + context_json bytes per submit. */
  maxContextBytes?: number;
  defaultTenant?: string;
  /** `API_KEY`: when set, every call must carry a key (`x-api-key`); this one may act for any tenant. */
  apiKey?: string;
  /** Keys from CORTEX_API_KEYS_FILE, each optionally bound to a tenant. */
  apiKeys?: readonly ApiKeyEntry[];
  /** pools.yaml `topics` (topic -> pool), for ListWorkers' per-pool topics. */
  poolTopics?: Readonly<Record<string, string>>;
  /** Events queued per WatchEvents client before it starts losing them. */
  watchBufferSize?: number;
  heartbeatIntervalMs?: number;
  missedBeats?: number;
  /** Shown by GetStatus. */
  redisUrl?: string;
  /** Shown by GetStatus: "embedded" or "nats", and the embedded store's file. */
  backend?: string;
  dataPath?: string;
  /** Shown by GetStatus: who started this daemon (`cortex up` sets CORTEX_INSTANCE_ID); random otherwise. */
  instanceId?: string;
  version?: string;
  /** How long stop() lets calls finish before cutting them. */
  shutdownGraceMs?: number;
}

export interface GatewayOptions {
  bus: Bus;
  store: JobStore;
  logger: Logger;
  /**
   * The process's job lifecycle, which admits jobs inline (policy, route, dispatch). Without
   * one the gateway leaves every job PENDING on sys.job.submit for a scheduler to admit.
   */
  jobs?: JobLifecycle;
  config?: GatewayConfig;
  /** Component statuses for GetStatus; default: the gateway alone. */
  statusProvider?: () => ComponentInfo[] | Promise<ComponentInfo[]>;
  /** Clock for the worker registry (tests). */
  now?: () => number;
  /** Gateway metrics are registered here (the process's one /metrics, CORTEX_METRICS_PORT). */
  metrics?: Registry;
  /** The policy in force, for ExplainPolicy and GET /api/v1/policy (policy-queries.ts). */
  policySource?: PolicySource;
  /** Ollama's health and models (GET /api/v1/models). */
  llmHealth?: () => Promise<LlmHealth>;
}

export interface GatewayPorts {
  grpc: number;
  http: number;
}
