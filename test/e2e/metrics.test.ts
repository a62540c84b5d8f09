/**
 * One /metrics per process, through the built CLI on both backends. After a workload over
 * gRPC (the CLI), HTTP and the WebSocket, the all-in-one daemon's CORTEX_METRICS_PORT
 * carries every component's series (scheduler, gateway, orchestrator, safety, the process's
 * own once), passes `promtool check metrics`, has job queue wait and run time by topic (a
 * topic outside pools.yaml as "other"), and offers every metric the Grafana dashboard reads.
 * The three seed ports answer the same text; `ps` reports the one address. On nats a split
 * `cortex worker start` serves its own /metrics on its CORTEX_METRICS_PORT.
 * A require_approval rule holds echo jobs of tenant "held", for the approval metrics.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PsResult, SubmitResult } from "../../src/client/json-shapes.js";
import { workerKindNames } from "../../src/workers/registry.js";
import { onNats } from "../support/backend.js";
import { type CliProcess, spawnCli } from "../support/cli.js";
import { freePort } from "../support/free-port.js";
import { httpJson, openStream } from "../support/http-api.js";
import {
  dashboardQueries,
  exportedSeriesNames,
  promqlMetricNames,
  readDashboard,
} from "../support/metric-names.js";
import { checkMetrics, promtoolPath } from "../support/promtool.js";
import { startTestStack, type TestStack } from "../support/stack.js";

let stack: TestStack;
let env: NodeJS.ProcessEnv;
let metricsPort = 0;
const SAFETY_YAML = `default_tenant: default
default_effect: allow
rules:
  - id: deny-sys-destroy
    effect: deny
    topics: ["sys.destroy"]
    reason: "sys.destroy is forbidden by policy"
  - id: hold-echo
    effect: require_approval
    topics: ["job.echo"]
    tenants: ["held"]
`;

async function scrape(port: string | number | undefined): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  return res.text();
}

async function expectValid(name: string, text: string): Promise<void> {
  const { code, output } = await checkMetrics(text);
  expect(code, `promtool check metrics on ${name}:\n${output}`).toBe(0);
}

/** The `# TYPE` lines: which metrics an endpoint offers, whatever their values. */
const typeLines = (text: string) => text.split("\n").filter((l) => l.startsWith("# TYPE "));

beforeAll(async () => {
  promtoolPath(); // fail at once, with the install hint, when promtool is missing
  metricsPort = await freePort();
  stack = await startTestStack({
    safetyYaml: SAFETY_YAML,
    extraEnv: { CORTEX_METRICS_PORT: String(metricsPort) },
  });
  env = stack.env;
  const up = await stack.cli(["up", "--json"]);
  expect(up.code, up.stderr).toBe(0);

  // Workload: jobs through the CLI (gRPC), through HTTP, a denied one, a stream, a 404.
  // `submit --wait` is one SubmitAndWatch call; a plain submit is SubmitJob; `job` is GetJob.
  for (const prompt of ["one", "two"]) {
    const sub = await stack.cli(["submit", "echo", prompt, "--wait", "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
  }
  const plain = await stack.cli(["submit", "echo", "three", "--json"]);
  expect(plain.code, plain.stderr).toBe(0);
  const shown = await stack.cli(["job", (plain.json as SubmitResult).job_id, "--json"]);
  expect(shown.code, shown.stderr).toBe(0);
  const http = `http://127.0.0.1:${env.CORTEX_HTTP_PORT}`;
  const created = await httpJson<{ job_id: string }>(`${http}/api/v1/jobs`, { body: { topic: "job.echo" } });
  expect(created.status).toBe(201);
  const stream = await openStream(
    `ws://127.0.0.1:${env.CORTEX_HTTP_PORT}/api/v1/stream?job_id=${created.body.job_id}&backfill=20&until_terminal=true`,
  );
  await stream.closed;
  expect((await httpJson(`${http}/api/v1/jobs/${created.body.job_id}`)).status).toBe(200);
  expect((await httpJson(`${http}/api/v1/jobs/not-a-job`)).status).toBe(404);
  const denied = await stack.cli(["submit", "sys.destroy", "--wait", "--json"]);
  expect(denied.code).toBe(1);
  // The plain submit and the HTTP one end on their own; wait for them so the counts are settled.
  for (const id of [(plain.json as SubmitResult).job_id, created.body.job_id]) {
    let state = "";
    for (let i = 0; i < 100 && !/SUCCEEDED/.test(state); i++) {
      state = JSON.stringify((await httpJson(`${http}/api/v1/jobs/${id}`)).body);
      await sleep(100);
    }
    expect(state, id).toMatch(/SUCCEEDED/);
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("the all-in-one daemon's one /metrics after a workload", () => {
  it("is valid and carries every component's series, the process's own once", async () => {
    const text = await scrape(metricsPort);
    await expectValid(`CORTEX_METRICS_PORT ${metricsPort}`, text);
    // scheduler
    expect(text).toMatch(
      /cortex_scheduler_job_duration_seconds_count\{topic="job.echo",status="succeeded"\} [4-9]/,
    );
    expect(text).toMatch(/cortex_scheduler_dispatch_latency_seconds_count\{topic="job.echo"\} [4-9]/);
    expect(text).toMatch(/cortex_scheduler_safety_denied_total\{topic="sys.destroy"\} 1/);
    // gateway: requests by method, route template and status
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="POST",route="\/api\/v1\/jobs",status="201"\} 1/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="GET",route="\/api\/v1\/jobs\/:id",status="404"\} 1/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="GET",route="\/api\/v1\/stream",status="101"\} 1/,
    );
    expect(text).toMatch(/cortex_api_gateway_grpc_requests_total\{method="SubmitAndWatch",code="OK"\} 3/);
    expect(text).toMatch(/cortex_api_gateway_grpc_requests_total\{method="SubmitJob",code="OK"\} 1/);
    expect(text).toMatch(/cortex_api_gateway_live_workers\{pool="echo"\} 1/);
    expect(text).not.toContain("not-a-job");
    // safety kernel and orchestrator, registered in the same process
    expect(text).toContain("# TYPE cortex_safety_checks_total counter");
    if (workerKindNames().includes("orchestrator"))
      expect(text).toContain("# TYPE cortex_orchestrator_workflows_started_total counter");
    // the process's default metrics, exactly once
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
    expect(text).toContain("process_resident_memory_bytes");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
  });

  it("has job queue wait and run time by topic, and counts a topic outside pools.yaml as other", async () => {
    const text = await scrape(metricsPort);
    expect(text).toMatch(/^cortex_job_queue_wait_seconds_count\{topic="job.echo"\} [4-9]$/m);
    expect(text).toMatch(/^cortex_job_run_seconds_count\{topic="job.echo"\} [4-9]$/m);
    expect(text).toMatch(/^cortex_job_run_seconds_bucket\{le="\+Inf",topic="job.echo"\} [4-9]$/m);
    expect(text).toMatch(/^cortex_jobs_finished_total\{topic="job.echo",status="succeeded"\} [4-9]$/m);
    expect(text).toMatch(/^cortex_jobs_finished_total\{topic="other",status="denied"\} 1$/m);
    // Denied at admission: it never ran, so it has no latency.
    expect(text).not.toMatch(/cortex_job_run_seconds_count\{topic="other"\}/);
    expect(text).not.toMatch(/cortex_job_\w+\{[^}]*topic="sys\.destroy"/);
  });

  it("offers every metric the Grafana dashboard reads", async () => {
    const series = exportedSeriesNames(await scrape(metricsPort));
    const queries = dashboardQueries(readDashboard());
    expect(queries.length).toBeGreaterThan(10);
    for (const { where, expr } of queries)
      for (const n of promqlMetricNames(expr)) expect(series.has(n), `${where}: ${n}`).toBe(true);
  });

  it("answers the same text on the three seed ports, its documented aliases", async () => {
    const main = typeLines(await scrape(metricsPort));
    for (const v of [
      "CORTEX_SCHEDULER_METRICS_PORT",
      "CORTEX_ORCHESTRATOR_METRICS_PORT",
      "CORTEX_GATEWAY_METRICS_PORT",
    ]) {
      const alias = await scrape(env[v]);
      await expectValid(v, alias);
      expect(typeLines(alias), v).toEqual(main);
    }
  });

  it("ps reports the one metrics address, for every component", async () => {
    const ps = await stack.cli(["ps", "--json"]);
    expect(ps.code, ps.stderr).toBe(0);
    const result = ps.json as PsResult;
    expect(result.endpoints.metrics).toEqual([
      { component: "safety,scheduler,gateway,workers", url: `http://127.0.0.1:${metricsPort}/metrics` },
    ]);
  });

  it("approval decisions by decision, and the wait from request to decision", async () => {
    const http = `http://127.0.0.1:${env.CORTEX_HTTP_PORT}`;
    const ids: string[] = [];
    for (const prompt of ["approve me", "reject me"]) {
      const sub = await httpJson<{ job_id: string }>(`${http}/api/v1/jobs`, {
        body: { topic: "job.echo", tenant: "held", prompt },
      });
      expect(sub.status).toBe(201);
      ids.push(sub.body.job_id);
    }
    const approve = await httpJson(`${http}/api/v1/jobs/${ids[0]}/approve`, { body: { reason: "fine" } });
    expect(approve.status).toBe(200);
    const reject = await httpJson(`${http}/api/v1/jobs/${ids[1]}/reject`, { body: { reason: "no" } });
    expect(reject.status).toBe(200);
    const text = await scrape(metricsPort);
    await expectValid("CORTEX_METRICS_PORT", text);
    expect(text).toMatch(/^cortex_safety_approvals_total\{decision="approved"\} 1$/m);
    expect(text).toMatch(/^cortex_safety_approvals_total\{decision="rejected"\} 1$/m);
    expect(text).toMatch(/^cortex_safety_approval_wait_seconds_count 2$/m);
  });
});

describe.runIf(onNats())("a split worker process", () => {
  let worker: CliProcess | undefined;
  afterAll(async () => {
    worker?.child.kill("SIGTERM");
    await worker?.exited;
  });

  it("serves its own /metrics on its CORTEX_METRICS_PORT, and not on the seed ports", async () => {
    const port = await freePort();
    // The seed ports are the all-in-one daemon's: a worker that bound them would exit here.
    worker = spawnCli(["worker", "start", "echo"], { ...env, CORTEX_METRICS_PORT: String(port) });
    let text = "";
    for (let i = 0; i < 100 && text === ""; i++) {
      text = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => (r.ok ? r.text() : ""))
        .catch(() => "");
      if (text === "") await sleep(200);
    }
    expect(text, worker.output()).not.toBe("");
    await expectValid(`worker start echo on ${port}`, text);
    expect(text).toContain("# TYPE cortex_job_run_seconds histogram");
    expect(text).toContain("# TYPE cortex_job_queue_wait_seconds histogram");
    expect(text).toContain("process_resident_memory_bytes");
    // No scheduler or gateway runs in it.
    expect(text).not.toContain("cortex_scheduler_");
    expect(text).not.toContain("cortex_api_gateway_");
    expect(worker.child.exitCode).toBeNull();
  });
});
