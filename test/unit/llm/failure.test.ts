import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/errors.js";
import { classifyFailure, isTransient, toCortexError } from "../../../src/llm/failure.js";
import { OllamaHttpError, OllamaProtocolError, OllamaStreamError } from "../../../src/llm/wire-errors.js";

const netError = (code: string) => Object.assign(new Error("x"), { code });
const fetchFailed = (cause: unknown) => new TypeError("fetch failed", { cause });
const ctx = {
  url: "http://ollama:11434",
  model: "llama3",
  op: "chat" as const,
  timeoutMs: 1000,
  attempts: 1,
};

describe("classifyFailure", () => {
  it("decides by status: 503 busy (transient), 404 missing, others server errors", () => {
    expect(classifyFailure(new OllamaHttpError(503, "busy"), false)).toEqual({
      kind: "busy",
      message: "busy",
    });
    expect(classifyFailure(new OllamaHttpError(404, "nf"), false)).toEqual({
      kind: "not-found",
      message: "nf",
    });
    const bad = classifyFailure(new OllamaHttpError(400, "bad format"), false);
    expect(bad).toEqual({ kind: "server", status: 400, message: "bad format" });
    expect(bad && isTransient(bad)).toBe(false);
  });

  it("finds the network code in fetch's cause chain, also inside an AggregateError", () => {
    expect(classifyFailure(fetchFailed(netError("ECONNREFUSED")), false)).toEqual({
      kind: "unreachable",
      code: "ECONNREFUSED",
      transient: true,
    });
    const both = new AggregateError([netError("ECONNREFUSED"), netError("ECONNREFUSED")]);
    expect(classifyFailure(fetchFailed(both), false)).toMatchObject({
      code: "ECONNREFUSED",
      transient: true,
    });
    expect(
      classifyFailure(new TypeError("terminated", { cause: netError("UND_ERR_SOCKET") }), false),
    ).toMatchObject({
      kind: "unreachable",
      transient: true,
    });
    expect(classifyFailure(fetchFailed(netError("ENOTFOUND")), false)).toMatchObject({ transient: false });
    expect(classifyFailure(fetchFailed(netError("UND_ERR_HEADERS_TIMEOUT")), false)).toEqual({
      kind: "timeout",
    });
  });

  it("the inactivity timer wins over whatever the abort looked like", () => {
    expect(classifyFailure(new DOMException("aborted", "AbortError"), true)).toEqual({ kind: "timeout" });
  });

  it("malformed bodies and error lines", () => {
    expect(classifyFailure(new SyntaxError("Unexpected end"), false)).toMatchObject({ kind: "malformed" });
    expect(classifyFailure(new OllamaProtocolError("cut"), false)).toMatchObject({ kind: "malformed" });
    expect(classifyFailure(new OllamaStreamError("runner died"), false)).toMatchObject({ kind: "server" });
  });

  it("leaves errors that are not about the exchange alone", () => {
    expect(classifyFailure(new Error("a callback threw"), false)).toBeUndefined();
    expect(classifyFailure(new RangeError("x"), false)).toBeUndefined();
  });
});

describe("toCortexError", () => {
  it("maps each failure to its code, naming the URL", () => {
    const cases = [
      [{ kind: "unreachable", code: "ECONNREFUSED", transient: true }, ErrorCode.LlmUnavailable],
      [{ kind: "busy", message: "m" }, ErrorCode.LlmUnavailable],
      [{ kind: "timeout" }, ErrorCode.LlmTimeout],
      [{ kind: "not-found", message: "m" }, ErrorCode.LlmModelMissing],
      [{ kind: "server", status: 500, message: "m" }, ErrorCode.LlmBadResponse],
      [{ kind: "malformed", message: "m" }, ErrorCode.LlmBadResponse],
    ] as const;
    for (const [failure, code] of cases) {
      const err = toCortexError(failure, ctx, undefined);
      expect(err.code).toBe(code);
      expect(err.message).toContain(ctx.url);
      expect(err.hint).toBeTruthy();
    }
  });

  it("a failed pull is LLM_PULL_FAILED, whatever the status", () => {
    const pull = { ...ctx, op: "pull" as const };
    expect(toCortexError({ kind: "server", status: 500, message: "m" }, pull, undefined).code).toBe(
      ErrorCode.LlmPullFailed,
    );
    expect(toCortexError({ kind: "not-found", message: "m" }, pull, undefined).code).toBe(
      ErrorCode.LlmPullFailed,
    );
  });
});
