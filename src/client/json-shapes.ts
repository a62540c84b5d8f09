/**
 * What every `cortex … --json` prints, in one place: snake_case keys, the HTTP API's shapes
 * where both show the same thing, unset fields omitted. Tests import these rather than
 * redeclare them, so a changed shape fails to compile where it is read.
 */
import type {
  ApprovalsPageJson,
  ComponentJson,
  DeadLettersPageJson,
  DecideApprovalJson,
  JobDetailJson,
  JobsPageJson,
  PoolJson,
  WorkerJson,
} from "../core/api-json.js";
import type { WorkerKindName } from "../core/worker-kinds.js";

export type {
  ApprovalInfoJson,
  ApprovalJson,
  ApprovalsPageJson,
  ComponentJson,
  DeadLetterJson,
  DeadLettersPageJson,
  JobDetailJson,
  JobEventJson,
  JobJson,
  JobsPageJson,
  Json,
  PoolJson,
  WorkerJson,
  WorkersJson,
} from "../core/api-json.js";

/** Every failure under `--json`, usage errors included (exit 2). */
export interface ErrorJson {
  error: { code: string; message: string; hint?: string };
}

/** `cortex jobs --json`: GET /api/v1/jobs. */
export type JobsResult = JobsPageJson;

/** `cortex job <id> --json`: GET /api/v1/jobs/{id}?include_context=true. */
export type JobResult = JobDetailJson;

/** `cortex submit … --json` (and its subcommands); state onwards only with --wait. */
export interface SubmitResult {
  job_id: string;
  trace_id: string;
  topic: string;
  state?: string;
  attempts?: number;
  reason?: string;
  worker_id?: string;
  result?: unknown;
}

export interface CancelResult {
  job_id: string;
  state: string;
  cancelled: boolean;
}

export type SmokeOutcome = "pass" | "fail" | "skip";

export interface SmokeResult {
  ok: boolean;
  checks: { name: string; topic: string; outcome: SmokeOutcome; detail: string; job_id?: string }[];
}

/** `cortex approvals --json`: GET /api/v1/approvals. */
export type ApprovalsResult = ApprovalsPageJson;

/** `cortex approve|reject <id> --json`: POST /api/v1/jobs/{id}/approve|reject. */
export type DecideResult = DecideApprovalJson;

export type DlqListResult = DeadLettersPageJson;

export interface DlqRetryResult {
  id: string;
  job_id: string;
  trace_id: string;
}

/** `cortex ps --json`: GetStatus beside GET /api/v1/workers' two lists. */
/** Every address a running stack listens on (`up --json`, `ps --json`). */
export interface EndpointsJson {
  /** host:port of the gRPC API (what the CLI talks to). */
  grpc: string;
  /** Base URL of the HTTP API and the WebSocket stream. */
  http?: string;
  /** Prometheus endpoints: scheduler, gateway, orchestrator (each when it runs). */
  metrics: { component: string; url: string }[];
}

export interface PsResult {
  pid: number;
  /** The web dashboard (http://host:port/ of the HTTP API). */
  dashboard_url?: string;
  endpoints: EndpointsJson;
  version: string;
  backend: string;
  /** The embedded store's SQLite file; absent on nats. */
  data_path?: string;
  nats: { url?: string; connected: boolean };
  redis: { url?: string; connected: boolean };
  /** GetStatus's components, with how long each has run (absent before it started). */
  components: (ComponentJson & { uptime_ms?: number })[];
  /** What `cortex up`'s supervisor saw (absent for a daemon started otherwise). */
  supervisor?: {
    pid: number;
    restarts: number;
    last_exit?: { code?: number; signal?: string; at_ms: number };
  };
  pools: PoolJson[];
  workers: WorkerJson[];
}

export interface UpResult {
  status: "started" | "already-running";
  backend: "embedded" | "nats";
  /** The embedded store's SQLite file; absent on nats. */
  data_path?: string;
  pid: number;
  gateway: string;
  home: string;
  servers: { kind: string; url: string; managed: boolean; pid?: number }[];
  components: { name: string; state: string; address?: string }[];
  /** The web dashboard (http://host:port/ of the HTTP API). */
  dashboard_url?: string;
  endpoints: EndpointsJson;
  /**
   * Settings of this shell that differ from those the running daemon was started with
   * (already-running only); `cortex up --restart` applies them.
   */
  changed_settings?: { name: string; running: string; here: string }[];
}

export interface DownResult {
  daemon: "stopped" | "killed" | "not-running";
  servers: { kind: string; pid: number; outcome: string }[];
}

export interface ConfigCheckResult {
  ok: true;
  paths: { pools: string; timeouts: string; safety: string };
  topics: number;
  rules: number;
  /** The backend `cortex up` would use here, and what chose it. */
  backend: { kind: "embedded" | "nats"; source: string; data_path?: string };
  /** Worker kinds whose topics pools.yaml routes to their pools (the kinds checked). */
  worker_kinds: WorkerKindName[];
  /** Keys in CORTEX_API_KEYS_FILE, when it is set (the keys themselves are never printed). */
  api_keys?: { path: string; keys: number };
  /** Handler modules (pools.yaml `workers:`, CORTEX_WORKER_MODULES), loaded and routed. */
  worker_modules?: { file: string; pool: string; topics: string[] }[];
}

/** `cortex pull-model --json`: NDJSON progress lines (Ollama's own fields), then this. */
export interface PullModelResult {
  status: "success";
  model: string;
}
