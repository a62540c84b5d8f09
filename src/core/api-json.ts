/**
 * API messages as JSON, one mapping for the HTTP API and every CLI `--json`: the proto
 * field names (job_id, created_at_ms, ...) as grpc-gateway writes them with UseProtoNames,
 * and, as proto3 JSON does, fields left unset omitted (empty strings, empty lists, zero
 * timestamps), so `"reason": ""` never reads as a reason. The list a listing answers
 * (jobs, letters, workers, pools) stays, empty or not, so callers need no default.
 */
import type {
  ApprovalInfo,
  ApprovalItem,
  ComponentStatus,
  DeadLetterInfo,
  DecideApprovalResponse,
  GetJobResponse,
  JobEvent,
  JobInfo,
  ListWorkersResponse,
  PoolInfo,
} from "../gen/cortex/v1/api.js";
import type { Heartbeat } from "../gen/cortex/v1/bus.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** "jobId" -> "job_id", at the type level. */
export type SnakeKey<S extends string> = S extends `${infer H}${infer T}`
  ? H extends Lowercase<H>
    ? `${H}${SnakeKey<T>}`
    : `_${Lowercase<H>}${SnakeKey<T>}`
  : S;

/** A ts-proto message as protoJson writes it: snake_case keys, every field optional (omitted when unset). */
export type ProtoJson<T> = T extends readonly (infer E)[]
  ? ProtoJson<E>[]
  : T extends bigint
    ? number
    : T extends object
      ? { [K in keyof T as K extends string ? SnakeKey<K> : never]?: ProtoJson<T[K]> }
      : T;

export type JobJson = ProtoJson<JobInfo>;
export type JobEventJson = ProtoJson<JobEvent>;
export type PoolJson = ProtoJson<PoolInfo>;
export type ComponentJson = ProtoJson<ComponentStatus>;
export type DeadLetterJson = ProtoJson<DeadLetterInfo>;
/** A worker of GET /api/v1/workers: its heartbeat's fields next to last_seen_ms. */
export type WorkerJson = ProtoJson<Heartbeat> & { last_seen_ms?: number };

/** GET /api/v1/jobs/{id} and `cortex job --json`. */
export interface JobDetailJson {
  job?: JobJson;
  result?: Json;
  context?: Json;
  events?: JobEventJson[];
}

/** GET /api/v1/workers; `cortex ps --json` holds the same two lists. */
export interface WorkersJson {
  workers: WorkerJson[];
  pools: PoolJson[];
}

function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Zero here means "not reached" / "not this kind of event", not a count. */
const ZERO_IS_UNSET = /(_ms|^dropped|^attempt|^pid|^seq)$/;

/** Proto3 JSON's rule, narrowed: unset strings, lists, objects and zero timestamps go. */
export function isUnset(key: string, value: Json | undefined): boolean {
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return value === 0 && ZERO_IS_UNSET.test(key);
}

/** Drops the unset fields of one plain object (not recursively: payloads stay as given). */
export function compactJson<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!isUnset(k, v as Json)) out[k] = v;
  return out as T;
}

/** ts-proto objects (camelCase) -> plain JSON with proto (snake_case) names, unset fields omitted. */
export function protoJson(value: unknown): Json {
  if (Array.isArray(value)) return value.map(protoJson);
  if (typeof value === "object" && value !== null) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      const key = snakeKey(k);
      const json = v === undefined ? undefined : protoJson(v);
      if (!isUnset(key, json)) out[key] = json as Json;
    }
    // Step 0 is a real step of a workflow, and means nothing outside one.
    if (out.step_index === 0 && out.workflow_id === undefined) delete out.step_index;
    return out;
  }
  if (typeof value === "bigint") return Number(value);
  if (value === undefined) return null;
  return value as Json;
}

export function jobJson(job: JobInfo): JobJson {
  return protoJson(job) as JobJson;
}

export function eventJson(ev: JobEvent): JobEventJson {
  return protoJson(ev) as JobEventJson;
}

export function deadLetterJson(letter: DeadLetterInfo): DeadLetterJson {
  return protoJson(letter) as DeadLetterJson;
}

function parseOrUndefined(text: string): Json | undefined {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** The job, its result and (when asked for) context as JSON values, its events. */
export function jobDetailJson(res: GetJobResponse, withContext: boolean): JobDetailJson {
  const result = parseOrUndefined(res.resultJson);
  const context = withContext ? parseOrUndefined(res.contextJson) : undefined;
  return compactJson({
    job: res.job ? jobJson(res.job) : undefined,
    result,
    context,
    events: res.events.map(eventJson),
  });
}

/** Each worker's heartbeat fields flattened next to last_seen_ms. Both lists stay when empty. */
export function workersJson(res: ListWorkersResponse): WorkersJson {
  return {
    workers: res.workers.map((w) =>
      compactJson({ ...(protoJson(w.heartbeat ?? {}) as WorkerJson), last_seen_ms: w.lastSeenMs }),
    ),
    pools: res.pools.map((p) => protoJson(p) as PoolJson),
  };
}

/** GET /api/v1/jobs and `cortex jobs --json`: next_cursor only when there is a next page. */
export interface JobsPageJson {
  jobs: JobJson[];
  next_cursor?: string;
}

export function jobsPageJson(res: { jobs: JobInfo[]; nextCursor: string }): JobsPageJson {
  return { jobs: res.jobs.map(jobJson), ...(res.nextCursor ? { next_cursor: res.nextCursor } : {}) };
}

/** GET /api/v1/dead-letters and `cortex dlq list --json`. */
export interface DeadLettersPageJson {
  letters: DeadLetterJson[];
  next_cursor?: string;
}

export function deadLettersPageJson(res: {
  letters: DeadLetterInfo[];
  nextCursor: string;
}): DeadLettersPageJson {
  return {
    letters: res.letters.map(deadLetterJson),
    ...(res.nextCursor ? { next_cursor: res.nextCursor } : {}),
  };
}

/** One held job of GET /api/v1/approvals and `cortex approvals --json`: the job and its context. */
export interface ApprovalJson {
  job?: JobJson;
  context?: Json;
}

export interface ApprovalsPageJson {
  approvals: ApprovalJson[];
  next_cursor?: string;
}

export function approvalsPageJson(res: { approvals: ApprovalItem[]; nextCursor: string }): ApprovalsPageJson {
  return {
    approvals: res.approvals.map((a) =>
      compactJson({ job: a.job ? jobJson(a.job) : undefined, context: parseOrUndefined(a.contextJson) }),
    ),
    ...(res.nextCursor ? { next_cursor: res.nextCursor } : {}),
  };
}

/** A job's approval record as JSON (JobJson's `approval`). */
export type ApprovalInfoJson = ProtoJson<ApprovalInfo>;

/** POST /api/v1/jobs/{id}/approve|reject and `cortex approve|reject --json`: the job as it is now. */
export interface DecideApprovalJson {
  job?: JobJson;
}

export function decideApprovalJson(res: DecideApprovalResponse): DecideApprovalJson {
  return compactJson({ job: res.job ? jobJson(res.job) : undefined });
}
