/**
 * The one validation of a job, whatever it arrived by: gRPC, HTTP or a v1 sender on
 * sys.job.submit. Pure; every rejection is INVALID_ARGUMENT with a message that starts with
 * the field ("topic: ...") and `details.field`, so each surface answers with the same words.
 */
import { clip } from "./clip.js";
import { CortexError, ErrorCode } from "./errors.js";
import { isValidJobId, isValidTraceId } from "./ids.js";
import { jsonTooDeep, MAX_JSON_DEPTH } from "./json-depth.js";
import { isValidTopic } from "./subjects.js";

/** CORTEX_MAX_CONTEXT_BYTES when unset. */
export const DEFAULT_MAX_CONTEXT_BYTES = 1024 * 1024;

/** proto int32 (step_index): larger values wrap on the wire and break every later read. */
export const INT32_MAX = 2_147_483_647;

/** Echoed values are cut short: an error message must not carry a megabyte back. */
const ECHO_CHARS = 80;

export function invalidField(field: string, problem: string, hint?: string): CortexError {
  return new CortexError(ErrorCode.InvalidArgument, `${field}: ${problem}`, {
    ...(hint === undefined ? {} : { hint }),
    details: { field },
  });
}

/** Every field of a job that is stored, as text; ids already defaulted by the caller. */
export interface JobFields {
  jobId: string;
  traceId: string;
  topic: string;
  tenant: string;
  adapterId: string;
  parentJobId: string;
  workflowId: string;
  stepIndex: number;
  envVars: Readonly<Record<string, string>>;
  prompt: string;
  contextJson: string;
}

export interface JobLimits {
  maxContextBytes: number;
  /**
   * v1 senders on the bus may use their own trace ids (UUIDs); those are accepted when they
   * are safe in a store key (the job id charset). The gateway asks for W3C trace ids.
   */
  v1TraceIds?: boolean;
}

const utf8 = (s: string): number => Buffer.byteLength(s, "utf8");

/** The bytes the store keeps for the job, per field (env_vars counts keys and values). */
export function storedSizes(f: JobFields): Record<string, number> {
  let env = 0;
  for (const [k, v] of Object.entries(f.envVars)) env += utf8(k) + utf8(v);
  return {
    prompt: utf8(f.prompt),
    context_json: utf8(f.contextJson),
    env_vars: env,
    tenant: utf8(f.tenant),
    workflow_id: utf8(f.workflowId),
    adapter_id: utf8(f.adapterId),
    parent_job_id: utf8(f.parentJobId),
    trace_id: utf8(f.traceId),
  };
}

/** Throws the first problem (INVALID_ARGUMENT); size first, before anything is parsed. */
export function validateJobFields(f: JobFields, limits: JobLimits): void {
  checkTopic(f.topic);
  checkSize(f, limits.maxContextBytes);
  checkId("job_id", f.jobId);
  if (f.parentJobId !== "") checkId("parent_job_id", f.parentJobId);
  checkTrace(f.traceId, limits.v1TraceIds === true);
  checkStepIndex(f.stepIndex);
  if (f.contextJson !== "" && jsonTooDeep(f.contextJson)) {
    throw invalidField(
      "context_json",
      `nests deeper than ${MAX_JSON_DEPTH} levels`,
      "Flatten the context; cortex keeps it as JSON and reads it back.",
    );
  }
}

export function checkTopic(topic: string): void {
  if (topic === "") throw invalidField("topic", "must not be empty", "Pass a job topic such as job.echo.");
  if (!isValidTopic(topic)) {
    throw invalidField(
      "topic",
      `"${clip(topic, ECHO_CHARS)}" is not a valid topic`,
      "Use dot-separated tokens of letters, digits, _ and - (no wildcards), e.g. job.chat.simple.",
    );
  }
}

function checkSize(f: JobFields, max: number): void {
  const sizes = Object.entries(storedSizes(f));
  const total = sizes.reduce((sum, [, n]) => sum + n, 0);
  if (total <= max) return;
  // Named after the largest part: that is the one to shrink.
  const [field] = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
  throw invalidField(
    field,
    `the job is ${total} bytes (prompt, context, env_vars and ids), over the limit of ${max} bytes (CORTEX_MAX_CONTEXT_BYTES)`,
    "Send a smaller input, or raise CORTEX_MAX_CONTEXT_BYTES on the daemon.",
  );
}

function checkId(field: string, id: string): void {
  if (isValidJobId(id)) return;
  throw invalidField(
    field,
    id === "" ? "must not be empty" : `"${clip(id, ECHO_CHARS)}" is not a valid job id`,
    "Use 1-128 letters, digits, _ or - starting with a letter or digit, or leave it empty.",
  );
}

function checkTrace(id: string, v1: boolean): void {
  if (isValidTraceId(id) || (v1 && isValidJobId(id))) return;
  throw invalidField(
    "trace_id",
    `"${clip(id, ECHO_CHARS)}" is not a valid trace id`,
    "Use 32 lowercase hex digits (W3C trace-context), or leave it empty.",
  );
}

export function checkStepIndex(n: number): void {
  if (Number.isInteger(n) && n >= 0 && n <= INT32_MAX) return;
  throw invalidField(
    "step_index",
    `${n} is out of range`,
    `Use a whole number from 0 to ${INT32_MAX} (a proto int32).`,
  );
}
