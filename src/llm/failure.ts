/**
 * Turns whatever an attempt threw into a Failure (by error type, HTTP status and network
 * error code, never message text), decides which failures are worth a retry, and phrases
 * the final CortexError with what the user should do.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { redactUrl } from "../core/redact-url.js";
import { OllamaHttpError, OllamaProtocolError, OllamaStreamError } from "./wire-errors.js";

export type Failure =
  | { kind: "unreachable"; code: string; transient: boolean }
  | { kind: "timeout" }
  | { kind: "busy"; message: string }
  | { kind: "not-found"; message: string }
  | { kind: "server"; status: number | undefined; message: string }
  | { kind: "malformed"; message: string };

/** Connection failures that may heal on their own (server restarting, briefly overloaded). */
const TRANSIENT_NET = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
]);
/** Failures that cannot heal by retrying (wrong host name, no route). */
const PERMANENT_NET = new Set([
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ERR_INVALID_URL",
]);
/** undici's own header/body timeouts: Ollama went silent, like our inactivity timer. */
const TIMEOUT_NET = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** The first network error code in an error's cause chain (fetch wraps them: TypeError → cause). */
function networkCode(err: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (
    typeof code === "string" &&
    (TRANSIENT_NET.has(code) || PERMANENT_NET.has(code) || TIMEOUT_NET.has(code))
  ) {
    return code;
  }
  // happy-eyeballs connects to several addresses and reports an AggregateError of them
  const nested = (err as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (const e of nested) {
      const found = networkCode(e, depth + 1);
      if (found) return found;
    }
  }
  return networkCode((err as { cause?: unknown }).cause, depth + 1);
}

/** undefined: not a failure of the Ollama exchange (e.g. a callback threw); rethrow it as is. */
export function classifyFailure(err: unknown, timedOut: boolean): Failure | undefined {
  if (timedOut) return { kind: "timeout" };
  if (err instanceof OllamaHttpError) {
    if (err.status === 503) return { kind: "busy", message: err.serverMessage };
    if (err.status === 404) return { kind: "not-found", message: err.serverMessage };
    return { kind: "server", status: err.status, message: err.serverMessage };
  }
  if (err instanceof OllamaStreamError)
    return { kind: "server", status: undefined, message: err.serverMessage };
  if (err instanceof OllamaProtocolError) return { kind: "malformed", message: err.message };
  // response.json() on a body that is not JSON
  if (err instanceof SyntaxError) return { kind: "malformed", message: "the answer is not JSON" };
  const code = networkCode(err);
  if (code !== undefined && TIMEOUT_NET.has(code)) return { kind: "timeout" };
  if (code !== undefined) return { kind: "unreachable", code, transient: TRANSIENT_NET.has(code) };
  // fetch reports every network failure as a TypeError with a cause
  if (err instanceof TypeError && err.cause !== undefined) {
    // shown to the user only (e.g. "bad port"); never branched on
    const what = err.cause instanceof Error ? err.cause.message : String(err.cause);
    return { kind: "unreachable", code: `network error (${what})`, transient: false };
  }
  return undefined;
}

export function isTransient(f: Failure): boolean {
  return f.kind === "timeout" || f.kind === "busy" || (f.kind === "unreachable" && f.transient);
}

export interface FailureContext {
  url: string;
  model: string;
  op: "chat" | "pull" | "health";
  timeoutMs: number;
  attempts: number;
}

export function toCortexError(f: Failure, ctx: FailureContext, cause: unknown): CortexError {
  // OLLAMA_URL may carry basic-auth credentials: errors show it redacted.
  const url = redactUrl(ctx.url);
  const { model } = ctx;
  const details = { url, model, op: ctx.op, attempts: ctx.attempts };
  const tried = ctx.attempts > 1 ? ` (${ctx.attempts} attempts)` : "";
  switch (f.kind) {
    case "unreachable":
      return new CortexError(ErrorCode.LlmUnavailable, `cannot reach Ollama at ${url}: ${f.code}${tried}`, {
        // A failed pull is told how to make the pull work, not to run it again as is.
        hint:
          ctx.op === "pull"
            ? "Start Ollama (`ollama serve`) or set OLLAMA_URL to the server that should hold the model."
            : `Start Ollama or set OLLAMA_URL; then \`cortex pull-model ${model}\`.`,
        cause,
        details: { ...details, networkCode: f.code },
      });
    case "busy":
      return new CortexError(
        ErrorCode.LlmUnavailable,
        `Ollama at ${url} is busy (HTTP 503: ${f.message})${tried}`,
        {
          hint: "Try again in a moment, or run fewer LLM jobs at once.",
          cause,
          details: { ...details, status: 503 },
        },
      );
    case "timeout":
      return new CortexError(
        ErrorCode.LlmTimeout,
        `Ollama at ${url} sent nothing for ${ctx.timeoutMs} ms${tried}`,
        {
          hint: "Ollama may be loading the model or overloaded; raise OLLAMA_TIMEOUT_MS or use a smaller model.",
          cause,
          details: { ...details, timeoutMs: ctx.timeoutMs },
        },
      );
    case "not-found":
      if (ctx.op === "pull") return pullFailed(f.message, ctx, cause, 404);
      return new CortexError(
        ErrorCode.LlmModelMissing,
        `model "${model}" is not on the Ollama server at ${url}`,
        {
          hint: `Run \`cortex pull-model ${model}\` (or set OLLAMA_MODEL to a model the server has).`,
          cause,
          details: { ...details, status: 404, serverMessage: f.message },
        },
      );
    case "server":
      if (ctx.op === "pull") return pullFailed(f.message, ctx, cause, f.status);
      return new CortexError(
        ErrorCode.LlmBadResponse,
        `Ollama at ${url} failed: ${f.status === undefined ? "" : `HTTP ${f.status}: `}${f.message}`,
        {
          hint: "See the Ollama server's log; retry once it is healthy.",
          cause,
          details: { ...details, status: f.status },
        },
      );
    case "malformed":
      return new CortexError(
        ErrorCode.LlmBadResponse,
        `Ollama at ${url} sent a malformed answer: ${f.message}`,
        {
          hint: "Check that OLLAMA_URL points at an Ollama server (not a proxy or another service).",
          cause,
          details,
        },
      );
  }
}

function pullFailed(
  message: string,
  ctx: FailureContext,
  cause: unknown,
  status: number | undefined,
): CortexError {
  return new CortexError(
    ErrorCode.LlmPullFailed,
    `Ollama at ${redactUrl(ctx.url)} could not pull "${ctx.model}": ${message}`,
    {
      hint: "Check the model name and tag against https://ollama.com/library (e.g. llama3, qwen2.5-coder:1.5b).",
      cause,
      details: { url: redactUrl(ctx.url), model: ctx.model, op: ctx.op, status, serverMessage: message },
    },
  );
}
