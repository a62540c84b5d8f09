/**
 * Checks for the fields of a stored job record. A record changed outside cortex (redis-cli,
 * sqlite3, an older build) must fail here with DECODE_FAILED naming the job and the field,
 * not later in the gRPC encoder ("Error serializing response") or in a listing.
 */
import { type ApprovalRecord, parseApprovalRecord } from "../core/approval.js";
import { CortexError, ErrorCode } from "../core/errors.js";

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** Enough of a bad value to recognise it in a log; the rest may be megabytes. */
const VALUE_PREVIEW = 80;

export const CORRUPT_RECORD_HINT =
  "The job record was changed outside cortex. Fix or delete it (Redis: `redis-cli hgetall job:meta:<id>`; " +
  "embedded: its row in the jobs table); listings skip it meanwhile.";

export function corruptField(jobId: string | undefined, field: string, value: unknown): CortexError {
  const shown = typeof value === "string" ? value.slice(0, VALUE_PREVIEW) : value;
  return new CortexError(ErrorCode.DecodeFailed, `job record ${jobId ?? "?"} has an invalid ${field}`, {
    hint: CORRUPT_RECORD_HINT,
    details: { jobId, field, value: shown },
  });
}

/** An int32 (the wire type of step_index and attempts), or undefined when absent. */
export function int32Field(jobId: string, field: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) {
    throw corruptField(jobId, field, raw);
  }
  return n;
}

/** A finite number (timestamps, counters), or undefined when absent. */
export function finiteField(jobId: string, field: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) throw corruptField(jobId, field, raw);
  return n;
}

/** env_vars: a JSON object of strings. */
export function envVarsField(jobId: string, raw: string | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw corruptField(jobId, "env_vars", raw);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw corruptField(jobId, "env_vars", raw);
  }
  for (const v of Object.values(parsed))
    if (typeof v !== "string") throw corruptField(jobId, "env_vars", raw);
  return parsed as Record<string, string>;
}

/** approval: the JSON of an ApprovalRecord. */
export function approvalField(jobId: string, raw: string | undefined): ApprovalRecord | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseApprovalRecord(raw);
  if (parsed === undefined) throw corruptField(jobId, "approval", raw);
  return parsed;
}
