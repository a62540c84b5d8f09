import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import type { SubmitJobInput } from "../../../src/client/gateway-types.js";
import { fromServiceError } from "../../../src/client/grpc-error.js";
import { isRetryableSubmitError, submitWithRetry } from "../../../src/client/submit-retry.js";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";

function grpcError(code: status): CortexError {
  const err = Object.assign(new Error("boom"), { code, details: "boom", metadata: new Metadata() });
  return fromServiceError(err as ServiceError, "127.0.0.1:1");
}

describe("submitWithRetry", () => {
  it("retries UNAVAILABLE and DEADLINE_EXCEEDED under the same client-made ids, with backoff", async () => {
    const seen: SubmitJobInput[] = [];
    const delays: number[] = [];
    const failures = [grpcError(status.DEADLINE_EXCEEDED), grpcError(status.UNAVAILABLE)];
    const res = await submitWithRetry(
      async (req) => {
        seen.push(req);
        const err = failures.shift();
        if (err) throw err;
        return { jobId: req.jobId ?? "", traceId: req.traceId ?? "" };
      },
      { topic: "job.echo" },
      { sleep: async (ms) => void delays.push(ms), random: () => 0.999, baseMs: 100, maxMs: 150 },
    );
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((r) => r.jobId)).size).toBe(1);
    expect(new Set(seen.map((r) => r.traceId)).size).toBe(1);
    expect(res.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(delays).toEqual([99, 149]);
  });

  it("keeps the caller's ids and gives up after the attempts", async () => {
    const seen: SubmitJobInput[] = [];
    const err = await submitWithRetry(
      async (req) => {
        seen.push(req);
        throw grpcError(status.UNAVAILABLE);
      },
      { topic: "job.echo", jobId: "mine", traceId: "t".repeat(32) },
      { attempts: 3, sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CortexError);
    expect(seen.map((r) => r.jobId)).toEqual(["mine", "mine", "mine"]);
  });

  it("does not retry an answer (ALREADY_EXISTS, INVALID_ARGUMENT)", async () => {
    for (const code of [status.ALREADY_EXISTS, status.INVALID_ARGUMENT]) {
      let calls = 0;
      await submitWithRetry(
        async () => {
          calls++;
          throw grpcError(code);
        },
        { topic: "job.echo" },
        { sleep: async () => {} },
      ).catch(() => undefined);
      expect(calls).toBe(1);
    }
    expect(isRetryableSubmitError(new CortexError(ErrorCode.BusUnavailable, "x"))).toBe(false);
  });
});
