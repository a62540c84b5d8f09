import { describe, expect, it } from "vitest";
import { clip, errFields } from "../../../src/core/clip.js";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";
import {
  INT32_MAX,
  type JobFields,
  storedSizes,
  validateJobFields,
} from "../../../src/core/job-validation.js";
import { jsonTooDeep } from "../../../src/core/json-depth.js";

const base: JobFields = {
  jobId: "job-1",
  traceId: "0af7651916cd43dd8448eb211c80319c",
  topic: "job.echo",
  tenant: "acme",
  adapterId: "",
  parentJobId: "",
  workflowId: "",
  stepIndex: 0,
  envVars: {},
  prompt: "",
  contextJson: "",
};
const limits = { maxContextBytes: 1024 };

function problem(over: Partial<JobFields>, l: { maxContextBytes: number; v1TraceIds?: boolean } = limits) {
  try {
    validateJobFields({ ...base, ...over }, l);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CortexError);
    expect((err as CortexError).code).toBe(ErrorCode.InvalidArgument);
    return (err as CortexError).message;
  }
}

describe("validateJobFields", () => {
  it("accepts a plain job", () => expect(problem({})).toBeUndefined());

  it.each([
    [{ jobId: "" }, /^job_id: must not be empty/],
    [{ jobId: "../../x" }, /^job_id: /],
    [{ topic: "job.>" }, /^topic: /],
    [{ parentJobId: "a:b" }, /^parent_job_id: /],
    [{ traceId: "nope" }, /^trace_id: /],
    [{ stepIndex: INT32_MAX + 1 }, /^step_index: 2147483648 is out of range/],
    [{ stepIndex: -1 }, /^step_index: /],
    [{ stepIndex: 1.5 }, /^step_index: /],
    [
      { envVars: { k: "v".repeat(1024) } },
      /^env_vars: .*over the limit of 1024 bytes \(CORTEX_MAX_CONTEXT_BYTES\)/,
    ],
    [{ workflowId: "w".repeat(1025) }, /^workflow_id: /],
    [{ adapterId: "a".repeat(1025) }, /^adapter_id: /],
    [{ contextJson: `{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}` }, /^context_json: /],
  ])("rejects %o", (over: Partial<JobFields>, message) => {
    expect(problem(over, over.contextJson ? { maxContextBytes: 1 << 20 } : limits)).toMatch(message);
  });

  it("reports the depth, not the size, for a deep context under the limit", () => {
    expect(problem({ contextJson: `{"a":${"[".repeat(100)}${"]".repeat(100)}}` })).toMatch(
      /nests deeper than 64/,
    );
  });

  it("accepts v1 (UUID) trace ids only on the bus", () => {
    const traceId = "3f1c2e9a-1b2c-4d5e-8f90-123456789abc";
    expect(problem({ traceId })).toMatch(/^trace_id: /);
    expect(problem({ traceId }, { maxContextBytes: 1024, v1TraceIds: true })).toBeUndefined();
  });

  it("clips echoed values", () => {
    expect(problem({ topic: `x.${"*".repeat(10_000)}` })?.length).toBeLessThan(400);
  });

  it("counts env_vars keys and values", () => {
    expect(storedSizes({ ...base, envVars: { ab: "cde" } }).env_vars).toBe(5);
  });
});

describe("jsonTooDeep", () => {
  it("measures nesting and skips brackets inside strings", () => {
    expect(jsonTooDeep("[[1]]", 2)).toBe(false);
    expect(jsonTooDeep("[[[1]]]", 2)).toBe(true);
    expect(jsonTooDeep(`{"a":"[[[[\\"[["}`, 1)).toBe(false);
    expect(jsonTooDeep(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)).toBe(true);
  });
});

describe("clip", () => {
  it("keeps short strings and cuts long ones, saying how long they were", () => {
    expect(clip("abc")).toBe("abc");
    expect(clip("x".repeat(300))).toBe(`${"x".repeat(200)}…(300 chars)`);
  });
  it("errFields has code and message, no stack", () => {
    const f = errFields(new CortexError(ErrorCode.StoreUnavailable, "down"));
    expect(f).toEqual({ code: "STORE_UNAVAILABLE", error: "down" });
  });
});
