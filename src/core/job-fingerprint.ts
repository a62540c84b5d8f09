/**
 * What a submit asked for, as one hash: a resubmit of the same job_id is the same job only
 * when this matches (idempotent submit). The trace id is left out: a retry may carry a new one.
 */
import { createHash } from "node:crypto";

/** The reason code of a job that was written but never queued: a retry with its id may re-admit it. */
export const NOT_QUEUED = "NOT_QUEUED";

/** JSON with object keys sorted at every level, so equal contexts hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The submitted fields of a job (the store's NewJob), ids left out. */
export interface FingerprintFields {
  topic: string;
  tenant: string;
  priority: string;
  context: Record<string, unknown>;
  envVars?: Record<string, string>;
  adapterId?: string;
  parentJobId?: string;
  workflowId?: string;
  stepIndex?: number;
}

export function jobFingerprint(job: FingerprintFields): string {
  const what = {
    topic: job.topic,
    tenant: job.tenant,
    priority: job.priority,
    context: job.context,
    envVars: job.envVars ?? {},
    adapterId: job.adapterId ?? "",
    parentJobId: job.parentJobId ?? "",
    workflowId: job.workflowId ?? "",
    stepIndex: job.stepIndex ?? 0,
  };
  return createHash("sha256").update(canonicalJson(what)).digest("hex");
}
