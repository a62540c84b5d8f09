/** Job latency by topic, observed at a job's end; topics outside pools.yaml count as "other". */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { type CortexEnv, loadEnv } from "../../../src/config/env.js";
import { JobState } from "../../../src/core/states.js";
import { JobMetrics } from "../../../src/daemon/metrics/job-metrics.js";
import { aliasPorts } from "../../../src/daemon/metrics/process-endpoint.js";
import type { JobRecord } from "../../../src/store/job-store.js";

const T0 = 1_700_000_000_000;

function job(over: Partial<JobRecord>): JobRecord {
  return {
    id: "j1",
    topic: "job.echo",
    state: JobState.Succeeded,
    createdAt: T0,
    updatedAt: T0 + 5000,
    ...over,
  } as JobRecord;
}

async function text(registry: Registry): Promise<string> {
  return registry.metrics();
}

describe("JobMetrics", () => {
  it("observes queue wait (scheduled → started) and run time (started → finished) by topic", async () => {
    const registry = new Registry();
    const m = new JobMetrics(registry, ["job.echo", "job.chat.simple"]);
    m.ended(job({ scheduledAt: T0 + 100, startedAt: T0 + 400, finishedAt: T0 + 2400 }));
    const out = await text(registry);
    expect(out).toMatch(/^cortex_jobs_finished_total\{topic="job.echo",status="succeeded"\} 1$/m);
    expect(out).toMatch(/^cortex_job_queue_wait_seconds_sum\{topic="job.echo"\} 0.3$/m);
    expect(out).toMatch(/^cortex_job_queue_wait_seconds_bucket\{le="0.25",topic="job.echo"\} 0$/m);
    expect(out).toMatch(/^cortex_job_queue_wait_seconds_bucket\{le="0.5",topic="job.echo"\} 1$/m);
    expect(out).toMatch(/^cortex_job_run_seconds_sum\{topic="job.echo"\} 2$/m);
    expect(out).toMatch(/^cortex_job_run_seconds_count\{topic="job.echo"\} 1$/m);
  });

  it('counts a topic pools.yaml does not route as "other"', async () => {
    const registry = new Registry();
    const m = new JobMetrics(registry, ["job.echo"]);
    for (let i = 0; i < 50; i++)
      m.ended(job({ topic: `made.up.${i}`, scheduledAt: T0, startedAt: T0 + 1, finishedAt: T0 + 2 }));
    const out = await text(registry);
    expect(out).toMatch(/^cortex_jobs_finished_total\{topic="other",status="succeeded"\} 50$/m);
    expect(out).toMatch(/^cortex_job_run_seconds_count\{topic="other"\} 50$/m);
    expect(out).not.toContain("made.up");
    expect(m.topicLabel("job.echo")).toBe("job.echo");
  });

  it("counts a job that never started without observing latency, and ignores non-terminal moves", async () => {
    const registry = new Registry();
    const m = new JobMetrics(registry, ["job.echo"]);
    m.ended(job({ state: JobState.Denied }));
    m.ended(job({ state: JobState.Cancelled, scheduledAt: T0 + 10 }));
    // Retried, then cancelled while queued: the start is the earlier attempt's.
    m.ended(job({ state: JobState.Cancelled, startedAt: T0 + 5, scheduledAt: T0 + 900 }));
    m.ended(job({ state: JobState.Running, scheduledAt: T0, startedAt: T0 + 1 }));
    const out = await text(registry);
    expect(out).toMatch(/^cortex_jobs_finished_total\{topic="job.echo",status="denied"\} 1$/m);
    expect(out).toMatch(/^cortex_jobs_finished_total\{topic="job.echo",status="cancelled"\} 2$/m);
    expect(out).not.toMatch(/status="running"/);
    expect(out).not.toMatch(/^cortex_job_run_seconds_count/m);
    expect(out).not.toMatch(/^cortex_job_queue_wait_seconds_count/m);
  });
});

describe("aliasPorts", () => {
  const env = (vars: Record<string, string>): CortexEnv => loadEnv(vars);

  it("serves the seed ports besides CORTEX_METRICS_PORT, the one equal to it once", () => {
    expect(aliasPorts(env({}), 9090)).toEqual([
      { port: 9091, envVar: "CORTEX_ORCHESTRATOR_METRICS_PORT" },
      { port: 9092, envVar: "CORTEX_GATEWAY_METRICS_PORT" },
    ]);
  });

  it("leaves out an alias set to 0 or to a port another alias has", () => {
    const e = env({
      CORTEX_SCHEDULER_METRICS_PORT: "0",
      CORTEX_ORCHESTRATOR_METRICS_PORT: "9300",
      CORTEX_GATEWAY_METRICS_PORT: "9300",
    });
    expect(aliasPorts(e, 9200)).toEqual([{ port: 9300, envVar: "CORTEX_ORCHESTRATOR_METRICS_PORT" }]);
  });
});
