import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/errors.js";
import { ALL_STATES, isTerminal, JobState } from "../../../src/core/states.js";
import { jobStatusFromState, stateFromJobStatus } from "../../../src/core/status-map.js";
import { JobStatus } from "../../../src/gen/cortex/v1/bus.js";

const pairs = [
  [JobStatus.JOB_STATUS_COMPLETED, JobState.Succeeded],
  [JobStatus.JOB_STATUS_FAILED, JobState.Failed],
  [JobStatus.JOB_STATUS_TIMEOUT, JobState.Timeout],
  [JobStatus.JOB_STATUS_DENIED, JobState.Denied],
  [JobStatus.JOB_STATUS_CANCELLED, JobState.Cancelled],
] as const;

describe("JobStatus <-> terminal JobState", () => {
  it.each(pairs)("status %i <-> %s", (status, state) => {
    expect(stateFromJobStatus(status)).toBe(state);
    expect(jobStatusFromState(state)).toBe(status);
  });

  it("covers every terminal state", () => {
    const mapped = new Set<string>(pairs.map(([, s]) => s));
    expect(ALL_STATES.filter(isTerminal).every((s) => mapped.has(s))).toBe(true);
  });

  it.each([JobStatus.JOB_STATUS_UNSPECIFIED, JobStatus.UNRECOGNIZED, 99 as JobStatus])(
    "status %i is DECODE_FAILED",
    (status) => {
      expect(() => stateFromJobStatus(status)).toThrow(
        expect.objectContaining({
          code: ErrorCode.DecodeFailed,
          details: { field: "status", value: status },
        }),
      );
    },
  );

  it.each(ALL_STATES.filter((s) => !isTerminal(s)))("non-terminal %s has no status", (state) => {
    expect(() => jobStatusFromState(state)).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
  });
});
