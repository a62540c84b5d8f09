/**
 * How one attempt ended, and the result document and bus status each ending produces.
 * Error result documents are `{job_id, processed_by, error: {code, message}}`.
 */
import { isCortexError } from "../core/errors.js";
import { JobStatus } from "../gen/cortex/v1/bus.js";

/** Codes of `error.code` in result documents that are not CortexError codes. */
export const ResultErrorCode = {
  Timeout: "TIMEOUT",
  Cancelled: "CANCELLED",
  /** The handler threw something that is not a CortexError. */
  HandlerError: "HANDLER_ERROR",
  /** ctx:<id> was missing (expired or never written): the handler never ran. */
  ContextMissing: "CONTEXT_MISSING",
} as const;

export type AbortKind = "timeout" | "cancel" | "drain";

/** The reason on a handler's AbortSignal, so handlers can tell why they were stopped. */
export class JobAbortError extends Error {
  override readonly name = "JobAbortError";
  constructor(
    readonly kind: AbortKind,
    message: string,
  ) {
    super(message);
  }
}

export type AttemptOutcome =
  | { kind: "completed"; value: unknown }
  | { kind: "failed"; code: string; message: string }
  | { kind: "timeout"; message: string }
  | { kind: "cancelled"; message: string }
  /** Stopped by a drain that ran out of time: handed back to the queue, no result. */
  | { kind: "drained" };

export function outcomeOfAbort(reason: unknown): AttemptOutcome {
  if (reason instanceof JobAbortError) {
    if (reason.kind === "timeout") return { kind: "timeout", message: reason.message };
    if (reason.kind === "cancel") return { kind: "cancelled", message: reason.message };
    return { kind: "drained" };
  }
  return { kind: "cancelled", message: String(reason) };
}

export function outcomeOfError(err: unknown): AttemptOutcome {
  if (isCortexError(err)) return { kind: "failed", code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { kind: "failed", code: ResultErrorCode.HandlerError, message };
}

type Reported = Exclude<AttemptOutcome, { kind: "drained" }>;

export function statusOf(outcome: Reported): JobStatus {
  switch (outcome.kind) {
    case "completed":
      return JobStatus.JOB_STATUS_COMPLETED;
    case "failed":
      return JobStatus.JOB_STATUS_FAILED;
    case "timeout":
      return JobStatus.JOB_STATUS_TIMEOUT;
    case "cancelled":
      return JobStatus.JOB_STATUS_CANCELLED;
  }
}

/** The document stored at res:<id>: the handler's value, or an error document. */
export function resultDocument(outcome: Reported, jobId: string, workerId: string): unknown {
  if (outcome.kind === "completed") return outcome.value;
  const code =
    outcome.kind === "failed"
      ? outcome.code
      : outcome.kind === "timeout"
        ? ResultErrorCode.Timeout
        : ResultErrorCode.Cancelled;
  return { job_id: jobId, processed_by: workerId, error: { code, message: outcome.message } };
}

export function errorMessageOf(outcome: Reported): string {
  return outcome.kind === "completed" ? "" : outcome.message;
}
