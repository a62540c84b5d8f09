import { describe, expect, it } from "vitest";
import {
  busUnavailable,
  CortexError,
  ErrorCode,
  isCortexError,
  storeUnavailable,
} from "../../../src/core/errors.js";

describe("CortexError", () => {
  it("carries code, message, hint, details and cause", () => {
    const cause = new Error("ECONNREFUSED");
    const err = new CortexError(ErrorCode.JobNotFound, "job x not found", {
      hint: "Check the id with `cortex jobs`.",
      cause,
      details: { jobId: "x" },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("CortexError");
    expect(err.code).toBe("JOB_NOT_FOUND");
    expect(err.message).toBe("job x not found");
    expect(err.hint).toBe("Check the id with `cortex jobs`.");
    expect(err.details).toEqual({ jobId: "x" });
    expect(err.cause).toBe(cause);
  });

  it("has no cause property when none is given", () => {
    const err = new CortexError(ErrorCode.Internal, "boom");
    expect("cause" in err).toBe(false);
    expect(err.hint).toBeUndefined();
    expect(err.details).toBeUndefined();
  });

  it("keeps a falsy cause", () => {
    expect(new CortexError(ErrorCode.Internal, "boom", { cause: 0 }).cause).toBe(0);
  });

  it("toUserString is the message, plus the hint on a second line", () => {
    expect(new CortexError(ErrorCode.Internal, "boom").toUserString()).toBe("boom");
    expect(new CortexError(ErrorCode.Internal, "boom", { hint: "do this" }).toUserString()).toBe(
      "boom\ndo this",
    );
  });

  it("error codes are unique stable strings", () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(ErrorCode.InvalidArgument).toBe("INVALID_ARGUMENT");
  });
});

describe("isCortexError", () => {
  const err = new CortexError(ErrorCode.BusTimeout, "t");

  it("recognises CortexError, optionally by code", () => {
    expect(isCortexError(err)).toBe(true);
    expect(isCortexError(err, ErrorCode.BusTimeout)).toBe(true);
    expect(isCortexError(err, ErrorCode.BusUnavailable)).toBe(false);
  });

  it.each([new Error("t"), { code: "BUS_TIMEOUT", message: "t" }, "BUS_TIMEOUT", undefined, null])(
    "rejects %j",
    (value) => {
      expect(isCortexError(value)).toBe(false);
    },
  );
});

describe("error factories", () => {
  it("storeUnavailable names the URL, keeps the cause and hints at REDIS_URL", () => {
    const cause = new Error("ECONNREFUSED");
    const err = storeUnavailable("redis://127.0.0.1:1", cause);
    expect(err.code).toBe(ErrorCode.StoreUnavailable);
    expect(err.message).toContain("redis://127.0.0.1:1");
    expect(err.hint).toContain("REDIS_URL");
    expect(err.cause).toBe(cause);
  });

  it("busUnavailable names the URL, keeps the cause and hints at NATS_URL", () => {
    const cause = new Error("CONNECTION_REFUSED");
    const err = busUnavailable("nats://127.0.0.1:1", cause);
    expect(err.code).toBe(ErrorCode.BusUnavailable);
    expect(err.message).toContain("nats://127.0.0.1:1");
    expect(err.hint).toContain("NATS_URL");
    expect(err.cause).toBe(cause);
  });
});
