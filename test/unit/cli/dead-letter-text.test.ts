import { describe, expect, it } from "vitest";
import { deadLetterRow } from "../../../src/cli/dead-letter-text.js";
import { deadLetterJson } from "../../../src/core/api-json.js";
import type { DeadLetterInfo } from "../../../src/gen/cortex/v1/api.js";

const info: DeadLetterInfo = {
  id: "dl-000000001-00000000",
  kind: "submit_rejected",
  code: "INVALID_ARGUMENT",
  field: "job_id",
  reason: `job_id: bad\n${"x".repeat(200)}`,
  hint: "",
  subject: "sys.job.submit",
  atMs: 1_000,
  jobId: "",
  topic: "job.echo",
  traceId: "t",
  senderId: "s",
  tenant: "acme",
  packetBytes: 10,
  packetKept: true,
};

describe("cortex dlq output", () => {
  it("--json uses the API's snake_case names", () => {
    expect(deadLetterJson(info)).toMatchObject({ id: info.id, at_ms: 1_000, packet_kept: true });
    expect(deadLetterJson(info)).not.toHaveProperty("job_id");
  });

  it("table cells are one bounded line, '-' when empty", () => {
    const row = deadLetterRow(info, 61_000);
    expect(row[1]).toBe("1m0s ago");
    expect(row[3]).not.toContain("\n");
    expect(row[3]?.length).toBeLessThanOrEqual(60);
    expect(row[4]).toBe("-");
  });
});
