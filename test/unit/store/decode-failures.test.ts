/** Skipped records are counted every time and logged once each, as one line without a stack. */
import { describe, expect, it } from "vitest";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";
import { DecodeFailures } from "../../../src/store/decode-failures.js";
import { decodeJob } from "../../../src/store/job-codec.js";

function capture() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    info: () => undefined,
    warn: (obj: object, msg: string) => lines.push({ obj: obj as Record<string, unknown>, msg }),
  };
  return { lines, failures: new DecodeFailures(logger) };
}

describe("DecodeFailures", () => {
  it("skips a corrupt job, counts each skip, logs each record once with id and field only", () => {
    const { lines, failures } = capture();
    const corrupt = { job_id: "j1", state: "BOGUS" };
    for (let i = 0; i < 3; i++) expect(failures.job("j1", () => decodeJob(corrupt))).toBeUndefined();
    expect(failures.total).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.obj).toEqual({ jobId: "j1", field: "state", code: ErrorCode.DecodeFailed });
  });

  it("rethrows what is not a decode failure (an outage must not look like a corrupt record)", () => {
    const { failures } = capture();
    const down = new CortexError(ErrorCode.StoreUnavailable, "down");
    expect(() =>
      failures.job("j1", () => {
        throw down;
      }),
    ).toThrow(down);
    expect(failures.total).toBe(0);
  });

  it("keeps the events that decode, in order", () => {
    const { lines, failures } = capture();
    const ok = (seq: number) => JSON.stringify({ seq, at: 1, kind: "state", jobId: "j1" });
    const events = failures.events("j1", [ok(1), "{bad", ok(2), "7"]);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(failures.total).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.obj).toMatchObject({ jobId: "j1", field: "event" });
  });

  it("truncates a long job id in the log line", () => {
    const { lines, failures } = capture();
    const id = "x".repeat(10_000);
    failures.job(id, () => decodeJob({ job_id: id, state: "BOGUS" }));
    expect(String(lines[0]?.obj.jobId).length).toBe(128);
  });
});
