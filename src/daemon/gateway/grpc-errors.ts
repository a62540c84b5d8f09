/**
 * The one place CortexErrors become gRPC statuses. The exact code and hint also travel in
 * trailing metadata so the typed client can rebuild the CortexError; grpcurl users still
 * get a readable status message.
 */
import { Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { CortexError, ErrorCode, isCortexError } from "../../core/errors.js";
import { ERROR_CODE_TRAILER, ERROR_HINT_TRAILER } from "../../core/grpc-metadata.js";
import { invalidField } from "../../core/job-validation.js";

const GRPC_STATUS: Readonly<Record<ErrorCode, status>> = {
  CONFIG_INVALID: status.FAILED_PRECONDITION,
  CONFIG_NOT_FOUND: status.FAILED_PRECONDITION,
  STORE_UNAVAILABLE: status.UNAVAILABLE,
  STORE_CORRUPT: status.DATA_LOSS,
  STORE_LOCKED: status.FAILED_PRECONDITION,
  BUS_UNAVAILABLE: status.UNAVAILABLE,
  BUS_TIMEOUT: status.UNAVAILABLE,
  BUS_AUTH_FAILED: status.FAILED_PRECONDITION,
  STORE_AUTH_FAILED: status.FAILED_PRECONDITION,
  STORE_TLS_FAILED: status.FAILED_PRECONDITION,
  // A stored record that cannot be read is corrupt data, not a gateway bug.
  DECODE_FAILED: status.DATA_LOSS,
  INVALID_TRANSITION: status.FAILED_PRECONDITION,
  JOB_NOT_FOUND: status.NOT_FOUND,
  JOB_EXISTS: status.ALREADY_EXISTS,
  AMBIGUOUS_JOB_ID: status.INVALID_ARGUMENT,
  DEAD_LETTER_NOT_FOUND: status.NOT_FOUND,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  STACK_UNREACHABLE: status.UNAVAILABLE,
  SAFETY_UNAVAILABLE: status.UNAVAILABLE,
  NO_POOL: status.FAILED_PRECONDITION,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  LLM_UNAVAILABLE: status.UNAVAILABLE,
  LLM_MODEL_MISSING: status.FAILED_PRECONDITION,
  LLM_BAD_RESPONSE: status.INTERNAL,
  LLM_TIMEOUT: status.DEADLINE_EXCEEDED,
  LLM_PULL_FAILED: status.FAILED_PRECONDITION,
  WAIT_TIMEOUT: status.DEADLINE_EXCEEDED,
  WORKFLOW_STEP_FAILED: status.ABORTED,
  NON_RETRYABLE: status.ABORTED,
  PATCH_CONFLICT: status.FAILED_PRECONDITION,
  TOO_MANY_IN_FLIGHT: status.RESOURCE_EXHAUSTED,
  STREAM_BEHIND: status.RESOURCE_EXHAUSTED,
  NOT_AWAITING_APPROVAL: status.FAILED_PRECONDITION,
  APPROVAL_STALE: status.FAILED_PRECONDITION,
  INTERNAL: status.INTERNAL,
};

export function grpcStatusFor(code: ErrorCode): status {
  return GRPC_STATUS[code] ?? status.INTERNAL;
}

/** Any thrown value as a gRPC error; unknown errors become INTERNAL without leaking internals. */
export function toServiceError(err: unknown): ServerErrorResponse {
  const cortex = isCortexError(err)
    ? err
    : new CortexError(ErrorCode.Internal, "internal gateway error", {
        hint: "See the daemon log (`cortex logs`) for details.",
        cause: err,
      });
  const trailers = new Metadata();
  trailers.set(ERROR_CODE_TRAILER, cortex.code);
  if (cortex.hint) trailers.set(ERROR_HINT_TRAILER, Buffer.from(cortex.hint, "utf8"));
  return Object.assign(new Error(cortex.message), {
    code: grpcStatusFor(cortex.code),
    details: cortex.message,
    metadata: trailers,
  });
}

/** INVALID_ARGUMENT whose message starts with the request field, e.g. "topic: must not be empty". */
export const invalidArgument = invalidField;

export function jobNotFound(jobId: string): CortexError {
  return new CortexError(ErrorCode.JobNotFound, `job ${jobId} not found`, {
    hint: "Check the id with `cortex jobs`; finished jobs are forgotten after the retention period.",
    details: { jobId },
  });
}
