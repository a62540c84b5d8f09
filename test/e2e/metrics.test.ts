/**
 * Every metrics endpoint of a daemon started by the built CLI passes `promtool check
 * metrics` after a workload over gRPC (the CLI), HTTP and the WebSocket, and carries the
 * series the issue names. The process's default metrics (nodejs_, process_) are on the
 * scheduler's endpoint only. The orchestrator's endpoint is checked once the build has one.
 * A require_approval rule holds echo jobs of tenant "held", for the approval metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubmitResult } from "../../src/client/json-shapes.js";
import { workerKindNames } from "../../src/workers/registry.js";
import { httpJson, openStream } from "../support/http-api.js";
import { checkMetrics, promtoolPath } from "../support/promtool.js";
import { startTestStack, type TestStack } from "../support/stack.js";

let stack: TestStack;
/** prom-client's default metrics (collectDefaultMetrics). */
const DEFAULT_METRICS = /^(nodejs|process)_\w+/m;
let env: NodeJS.ProcessEnv;
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

async function scrape(port: string | undefined): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  return res.text();
}

async function expectValid(name: string, text: string): Promise<void> {
  const { code, output } = await checkMetrics(text);
  expect(code, `promtool check metrics on the ${name} endpoint:\n${output}`).toBe(0);
}

beforeAll(async () => {
  promtoolPath(); // fail at once, with the install hint, when promtool is missing
  stack = await startTestStack({ safetyYaml: SAFETY_YAML });
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
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("metrics endpoints after a workload", () => {
  it("scheduler (:9090 by default): valid, with job duration and dispatch latency by topic and status", async () => {
    const text = await scrape(env.CORTEX_SCHEDULER_METRICS_PORT);
    await expectValid("scheduler", text);
    expect(text).toMatch(
      /cortex_scheduler_job_duration_seconds_count\{topic="job.echo",status="succeeded"\} [3-9]/,
    );
    expect(text).toMatch(/cortex_scheduler_dispatch_latency_seconds_count\{topic="job.echo"\} [3-9]/);
    expect(text).toMatch(/cortex_scheduler_safety_denied_total\{topic="sys.destroy"\} 1/);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("process_resident_memory_bytes");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
  });

  it("gateway (:9092 by default): valid, with requests by method, route template and status", async () => {
    const text = await scrape(env.CORTEX_GATEWAY_METRICS_PORT);
    await expectValid("gateway", text);
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="POST",route="\/api\/v1\/jobs",status="201"\} 1/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="GET",route="\/api\/v1\/jobs\/:id",status="404"\} 1/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_requests_total\{method="GET",route="\/api\/v1\/stream",status="101"\} 1/,
    );
    expect(text).toMatch(
      /cortex_api_gateway_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/jobs\/:id"\} 2/,
    );
    expect(text).toMatch(/cortex_api_gateway_grpc_requests_total\{method="SubmitAndWatch",code="OK"\} 3/);
    expect(text).toMatch(/cortex_api_gateway_grpc_requests_total\{method="SubmitJob",code="OK"\} 1/);
    expect(text).toMatch(/cortex_api_gateway_grpc_requests_total\{method="GetJob",code="OK"\} 1/);
    expect(text).toMatch(/cortex_api_gateway_live_workers\{pool="echo"\} 1/);
    // The process metrics are the scheduler endpoint's: one process, counted once.
    expect(text).not.toMatch(DEFAULT_METRICS);
    expect(text).not.toContain("not-a-job");
  });

  it("orchestrator (:9091 by default): valid, when this build has an orchestrator worker", async () => {
    if (!workerKindNames().includes("orchestrator")) return;
    const text = await scrape(env.CORTEX_ORCHESTRATOR_METRICS_PORT);
    await expectValid("orchestrator", text);
    expect(text).not.toMatch(DEFAULT_METRICS);
  });

  it("scheduler: approval decisions by decision, and the wait from request to decision", async () => {
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
    const text = await scrape(env.CORTEX_SCHEDULER_METRICS_PORT);
    await expectValid("scheduler", text);
    expect(text).toMatch(/^cortex_safety_approvals_total\{decision="approved"\} 1$/m);
    expect(text).toMatch(/^cortex_safety_approvals_total\{decision="rejected"\} 1$/m);
    expect(text).toMatch(/^cortex_safety_approval_wait_seconds_count 2$/m);
    const gateway = await scrape(env.CORTEX_GATEWAY_METRICS_PORT);
    expect(gateway).not.toContain("cortex_safety_approvals_total");
  });
});
