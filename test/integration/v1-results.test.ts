/**
 * Results of CortexOS v1 workers (`finished` false), which never record RUNNING: the job is
 * still DISPATCHED when the result arrives, with the dispatched attempt not counted yet.
 * A real SQLite file and the in-process bus; the test plays the v1 worker.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/memory-bus.js";
import type { TimeoutsConfig } from "../../src/config/index.js";
import { newJobId, newTraceId } from "../../src/core/ids.js";
import { JobState } from "../../src/core/states.js";
import { type JobResult, JobStatus } from "../../src/gen/cortex/v1/bus.js";
import { JobLifecycle } from "../../src/jobs/index.js";
import { createSqliteStore, type SqliteJobStore } from "../../src/store/sqlite-store.js";

const TOPIC = "job.v1";
const timeouts: TimeoutsConfig = {
  workflows: {},
  topics: { [TOPIC]: { timeout_seconds: 5, max_retries: 1 } },
  reconciler: { dispatch_timeout_seconds: 30, running_timeout_seconds: 30, scan_interval_seconds: 5 },
};

const result = (jobId: string, status: JobStatus, attempt: number): JobResult => ({
  jobId,
  status,
  resultPtr: "",
  workerId: "v1-worker",
  executionMs: 1,
  attempt,
  errorMessage: status === JobStatus.JOB_STATUS_COMPLETED ? "" : "v1 says no",
  finished: false,
});

describe("v1 results", () => {
  let dir: string;
  let store: SqliteJobStore;
  let bus: MemoryBus;
  let jobs: JobLifecycle;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cortex-v1-results-"));
    store = await createSqliteStore({ path: join(dir, "cortex.db") });
    bus = new MemoryBus();
    await bus.provision();
    jobs = new JobLifecycle({
      bus,
      store,
      logger: pino({ level: "silent" }),
      pools: { topics: { [TOPIC]: "v1" } },
      timeouts,
      senderId: "test",
    });
  });

  afterAll(async () => {
    await jobs?.drain();
    await bus?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function dispatched(): Promise<string> {
    const jobId = newJobId();
    const job = {
      jobId,
      traceId: newTraceId(),
      topic: TOPIC,
      tenant: "acme",
      priority: "INTERACTIVE" as const,
    };
    await store.createJob({ ...job, context: {} });
    expect((await jobs.moves.apply({ jobId, to: JobState.Scheduled })).ok).toBe(true);
    expect(await jobs.dispatch.dispatch(jobId)).toBe(true);
    return jobId;
  }

  it("COMPLETED with the dispatch's attempt ends SUCCEEDED and counts the attempt", async () => {
    const jobId = await dispatched();
    await jobs.v1Results.apply(result(jobId, JobStatus.JOB_STATUS_COMPLETED, 1), () => true);
    expect(await store.getJob(jobId)).toMatchObject({ state: JobState.Succeeded, attempts: 1 });
  });

  it("a result without an attempt (a worker that knows no field 20) still ends the job", async () => {
    const jobId = await dispatched();
    await jobs.v1Results.apply(result(jobId, JobStatus.JOB_STATUS_COMPLETED, 0), () => true);
    expect(await store.getJob(jobId)).toMatchObject({ state: JobState.Succeeded, attempts: 1 });
  });

  it("FAILED is retried as attempt 2; a repeat of attempt 1 is stale; attempt 2 FAILED ends it", async () => {
    const jobId = await dispatched();
    await jobs.v1Results.apply(result(jobId, JobStatus.JOB_STATUS_FAILED, 1), () => true);
    expect(await store.getJob(jobId)).toMatchObject({ state: JobState.Dispatched, attempts: 1 });
    await jobs.v1Results.apply(result(jobId, JobStatus.JOB_STATUS_FAILED, 1), () => true);
    expect(await store.getJob(jobId)).toMatchObject({ state: JobState.Dispatched, attempts: 1 });
    await jobs.v1Results.apply(result(jobId, JobStatus.JOB_STATUS_FAILED, 2), () => true);
    expect(await store.getJob(jobId)).toMatchObject({
      state: JobState.Failed,
      attempts: 2,
      reason: "v1 says no",
    });
  });
});
