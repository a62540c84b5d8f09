/**
 * gRPC errors -> CortexErrors for the CLI and the TUI. A cortex gateway names the exact
 * code and hint in trailers; anything else (no gateway, a v1 gateway, a proxy) is mapped
 * from the gRPC status alone.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { CortexError, ErrorCode, isErrorCode } from "../core/errors.js";
import { ERROR_CODE_TRAILER, ERROR_HINT_TRAILER } from "../core/grpc-metadata.js";

export const UNREACHABLE_HINT = "Start the stack with `cortex up` or set CORTEX_GATEWAY_ADDR";

function trailer(err: ServiceError, key: string): string | undefined {
  const value = err.metadata?.get(key)[0];
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.toString("utf8");
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number";
}

export function fromServiceError(err: ServiceError, address: string): CortexError {
  const details = err.details || err.message;
  const code = trailer(err, ERROR_CODE_TRAILER);
  if (code !== undefined && isErrorCode(code)) {
    const hint = trailer(err, ERROR_HINT_TRAILER);
    return new CortexError(code, details, { ...(hint ? { hint } : {}), cause: err });
  }
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new CortexError(ErrorCode.InvalidArgument, details, { cause: err });
    case status.RESOURCE_EXHAUSTED:
      return new CortexError(ErrorCode.InvalidArgument, `request rejected by the gateway: ${details}`, {
        hint: "The input is too large; send less context.",
        cause: err,
      });
    case status.NOT_FOUND:
      return new CortexError(ErrorCode.JobNotFound, details, { cause: err });
    case status.ALREADY_EXISTS:
      return new CortexError(ErrorCode.JobExists, details, { cause: err });
    case status.UNAUTHENTICATED:
      return new CortexError(ErrorCode.Unauthenticated, details, {
        hint: "Set CORTEX_API_KEY to a key the gateway accepts.",
        cause: err,
      });
    case status.PERMISSION_DENIED:
      return new CortexError(ErrorCode.PermissionDenied, details, {
        hint: "The API key may not do this (e.g. act for another tenant); use a key that may.",
        cause: err,
      });
    case status.UNAVAILABLE:
      return new CortexError(ErrorCode.StackUnreachable, `cannot reach the cortex gateway at ${address}`, {
        hint: UNREACHABLE_HINT,
        cause: err,
      });
    case status.DEADLINE_EXCEEDED:
      return new CortexError(
        ErrorCode.StackUnreachable,
        `the cortex gateway at ${address} did not answer in time`,
        {
          hint: UNREACHABLE_HINT,
          cause: err,
        },
      );
    case status.UNIMPLEMENTED:
      return new CortexError(
        ErrorCode.Internal,
        `the gateway at ${address} does not support this call: ${details}`,
        {
          hint: "The daemon is older than this CLI; restart it with `cortex down && cortex up`.",
          cause: err,
        },
      );
    default:
      return new CortexError(ErrorCode.Internal, `gateway error: ${details}`, { cause: err });
  }
}

/** The gateway does not know the called method (it is older than this client). */
export function isUnimplemented(err: unknown): boolean {
  const cause = err instanceof CortexError ? err.cause : err;
  return isServiceError(cause) && cause.code === status.UNIMPLEMENTED;
}

/** Anything a client call threw, as a CortexError. */
export function toCortexError(err: unknown, address: string): CortexError {
  if (err instanceof CortexError) return err;
  if (isServiceError(err)) return fromServiceError(err, address);
  return new CortexError(ErrorCode.Internal, err instanceof Error ? err.message : String(err), {
    cause: err,
  });
}
