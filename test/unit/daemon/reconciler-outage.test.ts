/** The reconciler does not count an outage against a job's deadlines. */
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import type { TimeoutsConfig } from "../../../src/config/index.js";
import { storeUnavailable } from "../../../src/core/errors.js";
import { JobState } from "../../../src/core/states.js";
import { Reconciler } from "../../../src/daemon/scheduler/reconciler.js";
import type { JobLifecycle } from "../../../src/jobs/index.js";
import type { JobRecord, JobStore } from "../../../src/store/job-store.js";

const timeouts: TimeoutsConfig = {
  workflows: {},
  topics: { "job.t": { timeout_seconds: 10, max_retries: 0 } },
  reconciler: { dispatch_timeout_seconds: 30, running_timeout_seconds: 300, scan_interval_seconds: 5 },
};

const running: JobRecord = {
  jobId: "j1",
  traceId: "t",
  topic: "job.t",
  tenant: "acme",
  priority: "INTERACTIVE",
  state: JobState.Running,
  attempts: 1,
  contextPtr: "",
  createdAt: 0,
  updatedAt: 0,
  startedAt: 0,
};

describe("reconciler after an outage", () => {
  it("times a RUNNING job out only once its limit has passed since the store came back", async () => {
    let now = 100_000;
    let down = false;
    const store = {
      listJobs: async ({ state }: { state: JobState }) => {
        if (down) throw storeUnavailable("redis://127.0.0.1:1", new Error("ECONNREFUSED"));
        return { jobs: state === JobState.Running ? [running] : [] };
      },
    } as unknown as JobStore;
    const apply = vi.fn(async () => ({ ok: false as const, code: "not_found" as const }));
    const jobs = { moves: { apply } } as unknown as JobLifecycle;
    const deps = { store, timeouts, clock: () => now, logger: pino({ level: "silent" }) };
    const reconciler = new Reconciler(
      deps as never,
      jobs,
      { poolOf: () => "p", dispatchIfLive: async () => true, poolSaturated: () => false } as never,
      { isDown: () => false } as never,
      { runningGraceSeconds: 5, warmupUntilMs: 0 },
    );
    // limit = 10 s × 1 attempt + 5 s grace = 15 s; the job started at 0 and now is 100 s.
    down = true;
    await expect(reconciler.scan()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    down = false;
    now += 14_000;
    await reconciler.scan();
    expect(apply).not.toHaveBeenCalled();
    now += 2_000;
    await reconciler.scan();
    expect(apply).toHaveBeenCalledWith(expect.objectContaining({ jobId: "j1", to: JobState.Timeout }));
  });
});
