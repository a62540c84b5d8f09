/**
 * Typed errors with stable codes. Callers branch on `code`, never on message text.
 * `hint` tells the user what to do next; the CLI prints message + hint.
 */
import { redactUrl } from "./redact-url.js";

export const ErrorCode = {
  ConfigInvalid: "CONFIG_INVALID",
  ConfigNotFound: "CONFIG_NOT_FOUND",
  StoreUnavailable: "STORE_UNAVAILABLE",
  /** Redis refused the password or ACL user of REDIS_URL. */
  StoreAuthFailed: "STORE_AUTH_FAILED",
  /** The TLS handshake with Redis failed (untrusted or mismatched certificate, not TLS). */
  StoreTlsFailed: "STORE_TLS_FAILED",
  /** The embedded store's file is damaged or not a cortex database. */
  StoreCorrupt: "STORE_CORRUPT",
  /** The embedded store's file is held by another process (another daemon). */
  StoreLocked: "STORE_LOCKED",
  BusUnavailable: "BUS_UNAVAILABLE",
  /** NATS refused the credentials (user/password, token, creds file) or their permissions. */
  BusAuthFailed: "BUS_AUTH_FAILED",
  BusTimeout: "BUS_TIMEOUT",
  DecodeFailed: "DECODE_FAILED",
  InvalidTransition: "INVALID_TRANSITION",
  JobNotFound: "JOB_NOT_FOUND",
  JobExists: "JOB_EXISTS",
  /** A short job id (a prefix) matches several jobs; the message lists them. */
  AmbiguousJobId: "AMBIGUOUS_JOB_ID",
  /** No dead letter has that id (retried already, or past its retention). */
  DeadLetterNotFound: "DEAD_LETTER_NOT_FOUND",
  InvalidArgument: "INVALID_ARGUMENT",
  StackUnreachable: "STACK_UNREACHABLE",
  SafetyUnavailable: "SAFETY_UNAVAILABLE",
  NoPool: "NO_POOL",
  Unauthenticated: "UNAUTHENTICATED",
  /** Authenticated, but the key may not act for that tenant. */
  PermissionDenied: "PERMISSION_DENIED",
  LlmUnavailable: "LLM_UNAVAILABLE",
  /** The configured model is not on the Ollama server (it answered 404). */
  LlmModelMissing: "LLM_MODEL_MISSING",
  /** Ollama answered, but not with a usable answer (malformed, truncated, server error). */
  LlmBadResponse: "LLM_BAD_RESPONSE",
  /** Ollama stayed silent longer than the request timeout. */
  LlmTimeout: "LLM_TIMEOUT",
  /** Ollama could not pull a model (unknown name, registry unreachable, disk full …). */
  LlmPullFailed: "LLM_PULL_FAILED",
  /** A client stopped waiting (e.g. `--wait` timed out); the job itself may still finish. */
  WaitTimeout: "WAIT_TIMEOUT",
  /** A workflow step failed for good (all its attempts); the result names the step. */
  WorkflowStepFailed: "WORKFLOW_STEP_FAILED",
  /** A patch no longer applies to the file as it is now (it changed since it was read). */
  PatchConflict: "PATCH_CONFLICT",
  /** A stream already follows as many jobs as the gateway allows; wait for some to end. */
  TooManyInFlight: "TOO_MANY_IN_FLIGHT",
  /** A stream's client read too slowly: the gateway closed it rather than buffer more. */
  StreamBehind: "STREAM_BEHIND",
  /** A handler threw NonRetryableError (worker SDK): the job fails without another attempt. */
  NonRetryable: "NON_RETRYABLE",
  /** An approval decision on a job that is not waiting for one (decided, expired, cancelled). */
  NotAwaitingApproval: "NOT_AWAITING_APPROVAL",
  /** The job's content changed since the approval was requested, or since the approver looked. */
  ApprovalStale: "APPROVAL_STALE",
  Internal: "INTERNAL",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** A code that came over the wire (trailers, events) is one of ours. */
export function isErrorCode(value: string): value is ErrorCode {
  return KNOWN_CODES.has(value);
}

export interface CortexErrorOptions {
  hint?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class CortexError extends Error {
  override readonly name = "CortexError";
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: CortexErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** Message and hint as the CLI prints them: one or two lines. */
  toUserString(): string {
    return this.hint ? `${this.message}\n${this.hint}` : this.message;
  }
}

export function isCortexError(err: unknown, code?: ErrorCode): err is CortexError {
  return err instanceof CortexError && (code === undefined || err.code === code);
}

// Every constructor that names a URL redacts it: callers cannot leak a password by mistake.
export const storeUnavailable = (url: string, cause: unknown): CortexError =>
  new CortexError(ErrorCode.StoreUnavailable, `store unavailable: cannot reach Redis at ${redactUrl(url)}`, {
    hint: "Start redis-server or set REDIS_URL to a reachable Redis; cortex retries on its own once it is back.",
    cause,
  });

export const storeTlsFailed = (url: string, cause: unknown): CortexError =>
  new CortexError(ErrorCode.StoreTlsFailed, `store: TLS handshake with Redis at ${redactUrl(url)} failed`, {
    hint: "Check REDIS_TLS_CA (the CA that signed the server's certificate), REDIS_TLS_CERT / REDIS_TLS_KEY, and that the certificate names the host in REDIS_URL.",
    cause,
  });

export const busUnavailable = (url: string, cause: unknown): CortexError =>
  new CortexError(ErrorCode.BusUnavailable, `bus unavailable: cannot reach NATS at ${redactUrl(url)}`, {
    hint: "Start nats-server -js or set NATS_URL to a reachable NATS server; cortex reconnects on its own.",
    cause,
  });

export const busAuthFailed = (url: string, cause: unknown): CortexError =>
  new CortexError(ErrorCode.BusAuthFailed, `bus: authentication failed at NATS ${redactUrl(url)}`, {
    hint: "Check the credentials in NATS_URL (nats://user:pass@host or nats://token@host) or the NATS_CREDS file, and that the user may publish and subscribe.",
    cause,
  });

export const storeAuthFailed = (url: string, cause: unknown): CortexError =>
  new CortexError(ErrorCode.StoreAuthFailed, `store: authentication failed at Redis ${redactUrl(url)}`, {
    hint: "Check the password (and ACL user) in REDIS_URL, e.g. redis://user:pass@host:6379.",
    cause,
  });
