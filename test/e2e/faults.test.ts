/**
 * Nothing accepted is lost, one job at a time: a worker that dies mid-job, a daemon killed
 * before dispatch, a pool with no worker — through the built CLI and a real daemon. The same
 * faults under 500 jobs are in test/faults/.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import type { SubmitResult } from "../../src/client/json-shapes.js";
import { waitForJob } from "../../src/client/wait-for-job.js";
import { onNats } from "../support/backend.js";
import { type CliProcess, spawnCli } from "../support/cli.js";
import { waitForReady, waitForWorkers } from "../support/daemon-wait.js";
import { fastTimeouts, startTestStack, type TestStack } from "../support/stack.js";

async function waitForState(
  client: GatewayClient,
  jobId: string,
  states: string[],
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = (await client.getJob(jobId)).job?.state ?? "";
    if (states.includes(last)) return last;
    await sleep(50);
  }
  throw new Error(`job ${jobId} stayed ${last}, expected ${states.join("/")}`);
}

const killAll = (procs: CliProcess[]) => {
  for (const p of procs) p.child.kill("SIGKILL");
};

// Split processes (`daemon --only`, `worker start`) and nats-server restarts exist only on
// nats; the embedded daemon's kill -9 under load is in test/faults/embedded.test.ts.
describe.runIf(onNats())("faults", () => {
  let stack: TestStack | undefined;
  const procs: CliProcess[] = [];

  afterEach(async () => {
    killAll(procs.splice(0));
    await stack?.stop();
    stack = undefined;
  });

  it("a job for a pool with no worker waits SCHEDULED and completes when `cortex worker start` adds one", async () => {
    stack = await startTestStack({ timeoutsYaml: fastTimeouts() });
    const daemon = spawnCli(["daemon", "--only", "safety,scheduler,gateway"], stack.env);
    procs.push(daemon);
    const client = stack.client();
    await waitForReady(client, daemon);
    const { jobId } = await client.submitJob({ topic: "job.echo", prompt: "waiting" });
    expect(await waitForState(client, jobId, ["SCHEDULED"])).toBe("SCHEDULED");
    await sleep(1500);
    expect((await client.getJob(jobId)).job?.state).toBe("SCHEDULED");
    procs.push(spawnCli(["worker", "start", "echo"], stack.env));
    const done = await waitForJob(client, jobId, { timeoutMs: 20_000 });
    expect(done.job.state).toBe("SUCCEEDED");
  });

  it("fail-closed: with the safety kernel down a job waits, then ends FAILED 'safety kernel unavailable'", async () => {
    stack = await startTestStack({ timeoutsYaml: fastTimeouts({ dispatch: 3 }) });
    // No safety component here, and SAFETY_KERNEL_ADDR points at the free port nobody serves.
    const daemon = spawnCli(["daemon", "--only", "scheduler,gateway,workers"], stack.env);
    procs.push(daemon);
    const client = stack.client();
    await waitForReady(client, daemon);
    const { jobId } = await client.submitJob({ topic: "job.echo", prompt: "unchecked" });
    await sleep(1000);
    expect((await client.getJob(jobId)).job?.state).toBe("PENDING");
    const done = await waitForJob(client, jobId, { timeoutMs: 15_000 });
    expect(done.job.state).toBe("FAILED");
    expect(done.job.reason).toBe("safety kernel unavailable");
    const events = (await client.getJob(jobId, { includeEvents: true })).events.map((e) => e.to);
    expect(events).toEqual(["PENDING", "FAILED"]);
  });

  it("kill -9 of a worker mid-job: the job is redelivered and completes exactly once (attempts = 2)", async () => {
    stack = await startTestStack({ timeoutsYaml: fastTimeouts({ echoTimeout: 3, retries: 2 }) });
    const daemon = spawnCli(["daemon", "--only", "safety,scheduler,gateway"], stack.env);
    procs.push(daemon);
    const client = stack.client();
    await waitForReady(client, daemon);
    const first = spawnCli(["worker", "start", "echo"], stack.env);
    procs.push(first);
    await waitForWorkers(client, "echo", 1);
    const { jobId } = await client.submitJob({
      topic: "job.echo",
      contextJson: JSON.stringify({ sleep_ms: 2000 }),
    });
    await waitForState(client, jobId, ["RUNNING"]);
    first.child.kill("SIGKILL");
    await first.exited;
    procs.push(spawnCli(["worker", "start", "echo"], stack.env));
    const done = await waitForJob(client, jobId, { timeoutMs: 30_000 });
    expect(done.job.state, done.job.reason).toBe("SUCCEEDED");
    expect(done.job.attempts).toBe(2);
    const events = (await client.getJob(jobId, { includeEvents: true })).events;
    expect(events.filter((e) => e.to === "SUCCEEDED")).toHaveLength(1);
    expect(events.filter((e) => e.to === "RUNNING")).toHaveLength(2);
  });

  it("kill -9 of the daemon after SubmitJob answered, before dispatch: `cortex up` again completes the job", async () => {
    stack = await startTestStack({ timeoutsYaml: fastTimeouts() });
    const gatewayOnly = spawnCli(["daemon", "--only", "gateway"], stack.env);
    procs.push(gatewayOnly);
    const client = stack.client();
    await waitForReady(client, gatewayOnly);
    const sub = await stack.cli(["submit", "echo", "survive", "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
    const jobId = (sub.json as SubmitResult).job_id;
    gatewayOnly.child.kill("SIGKILL");
    await gatewayOnly.exited;
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    const done = await waitForJob(client, jobId, { timeoutMs: 20_000 });
    expect(done.job.state).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ received_ctx: { prompt: "survive" } });
  });
});
