/**
 * Errors as HTTP answers: `{error: {code, message, hint?}}` with the status the gRPC API
 * would imply (one table, grpc-errors.ts, decides both). Codes are CortexError codes, plus
 * a few that exist only over HTTP (unknown route, body too large, wrong media type).
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import { ErrorCode, isCortexError } from "../../../core/errors.js";
import { grpcStatusFor } from "../grpc-errors.js";

export const HttpOnlyCode = {
  RouteNotFound: "ROUTE_NOT_FOUND",
  BodyTooLarge: "BODY_TOO_LARGE",
  UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
  UpgradeRequired: "UPGRADE_REQUIRED",
  DashboardNotBuilt: "DASHBOARD_NOT_BUILT",
} as const;

export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

export interface HttpError {
  status: number;
  body: ErrorBody;
}

/** gRPC status -> HTTP status, as grpc-gateway maps them. */
const HTTP_FOR_GRPC: Readonly<Partial<Record<GrpcStatus, number>>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.FAILED_PRECONDITION]: 400,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
};

/** A decision that lost to the job's current state is a conflict with it, not a bad request. */
const HTTP_FOR_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  NOT_AWAITING_APPROVAL: 409,
  APPROVAL_STALE: 409,
};

export function httpStatusFor(code: ErrorCode): number {
  return HTTP_FOR_CODE[code] ?? HTTP_FOR_GRPC[grpcStatusFor(code)] ?? 500;
}

export function errorBody(code: string, message: string, hint?: string): ErrorBody {
  return { error: { code, message, ...(hint ? { hint } : {}) } };
}

/** What fastify itself throws (body parsing); branch on its stable `code`, not the message. */
interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/**
 * Any thrown value as an HTTP answer. Unknown errors are 500 with a generic message: the
 * log has the details, the client never sees internals.
 */
export function toHttpError(err: unknown, bodyLimit: number): HttpError {
  if (isCortexError(err)) {
    return { status: httpStatusFor(err.code), body: errorBody(err.code, err.message, err.hint) };
  }
  const f = (typeof err === "object" && err !== null ? err : {}) as FastifyLikeError;
  const status = typeof f.statusCode === "number" ? f.statusCode : 500;
  if (f.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413) {
    return {
      status: 413,
      body: errorBody(
        HttpOnlyCode.BodyTooLarge,
        `request body is over the limit of ${bodyLimit} bytes`,
        "Send a smaller input, or raise CORTEX_MAX_CONTEXT_BYTES on the daemon.",
      ),
    };
  }
  if (f.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || status === 415) {
    return {
      status: 415,
      body: errorBody(
        HttpOnlyCode.UnsupportedMediaType,
        "request body must be JSON",
        "Send the body with Content-Type: application/json.",
      ),
    };
  }
  if (status >= 400 && status < 500) {
    // Malformed JSON, empty JSON body and the like: fastify's message names the problem.
    const message = typeof f.message === "string" ? f.message : "bad request";
    return { status: 400, body: errorBody(ErrorCode.InvalidArgument, `body: ${message}`) };
  }
  return {
    status: 500,
    body: errorBody(
      ErrorCode.Internal,
      "internal gateway error",
      "See the daemon log (`cortex logs`) for details.",
    ),
  };
}

/** `url` may carry ?api_key=: only the path (cut short) is echoed. */
export function routeNotFound(method: string, url: string): HttpError {
  const path = (url.split("?")[0] ?? "").slice(0, 200);
  return {
    status: 404,
    body: errorBody(
      HttpOnlyCode.RouteNotFound,
      `no route ${method} ${path}`,
      "The API is under /api/v1 (jobs, workers, traces, stream); probes are /health and /ready.",
    ),
  };
}
