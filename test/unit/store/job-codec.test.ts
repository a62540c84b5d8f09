/** decodeJob range-checks what the gRPC encoder would choke on (issue 14, finding 4). */
import { describe, expect, it } from "vitest";
import { ErrorCode, isCortexError } from "../../../src/core/errors.js";
import { decodeEvent, decodeJob } from "../../../src/store/job-codec.js";

const base = {
  job_id: "j1",
  trace_id: "t1",
  topic: "job.echo",
  tenant: "default",
  priority: "BATCH",
  state: "PENDING",
  attempts: "0",
  context_ptr: "redis://ctx:j1",
  created_at: "1700000000000",
  updated_at: "1700000000000",
};

function failure(fields: Record<string, string>): unknown {
  try {
    decodeJob({ ...base, ...fields });
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("decodeJob", () => {
  it("decodes int32 bounds and finite timestamps", () => {
    const rec = decodeJob({ ...base, step_index: "2147483647", attempts: "-2147483648", started_at: "1.5" });
    expect(rec).toMatchObject({ stepIndex: 2_147_483_647, attempts: -2_147_483_648, startedAt: 1.5 });
  });

  it.each([
    ["step_index", "2147483648"],
    ["step_index", "1.5"],
    ["attempts", "-2147483649"],
    ["attempts", ""],
    ["created_at", "Infinity"],
    ["finished_at", "soon"],
    ["late_results", "NaN"],
    ["env_vars", "[1]"],
    ["env_vars", '{"A":1}'],
    ["state", "BOGUS"],
    ["priority", "URGENT"],
  ])("fails with DECODE_FAILED naming the job and %s=%j", (field, value) => {
    const err = failure({ [field]: value });
    expect(isCortexError(err, ErrorCode.DecodeFailed)).toBe(true);
    if (!isCortexError(err)) return;
    expect(err.message).toBe(`job record j1 has an invalid ${field}`);
    expect(err.details).toMatchObject({ jobId: "j1", field });
    expect(err.hint).toBeTruthy();
  });

  it("keeps only a preview of a huge bad value in the error", () => {
    const err = failure({ env_vars: `{${"x".repeat(100_000)}` });
    expect(isCortexError(err) && String(err.details?.value).length).toBeLessThanOrEqual(80);
  });
});

describe("decodeEvent", () => {
  it.each(["{garbage", "42", "null", '{"seq":1}'])("fails with DECODE_FAILED for %j", (json) => {
    expect(() => decodeEvent(json)).toThrow(expect.objectContaining({ code: ErrorCode.DecodeFailed }));
  });
});
