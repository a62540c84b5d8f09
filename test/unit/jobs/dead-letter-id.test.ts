import { describe, expect, it } from "vitest";
import { newPacket } from "../../../src/bus/codec.js";
import { isDeadLetterId } from "../../../src/core/dead-letter.js";
import { invalidField } from "../../../src/core/job-validation.js";
import { JobPriority } from "../../../src/gen/cortex/v1/bus.js";
import { deadLetter } from "../../../src/jobs/index.js";

const problem = invalidField("job_id", "must not be empty");
const packet = newPacket(
  {
    $case: "jobRequest",
    jobRequest: {
      jobId: "",
      topic: "job.echo",
      priority: JobPriority.JOB_PRIORITY_INTERACTIVE,
      contextPtr: "",
      adapterId: "",
      envVars: { tenant_id: "acme" },
      parentJobId: "",
      workflowId: "",
      stepIndex: 0,
      attempt: 0,
      timeoutMs: 0,
      contextJson: "",
    },
  },
  { traceId: "", senderId: "v1" },
);

describe("deadLetter", () => {
  it("gives a redelivered submit the same id, so its letter is overwritten, not doubled", () => {
    const first = deadLetter(packet, "sys.job.submit", problem, Date.now());
    const again = deadLetter(packet, "sys.job.submit", problem, Date.now() + 5_000);
    expect(isDeadLetterId(first.id)).toBe(true);
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({ tenant: "acme", field: "job_id", code: "INVALID_ARGUMENT" });
  });

  it("does not trust a sender clock far off: a random id then", () => {
    const ancient = { ...packet, createdAt: { seconds: 1, nanos: 0 } };
    const a = deadLetter(ancient, "sys.job.submit", problem, Date.now());
    const b = deadLetter(ancient, "sys.job.submit", problem, Date.now());
    expect(a.id).not.toBe(b.id);
  });
});
