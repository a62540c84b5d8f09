/**
 * examples/go-worker, written from docs/worker-protocol.md only, serves job.go.echo end to
 * end on the nats backend: built offline with Debian's Go packages, started against the
 * stack's NATS and Redis, driven through the built CLI and the gateway client.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PsResult, SubmitResult } from "../../src/client/json-shapes.js";
import { waitForJob } from "../../src/client/wait-for-job.js";
import { packageRoot } from "../../src/config/package-root.js";
import { onNats } from "../support/backend.js";
import { findBinary } from "../support/find-binary.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const TOPIC = "job.go.echo";
const POOL = "go";
const WORKER_ID = "go-e2e-1";
const JOBS = 20;
const TIMEOUT_S = 2;
const SOURCE = resolve(packageRoot(), "examples/go-worker");

const timeoutsYaml = `workflows: {}
topics:
  ${TOPIC}:
    timeout_seconds: ${TIMEOUT_S}
    max_retries: 1
reconciler:
  dispatch_timeout_seconds: 20
  running_timeout_seconds: 30
  scan_interval_seconds: 1
`;

/** Builds the worker in GOPATH mode from Debian's packages: no module download. */
async function buildWorker(dir: string): Promise<{ binary: string; ms: number }> {
  const go = findBinary("go");
  if (!go) {
    throw new Error(
      "go not found on PATH: the Go worker test needs Debian's Go packages (bash .ci/run installs them): " +
        "apt-get install -y golang-go golang-github-nats-io-go-nats-dev golang-google-protobuf-dev golang-github-gomodule-redigo-dev",
    );
  }
  const binary = join(dir, "go-worker");
  const started = Date.now();
  await execa(go, ["build", "-o", binary, "."], {
    cwd: SOURCE,
    env: { GO111MODULE: "off", GOPATH: `/usr/share/gocode:${join(dir, "gopath")}`, GOFLAGS: "" },
    timeout: 120_000,
  });
  return { binary, ms: Date.now() - started };
}

describe.runIf(onNats())("go worker over the v1 wire", () => {
  let stack: TestStack;
  let dir: string;
  let worker: ResultPromise | undefined;
  let workerLog = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cortex-go-worker-"));
    const built = await buildWorker(dir);
    console.log(`go worker built in ${built.ms} ms`);
    // The shipped routing plus the Go worker's topic.
    const shipped = readFileSync(resolve(packageRoot(), "config/pools.yaml"), "utf8");
    const pools = join(dir, "pools.yaml");
    writeFileSync(pools, shipped.replace(/^topics:\n/m, `topics:\n  ${TOPIC}: ${POOL}\n`));
    stack = await startTestStack({ timeoutsYaml, extraEnv: { POOL_CONFIG_PATH: pools } });
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    worker = execa(built.binary, [], {
      env: {
        NATS_URL: String(stack.env.NATS_URL),
        REDIS_URL: String(stack.env.REDIS_URL),
        CORTEX_KEY_PREFIX: stack.env.CORTEX_KEY_PREFIX ?? "",
        WORKER_ID,
        // One slot: a cancel that reaches the worker frees it long before the deadline would.
        WORKER_CONCURRENCY: "1",
        WORKER_TIMEOUT_MS: String(TIMEOUT_S * 1000),
      },
      extendEnv: false,
      stdin: "ignore",
      buffer: false,
      reject: false,
      forceKillAfterDelay: 5_000,
    });
    worker.stderr?.on("data", (d) => {
      workerLog += String(d);
    });
  }, 180_000);

  afterAll(async () => {
    if (worker) {
      worker.kill("SIGTERM");
      await worker;
    }
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("its heartbeat makes pool go live in cortex ps --json", async () => {
    const deadline = Date.now() + 15_000;
    let ps: PsResult | undefined;
    for (;;) {
      const r = await stack.cli(["ps", "--json"]);
      ps = r.json as PsResult | undefined;
      const pool = ps?.pools.find((p) => p.pool === POOL);
      if ((pool?.live_workers ?? 0) >= 1) break;
      if (Date.now() > deadline) throw new Error(`pool ${POOL} never live: ${r.stdout}\n${workerLog}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(ps?.pools.find((p) => p.pool === POOL)).toMatchObject({ live_workers: 1, capacity: 1 });
    expect(ps?.workers.find((w) => w.worker_id === WORKER_ID)).toMatchObject({
      pool: POOL,
      type: "go",
      capabilities: [TOPIC],
    });
  });

  it(`runs ${JOBS} jobs to SUCCEEDED with the Go worker's result`, async () => {
    const cli = await stack.cli(["submit", TOPIC, "--context", '{"via":"cli"}', "--wait", "--json"]);
    expect(cli.code, `${cli.stdout}\n${cli.stderr}\n${workerLog}`).toBe(0);
    const out = cli.json as SubmitResult;
    expect(out).toMatchObject({ state: "SUCCEEDED", worker_id: WORKER_ID });
    expect(out.result).toMatchObject({ job_id: out.job_id, language: "go", received_ctx: { via: "cli" } });

    const client = stack.client();
    const started = Date.now();
    const ids = await Promise.all(
      Array.from({ length: JOBS - 1 }, (_, n) =>
        client.submitJob({ topic: TOPIC, contextJson: JSON.stringify({ n }) }).then((r) => r.jobId),
      ),
    );
    const done = await Promise.all(ids.map((id) => waitForJob(client, id, { timeoutMs: 30_000 })));
    console.log(`${JOBS - 1} go jobs through the gateway in ${Date.now() - started} ms`);
    done.forEach((d, n) => {
      expect(d.job.state).toBe("SUCCEEDED");
      expect(d.job.workerId).toBe(WORKER_ID);
      expect(d.job.attempts).toBe(1);
      expect(d.result).toMatchObject({ job_id: ids[n], processed_by: WORKER_ID, received_ctx: { n } });
    });
  }, 60_000);

  it("a failure and a timeout are retried once, a cancel reaches the worker", async () => {
    const failed = await stack.cli([
      "submit",
      TOPIC,
      "--context",
      '{"fail":"boom from go"}',
      "--wait",
      "--json",
    ]);
    // One retry (max_retries 1): the v1 result of each attempt counts that attempt.
    expect(failed.json as SubmitResult).toMatchObject({ state: "FAILED", attempts: 2 });
    expect((failed.json as SubmitResult).reason).toMatch(/boom from go/);

    const slow = await stack.cli(["submit", TOPIC, "--context", '{"sleep_ms":60000}', "--wait", "--json"]);
    expect(slow.json as SubmitResult).toMatchObject({ state: "TIMEOUT", attempts: 2 });
    expect((slow.json as SubmitResult).reason).toMatch(/deadline/);

    // The one slot is busy with a job that would hold it for the whole deadline.
    const client = stack.client();
    const { jobId } = await client.submitJob({ topic: TOPIC, contextJson: '{"sleep_ms":60000}' });
    const deadline = Date.now() + 10_000;
    while ((await client.getJob(jobId)).job?.state !== "DISPATCHED") {
      if (Date.now() > deadline) throw new Error(`job ${jobId} never dispatched\n${workerLog}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    // Past the fetch, into the sleep.
    await new Promise((res) => setTimeout(res, 300));
    const cancelledAt = Date.now();
    expect((await client.cancelJob(jobId, "e2e cancel")).cancelled).toBe(true);
    const next = await client.submitJob({ topic: TOPIC, contextJson: '{"after":"cancel"}' });
    expect((await waitForJob(client, next.jobId, { timeoutMs: 10_000 })).job.state).toBe("SUCCEEDED");
    const freedMs = Date.now() - cancelledAt;
    console.log(`slot free again ${freedMs} ms after the cancel`);
    // Without the cancel reaching the worker the slot frees only at the deadline.
    expect(freedMs).toBeLessThan(TIMEOUT_S * 1000 - 300);
    expect((await client.getJob(jobId)).job?.state).toBe("CANCELLED");
  }, 60_000);
});
