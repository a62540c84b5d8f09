/**
 * API messages as HTTP JSON: the proto messages with their proto field names (job_id,
 * created_at_ms, ...), as grpc-gateway writes them with UseProtoNames, so the gRPC and
 * HTTP APIs describe a job with the same words.
 */
import type { GetJobResponse, JobEvent, ListWorkersResponse } from "../../../gen/cortex/v1/api.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** ts-proto objects (camelCase) -> plain JSON with proto (snake_case) names. */
export function protoJson(value: unknown): Json {
  if (Array.isArray(value)) return value.map(protoJson);
  if (typeof value === "object" && value !== null) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[snakeKey(k)] = protoJson(v);
    }
    return out;
  }
  if (typeof value === "bigint") return Number(value);
  if (value === undefined) return null;
  return value as Json;
}

export function eventJson(ev: JobEvent): Json {
  return protoJson(ev);
}

function parseOrNull(text: string): Json {
  return text === "" ? null : (JSON.parse(text) as Json);
}

/** GET /api/v1/jobs/{id}: the job, its result and context as JSON values, its events. */
export function jobDetailJson(res: GetJobResponse, withContext: boolean): Json {
  return {
    job: protoJson(res.job),
    result: parseOrNull(res.resultJson),
    ...(withContext ? { context: parseOrNull(res.contextJson) } : {}),
    events: protoJson(res.events),
  };
}

/** GET /api/v1/workers: each worker's heartbeat fields flattened next to last_seen_ms. */
export function workersJson(res: ListWorkersResponse): Json {
  return {
    workers: res.workers.map((w) => ({
      ...(protoJson(w.heartbeat ?? {}) as { [key: string]: Json }),
      last_seen_ms: w.lastSeenMs,
    })),
    pools: protoJson(res.pools),
  };
}
