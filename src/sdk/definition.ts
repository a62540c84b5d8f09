/**
 * What a user writes: `defineWorker({ pool, concurrency, topics })`. Checked here, when the
 * module is loaded, so a typo stops `cortex up` / `cortex worker start` instead of idling.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { isValidTopic } from "../core/subjects.js";
import type { LlmClient } from "../llm/types.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

export interface WorkerLog {
  info(msg: string, data?: object): void;
  warn(msg: string, data?: object): void;
  error(msg: string, data?: object): void;
  debug(msg: string, data?: object): void;
}

export interface ChildJobRequest {
  topic: string;
  context?: Record<string, unknown>;
  /** Default `<parent id>-c-<n>` (n counts this attempt's submits), so a redelivered parent reuses its children. */
  jobId?: string;
}

/** A child job once it ended (or `state` as it was when `timeoutMs` passed). */
export interface ChildJobOutcome {
  jobId: string;
  state: string;
  result: unknown;
}

export interface WorkerContext {
  jobId: string;
  traceId: string;
  tenant: string;
  /** 1-based. */
  attempt: number;
  topic: string;
  /** This worker's id (heartbeats, `processed_by`). */
  workerId: string;
  /** Aborts on cancel, timeout or drain: pass it to timers, fetch and LLM calls. */
  signal: AbortSignal;
  /** Streams text to `submit --wait`, `cortex watch` and the WebSocket, like LLM tokens. */
  progress(text: string): void;
  /** A child job linked to this one (parent_job_id), admitted like any job. */
  submit(req: ChildJobRequest): Promise<{ jobId: string }>;
  /** Waits for a child (or any job) to end; aborts with `signal`. */
  wait(jobId: string, opts?: { timeoutMs?: number }): Promise<ChildJobOutcome>;
  /** cortex's Ollama client (OLLAMA_URL, OLLAMA_MODEL), built on first use. */
  readonly llm: LlmClient;
  log: WorkerLog;
}

export type TopicHandler = (input: unknown, ctx: WorkerContext) => unknown | Promise<unknown>;

export interface TopicDefinition {
  handler: TopicHandler;
  /** A failed validation fails the job (not retried) without running the handler. */
  input?: StandardSchemaV1;
  output?: StandardSchemaV1;
  /** A context `input` accepts: a job whose context fails it is told to look like this. */
  example?: Record<string, unknown>;
}

export interface WorkerDefinitionInput {
  /** Must be the pool pools.yaml routes each of `topics` to. */
  pool: string;
  /** Jobs run at once by one worker. Default 4. */
  concurrency?: number;
  topics: Record<string, TopicHandler | TopicDefinition>;
}

const BRAND = Symbol.for("cortex.worker.definition");

export interface WorkerDefinition {
  readonly pool: string;
  readonly concurrency: number;
  readonly topics: Readonly<Record<string, TopicDefinition>>;
  readonly [BRAND]: true;
}

export const DEFAULT_WORKER_CONCURRENCY = 4;
const POOL_NAME = /^[A-Za-z0-9_-]+$/;

function invalid(message: string, hint: string): CortexError {
  return new CortexError(ErrorCode.InvalidArgument, `defineWorker: ${message}`, { hint });
}

export function defineWorker(def: WorkerDefinitionInput): WorkerDefinition {
  if (typeof def !== "object" || def === null) throw invalid("expected an object", "Pass { pool, topics }.");
  if (typeof def.pool !== "string" || !POOL_NAME.test(def.pool))
    throw invalid(`pool ${JSON.stringify(def.pool)} is not a pool name`, "Use letters, digits, _ and -.");
  const concurrency = def.concurrency ?? DEFAULT_WORKER_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw invalid(`concurrency ${String(def.concurrency)} is not a positive integer`, "Use 1 or more.");
  const entries = Object.entries(def.topics ?? {});
  if (entries.length === 0)
    throw invalid(`pool ${def.pool} has no topics`, 'Add topics: { "job.x": handler }.');
  const topics: Record<string, TopicDefinition> = {};
  for (const [topic, value] of entries) {
    if (!isValidTopic(topic))
      throw invalid(`"${topic}" is not a topic`, "Use dot-separated tokens such as job.summarize.");
    const t = typeof value === "function" ? { handler: value } : value;
    if (typeof t?.handler !== "function")
      throw invalid(`topic ${topic} has no handler function`, "Give a function or { handler }.");
    for (const key of ["input", "output"] as const) {
      if (t[key] !== undefined && typeof t[key]?.["~standard"]?.validate !== "function")
        throw invalid(
          `topic ${topic}: ${key} is not a standard schema`,
          "Pass a zod 4 (or other standard-schema) schema.",
        );
    }
    if (t.example !== undefined && (typeof t.example !== "object" || t.example === null))
      throw invalid(`topic ${topic}: example is not an object`, "Give a context the input schema accepts.");
    topics[topic] = t;
  }
  return Object.freeze({ pool: def.pool, concurrency, topics, [BRAND]: true as const });
}

export function isWorkerDefinition(value: unknown): value is WorkerDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
