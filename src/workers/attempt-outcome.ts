/**
 * How one attempt ended, and the result document and bus status each ending produces.
 * Error result documents are `{job_id, processed_by, error: {code, message, hint?}}`, plus
 * the fields a JobFailure adds.
 */
import { isCortexError } from "../core/errors.js";
import { JobStatus } from "../gen/cortex/v1/bus.js";
import { JobFailure } from "./job-failure.js";

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
  | {
      kind: "failed";
      code: string;
      message: string;
      /** What the user should do (a CortexError's hint), kept in the result document. */
      hint?: string;
      /** Extra result-document fields from a JobFailure. */
      fields?: Record<string, unknown>;
    }
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
  if (isCortexError(err)) {
    return {
      kind: "failed",
      code: err.code,
      message: err.message,
      ...(err.hint ? { hint: err.hint } : {}),
      ...(err instanceof JobFailure ? { fields: err.resultFields } : {}),
    };
  }
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
  const hint = outcome.kind === "failed" ? outcome.hint : undefined;
  const fields = outcome.kind === "failed" ? outcome.fields : undefined;
  return {
    job_id: jobId,
    processed_by: workerId,
    ...fields,
    error: { code, message: outcome.message, ...(hint ? { hint } : {}) },
  };
}

export function errorMessageOf(outcome: Reported): string {
  return outcome.kind === "completed" ? "" : outcome.message;
}
