/**
 * What a worker kind plugs into the runtime: a function from one job to its result
 * document. The runtime owns everything else (acks, attempts, timeouts, results).
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Bus } from "../bus/bus.js";
import type { CortexEnv } from "../config/env.js";
import type { PoolsConfig, TimeoutsConfig } from "../config/index.js";
import type { JobLifecycle } from "../jobs/index.js";
import type { LlmClient } from "../llm/index.js";
import type { JobStore } from "../store/job-store.js";
import type { ProgressFn } from "./progress.js";

/** One attempt of a job, as a handler sees it. */
export interface JobInput {
  jobId: string;
  traceId: string;
  topic: string;
  /** 1-based attempt number (the store's attempts after this worker took the job). */
  attempt: number;
  /** The JSON context stored at ctx:<id>. */
  context: Record<string, unknown>;
  envVars: Record<string, string>;
  tenant: string;
  /** The worker running this attempt (the `processed_by` of result documents). */
  workerId: string;
  /**
   * Streams progress to watchers (`cortex submit … --wait`, `cortex watch`): tokens by
   * default, or another kind such as "progress". Batched and fire-and-forget; calls after
   * the attempt ended are ignored.
   */
  progress: ProgressFn;
}

/**
 * Resolves with the JSON-serialisable result document stored at res:<id>; throwing
 * fails the attempt (status FAILED). `signal` aborts on cancel, timeout or drain, and a
 * handler that does long work should pass it on (timers, fetch, LLM calls).
 */
export type JobHandler = (job: JobInput, signal: AbortSignal) => Promise<unknown>;

/** What a handler factory may use; later worker kinds add optional clients here. */
export interface HandlerDeps {
  workerId: string;
  logger: Logger;
  /** The validated environment (OLLAMA_URL, OLLAMA_MODEL, …); factories that need none ignore it. */
  env?: CortexEnv;
  /** An LLM client to use instead of one built from env (OLLAMA_URL, OLLAMA_MODEL). */
  llm?: LlmClient;
  /** The runtime's bus and store, for handlers that submit and follow other jobs (the orchestrator). */
  bus?: Bus;
  store?: JobStore;
  /** The process's job lifecycle (children are admitted through it). */
  jobs?: JobLifecycle;
  /** Routing and deadlines (pools.yaml, timeouts.yaml), for handlers that plan or run other jobs. */
  pools?: PoolsConfig;
  timeouts?: TimeoutsConfig;
  /** host:port of the safety kernel (workflow plans are checked before any step runs). */
  safetyAddress?: string;
  /** Where handler metrics go (the orchestrator's, served on CORTEX_ORCHESTRATOR_METRICS_PORT). */
  metrics?: Registry;
}

export type HandlerFactory = (deps: HandlerDeps) => JobHandler;
