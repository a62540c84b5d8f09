/**
 * Short ids and waiting jobs through the built CLI: a unique prefix or the short form
 * `cortex jobs` shows resolves for `job` and `cancel`, an ambiguous one lists the candidates
 * (exit 2); a job for a pool with no live worker says so in `submit --wait` and `cortex job`,
 * and Ctrl-C during `--wait` says the job keeps running (exit 130).
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/config/package-root.js";
import { spawnCli } from "../support/cli.js";
import { startTestStack, type TestStack } from "../support/stack.js";

/** A topic routed to a pool no worker kind serves: its jobs wait SCHEDULED. */
const LONELY_TOPIC = "job.lonely";
const LONELY_POOL = "lonely";

describe("short ids and waiting jobs", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
    const pools = join(String(stack.env.CORTEX_HOME), "pools.yaml");
    const shipped = readFileSync(join(packageRoot(), "config/pools.yaml"), "utf8");
    writeFileSync(pools, shipped.replace("topics:\n", `topics:\n  ${LONELY_TOPIC}: ${LONELY_POOL}\n`));
    stack.env.POOL_CONFIG_PATH = pools;
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("resolves a unique prefix for job and cancel, lists an ambiguous one (exit 2), and not-found stays 1", async () => {
    const client = stack.client();
    const run = randomUUID().slice(0, 6);
    const [a, b] = [`${run}a1-x`, `${run}a2-y`];
    for (const jobId of [a, b]) await client.submitJob({ topic: "job.echo", prompt: "p", jobId });

    const job = await stack.cli(["job", `${run}a1`]);
    expect(job.code, job.stderr).toBe(0);
    expect(job.stdout).toContain(`job       ${a}`);
    const cancel = await stack.cli(["cancel", `${run}a2`, "--json"]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.json).toMatchObject({ job_id: b });

    const ambiguous = await stack.cli(["job", `${run}a`]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`matches 2 jobs`);
    expect(ambiguous.stderr).toMatch(new RegExp(`${a}\\s+job\\.echo\\s+[A-Z]+\\s+\\d+s`));
    expect(ambiguous.stderr).toContain(b);

    const missing = await stack.cli(["job", `${run}zz`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not found");
  });

  it("shows workflow children apart in `cortex jobs`, and takes that short form back", async () => {
    const client = stack.client();
    const wf = randomUUID();
    const children = [`${wf}-s-patch-1`, `${wf}-s-patch-2`];
    for (const jobId of children) await client.submitJob({ topic: "job.echo", prompt: "c", jobId });
    const jobs = await stack.cli(["jobs", "--limit", "20"]);
    expect(jobs.code, jobs.stderr).toBe(0);
    const shown = `${wf.slice(0, 8)}…-s-patch-2`;
    expect(jobs.stdout).toContain(shown);
    expect(jobs.stdout).toContain(`${wf.slice(0, 8)}…-s-patch-1`);
    const job = await stack.cli(["job", shown]);
    expect(job.code, job.stderr).toBe(0);
    expect(job.stdout).toContain(`job       ${children[1]}`);
  });

  it("says a job waits for a pool with no live worker, in submit --wait and cortex job", async () => {
    const waited = await stack.cli(["submit", LONELY_TOPIC, "hi", "--wait", "--timeout", "3"]);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(`no live worker in pool ${LONELY_POOL}`);
    const hint = stack.backend === "nats" ? "cortex worker start" : "pools.yaml";
    expect(waited.stderr).toContain(hint);
    const id = /job ([0-9a-f-]{36})/.exec(waited.stderr)?.[1] ?? "";
    const job = await stack.cli(["job", id.slice(0, 8)]);
    expect(job.code, job.stderr).toBe(0);
    expect(job.stdout).toMatch(new RegExp(`waiting\\s+no live worker in pool ${LONELY_POOL}`));
  });

  it("Ctrl-C during --wait says the job keeps running and how to follow or cancel it (exit 130)", async () => {
    const proc = spawnCli(["submit", LONELY_TOPIC, "hi", "--wait", "--timeout", "30"], stack.env);
    for (let i = 0; i < 100 && !/job [0-9a-f-]{36}/.test(proc.output()); i++) await sleep(100);
    proc.child.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    const out = proc.output();
    const id = /job ([0-9a-f]{8})/.exec(out)?.[1] ?? "?";
    expect(out).toContain(`job ${id} keeps running`);
    expect(out).toContain(`cortex job ${id}`);
    expect(out).toContain(`cortex cancel ${id}`);
  });
});
