import { describe, expect, it } from "vitest";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";
import { DEFAULT_PRIORITY, parsePriority, priorityName } from "../../../src/core/priority.js";
import { JobPriority } from "../../../src/gen/cortex/v1/bus.js";

describe("parsePriority", () => {
  it.each([
    ["BATCH", JobPriority.JOB_PRIORITY_BATCH],
    ["batch", JobPriority.JOB_PRIORITY_BATCH],
    ["INTERACTIVE", JobPriority.JOB_PRIORITY_INTERACTIVE],
    ["Interactive", JobPriority.JOB_PRIORITY_INTERACTIVE],
    ["CRITICAL", JobPriority.JOB_PRIORITY_CRITICAL],
    ["critical", JobPriority.JOB_PRIORITY_CRITICAL],
    ["", JobPriority.JOB_PRIORITY_INTERACTIVE],
  ])("%j -> %i", (input, expected) => {
    expect(parsePriority(input)).toBe(expected);
  });

  it.each(["urgent", "JOB_PRIORITY_BATCH", "UNSPECIFIED", " batch", "2"])(
    "%j is INVALID_ARGUMENT naming the field",
    (input) => {
      let caught: unknown;
      try {
        parsePriority(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CortexError);
      const err = caught as CortexError;
      expect(err.code).toBe(ErrorCode.InvalidArgument);
      expect(err.details).toEqual({ field: "priority", value: input });
      expect(err.message).toContain("priority");
      expect(err.hint).toContain("BATCH, INTERACTIVE, CRITICAL");
    },
  );
});

describe("priorityName", () => {
  it("round-trips every API name", () => {
    for (const name of ["BATCH", "INTERACTIVE", "CRITICAL"] as const) {
      expect(priorityName(parsePriority(name))).toBe(name);
    }
  });

  it("reads UNSPECIFIED and unknown values as the default", () => {
    expect(DEFAULT_PRIORITY).toBe("INTERACTIVE");
    expect(priorityName(JobPriority.JOB_PRIORITY_UNSPECIFIED)).toBe("INTERACTIVE");
    expect(priorityName(JobPriority.UNRECOGNIZED)).toBe("INTERACTIVE");
    expect(priorityName(42 as JobPriority)).toBe("INTERACTIVE");
  });
});
