/**
 * Maps nats.js errors onto CortexError codes. nats.js gives stable codes (NatsError.code)
 * and JetStream API error codes (api_error.err_code); we branch on those only.
 */
import { busAuthFailed, busUnavailable, CortexError, ErrorCode } from "../core/errors.js";
import { redactUrl } from "../core/redact-url.js";

/** JetStream API err_code values (nats-server/server/jetstream_errors_generated.go). */
export const JsErrCode = {
  ConsumerNotFound: 10014,
  StreamNotFound: 10059,
  StreamNameInUse: 10058,
  StreamSubjectOverlap: 10065,
  /** 2.10+: create action on an existing consumer with another config. */
  ConsumerExists: 10148,
  /** 2.9: consumer name already in use with another config. */
  ConsumerNameExists: 10013,
  JetStreamNotEnabled: 10076,
  /** num_replicas > 1 on a server that is not in a cluster. */
  ReplicasNotSupported: 10074,
  /** Not enough cluster peers up for the replicas asked for. */
  InsufficientResources: 10023,
  JetStreamNotEnabledForAccount: 10039,
  /** The consumer's filter is not within the stream's subjects. */
  ConsumerFilterNotSubset: 10093,
  /** Work-queue stream: a second consumer without a filter. */
  WorkQueueMultipleUnfiltered: 10099,
  /** Work-queue stream: the filter overlaps another consumer's. */
  WorkQueueConsumerNotUnique: 10100,
} as const;

/** Consumer configs the server refuses whatever is retried: the caller's options are wrong. */
const CONSUMER_CONFIG_REFUSED: ReadonlySet<number> = new Set([
  JsErrCode.ConsumerFilterNotSubset,
  JsErrCode.WorkQueueMultipleUnfiltered,
  JsErrCode.WorkQueueConsumerNotUnique,
]);

interface NatsLikeError {
  code?: unknown;
  api_error?: { code?: number; err_code?: number; description?: string };
}

function errorDescription(err: unknown): string {
  const desc = (err as NatsLikeError).api_error?.description;
  return typeof desc === "string" ? desc : String(err);
}

export function natsCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as NatsLikeError).code;
  return typeof code === "string" ? code : undefined;
}

export function jsErrCode(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  return (err as NatsLikeError).api_error?.err_code;
}

const TIMEOUT_CODES = new Set(["TIMEOUT", "CONNECTION_TIMEOUT"]);
/** nats.js ErrorCode values for refused credentials (a wrong password, an expired JWT). */
const AUTH_CODES = new Set(["AUTHORIZATION_VIOLATION", "AUTHENTICATION_EXPIRED", "AUTHENTICATION_TIMEOUT"]);

export function isNatsAuthError(err: unknown): boolean {
  const code = natsCode(err);
  return code !== undefined && AUTH_CODES.has(code);
}

export function isNatsTimeout(err: unknown): boolean {
  const code = natsCode(err);
  return code !== undefined && TIMEOUT_CODES.has(code);
}

export function busTimeout(url: string, what: string, cause: unknown): CortexError {
  return new CortexError(
    ErrorCode.BusTimeout,
    `bus timeout: ${what} got no answer from NATS at ${redactUrl(url)}`,
    {
      hint: "Check that nats-server is running with JetStream (-js) and is not overloaded; the operation can be retried.",
      cause,
    },
  );
}

export function jetStreamUnavailable(url: string, cause: unknown): CortexError {
  return new CortexError(
    ErrorCode.BusUnavailable,
    `bus unavailable: JetStream is not enabled on NATS at ${redactUrl(url)}`,
    {
      hint: "Start nats-server with JetStream enabled (nats-server -js), or point NATS_URL at one that has it.",
      cause,
    },
  );
}

/** Turns any nats.js failure into BUS_TIMEOUT / BUS_UNAVAILABLE; CortexErrors pass through. */
export function toBusError(url: string, what: string, err: unknown): CortexError {
  if (err instanceof CortexError) return err;
  if (isNatsAuthError(err)) return busAuthFailed(url, err);
  if (isNatsTimeout(err)) return busTimeout(url, what, err);
  const code = natsCode(err);
  if (code === "BAD_SUBJECT" || code === "MAX_PAYLOAD_EXCEEDED") {
    // The caller's input, not the bus: retrying will not help.
    return new CortexError(
      ErrorCode.InvalidArgument,
      `${what} rejected: ${code.toLowerCase().replace(/_/g, " ")}`,
      {
        hint: "Subjects are dot-separated tokens without spaces; payloads must fit the server's max_payload (1 MB by default).",
        cause: err,
      },
    );
  }
  const js = jsErrCode(err);
  if (js === JsErrCode.JetStreamNotEnabled || js === JsErrCode.JetStreamNotEnabledForAccount) {
    return jetStreamUnavailable(url, err);
  }
  if (js !== undefined && CONSUMER_CONFIG_REFUSED.has(js)) {
    return new CortexError(ErrorCode.InvalidArgument, `${what} rejected: ${errorDescription(err)}`, {
      hint: "A work-queue stream gives each message to one consumer: share that consumer's name or use a filter subject within the stream that no other consumer covers.",
      cause: err,
    });
  }
  if (code === "503") {
    // No responders: nothing stores this subject, or JetStream is down.
    return new CortexError(
      ErrorCode.BusUnavailable,
      `bus unavailable: no JetStream stream answered ${what}`,
      {
        hint: "Run provisioning (the daemon does it at start) and check that nats-server runs with -js.",
        cause: err,
      },
    );
  }
  return busUnavailable(url, err);
}
