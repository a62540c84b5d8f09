import { describe, expect, it } from "vitest";
import { jobDetailJson, jobJson, jobsPageJson, protoJson, workersJson } from "../../../src/core/api-json.js";
import { GetJobResponse, JobEvent, JobInfo, ListWorkersResponse } from "../../../src/gen/cortex/v1/api.js";

describe("api-json: the one JSON of the HTTP API and the CLI", () => {
  it("writes proto names and omits unset fields, keeping counts and booleans", () => {
    const job = JobInfo.fromPartial({ jobId: "j1", topic: "job.echo", state: "PENDING", createdAtMs: 5 });
    expect(jobJson(job)).toEqual({
      job_id: "j1",
      topic: "job.echo",
      state: "PENDING",
      attempts: 0,
      created_at_ms: 5,
    });
    expect(protoJson({ cancelled: false, liveWorkers: 0, topics: [] })).toEqual({
      cancelled: false,
      live_workers: 0,
    });
  });

  it("keeps step 0 of a workflow and drops it outside one", () => {
    expect(jobJson(JobInfo.fromPartial({ jobId: "a", workflowId: "w", stepIndex: 0 }))).toMatchObject({
      workflow_id: "w",
      step_index: 0,
    });
    expect(jobJson(JobInfo.fromPartial({ jobId: "a" }))).not.toHaveProperty("step_index");
  });

  it("leaves a job's result and context as the worker wrote them, empty strings included", () => {
    const res = GetJobResponse.fromPartial({
      job: { jobId: "j1" },
      resultJson: JSON.stringify({ reason: "", camelCase: [] }),
      contextJson: "",
      events: [JobEvent.fromPartial({ seq: 1, kind: "state", to: "PENDING", jobId: "j1" })],
    });
    expect(jobDetailJson(res, true)).toEqual({
      job: { job_id: "j1", attempts: 0 },
      result: { reason: "", camelCase: [] },
      events: [{ seq: 1, kind: "state", to: "PENDING", job_id: "j1" }],
    });
  });

  it("keeps the listed collection when empty and next_cursor only when there is a next page", () => {
    expect(jobsPageJson({ jobs: [], nextCursor: "" })).toEqual({ jobs: [] });
    expect(jobsPageJson({ jobs: [], nextCursor: "c" })).toEqual({ jobs: [], next_cursor: "c" });
    expect(workersJson(ListWorkersResponse.fromPartial({}))).toEqual({ workers: [], pools: [] });
  });
});
