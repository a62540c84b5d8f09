/**
 * The user's path through the built CLI: up (on nats it starts its own nats-server and
 * redis-server here) → ps → submit --wait → the result (in Redis on nats) → smoke → down →
 * ps exits 3.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type {
  DownResult,
  JobResult,
  PsResult,
  SmokeResult,
  SubmitResult,
  UpResult,
} from "../../src/client/json-shapes.js";
import { onNats, testBackend } from "../support/backend.js";
import { type CliResult, removeHome, runCli, stackEnv } from "../support/cli.js";
import { freePort } from "../support/free-port.js";

describe("stack lifecycle through the CLI", () => {
  let env: NodeJS.ProcessEnv;
  let redisUrl: string;

  afterAll(async () => {
    if (env) await runCli(["down"], env);
    if (env) removeHome(env);
  });

  const expectOk = (r: CliResult) => expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

  it("up starts the daemon (on nats also NATS and Redis), and is idempotent", async () => {
    if (onNats()) {
      // Nothing answers on these ports, so `up` starts and manages both servers.
      const [natsPort, redisPort] = [await freePort(), await freePort()];
      redisUrl = `redis://127.0.0.1:${redisPort}`;
      env = await stackEnv({ natsUrl: `nats://127.0.0.1:${natsPort}`, redisUrl });
    } else {
      env = await stackEnv({});
    }
    const up = await runCli(["up", "--json"], env);
    expectOk(up);
    const upJson = up.json as UpResult;
    expect(upJson.status).toBe("started");
    expect(upJson.backend).toBe(testBackend());
    expect(upJson.servers.map((s) => [s.kind, s.managed])).toEqual(
      onNats()
        ? [
            ["nats", true],
            ["redis", true],
          ]
        : [],
    );
    expect(upJson.components.map((c) => c.name).sort()).toEqual([
      "gateway",
      "safety",
      "scheduler",
      "workers",
    ]);
    expect(upJson.components.every((c) => c.state === "running")).toBe(true);
    // The daemon runs with a V8 heap cap, which keeps its resident size near its live set.
    const cmdline = readFileSync(`/proc/${(up.json as UpResult).pid}/cmdline`, "utf8").split("\0");
    expect(cmdline).toContain("--max-old-space-size=512");

    const again = await runCli(["up", "--json"], env);
    expectOk(again);
    expect((again.json as UpResult).status).toBe("already-running");
  });

  it("ps lists components and pools with live workers", async () => {
    const ps = await runCli(["ps", "--json"], env);
    expectOk(ps);
    const json = ps.json as PsResult;
    expect(json.components.map((c) => c.state)).toEqual(["running", "running", "running", "running"]);
    expect(json.backend).toBe(testBackend());
    // data_path is omitted on nats, where there is no store file.
    expect(json.data_path).toBe(onNats() ? undefined : join(String(env.CORTEX_HOME), "data", "cortex.db"));
    const echo = json.pools.find((p) => p.pool === "echo");
    expect(echo?.live_workers).toBe(1);
    expect(echo?.capacity).toBeGreaterThan(0);
    const human = await runCli(["ps"], env);
    expect(human.stdout).toContain("COMPONENT");
    expect(human.stdout).toContain("scheduler");
  });

  it("submit echo hello --wait --json returns the echo result, stored at res:<id>", async () => {
    const sub = await runCli(["submit", "echo", "hello", "--wait", "--json"], env);
    expectOk(sub);
    const out = sub.json as SubmitResult & { result: Record<string, unknown> };
    expect(out.state).toBe("SUCCEEDED");
    expect(out.result).toMatchObject({ job_id: out.job_id, received_ctx: { prompt: "hello" } });
    expect(typeof out.result.processed_by).toBe("string");
    expect(Number.isNaN(Date.parse(String(out.result.completed_at_utc)))).toBe(false);

    // The v1 key layout is Redis's; embedded keeps the result in its SQLite file.
    if (onNats()) {
      const redis = new Redis(redisUrl);
      try {
        const stored = JSON.parse((await redis.get(`res:${out.job_id}`)) ?? "null");
        expect(stored).toEqual(out.result);
        expect(await redis.hget(`job:meta:${out.job_id}`, "state")).toBe("SUCCEEDED");
      } finally {
        redis.disconnect();
      }
    }

    const job = await runCli(["job", out.job_id, "--json"], env);
    expectOk(job);
    expect((job.json as JobResult).job?.state).toBe("SUCCEEDED");
  });

  it("smoke passes", async () => {
    const smoke = await runCli(["smoke", "--json"], env);
    expectOk(smoke);
    const json = smoke.json as SmokeResult;
    expect(json.ok).toBe(true);
    // No Ollama in this stack: the LLM flows are reported as skipped, never as passed.
    expect(json.checks.map((c) => [c.name, c.outcome])).toEqual([
      ["echo", "pass"],
      ["chat", "pass"],
      ["chat-advanced", "skip"],
      ["code-llm", "skip"],
    ]);
  });

  it("serves Prometheus counters, /health and /ready, and per-component logs", async () => {
    const metrics = await fetch(`http://127.0.0.1:${env.CORTEX_SCHEDULER_METRICS_PORT}/metrics`).then((r) =>
      r.text(),
    );
    expect(metrics).toMatch(/cortex_scheduler_jobs_received_total\{topic="job.echo"\} \d+/);
    expect(metrics).toMatch(/cortex_scheduler_jobs_dispatched_total\{topic="job.echo"\} \d+/);
    expect(metrics).toMatch(
      /cortex_scheduler_jobs_completed_total\{topic="job.echo",status="succeeded"\} \d+/,
    );
    expect(metrics).toContain("cortex_scheduler_safety_denied_total");
    const health = await fetch(`http://127.0.0.1:${env.CORTEX_HTTP_PORT}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${env.CORTEX_HTTP_PORT}/ready`);
    expect(ready.status).toBe(200);
    const logs = await runCli(["logs", "scheduler", "-n", "5"], env);
    expectOk(logs);
    const lines = logs.stdout.trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes("scheduler"))).toBe(true);
  });

  it("down stops everything up started; ps then exits 3", async () => {
    const down = await runCli(["down", "--json"], env);
    expectOk(down);
    const json = down.json as DownResult;
    expect(json.daemon).toBe("stopped");
    expect(json.servers.map((s) => s.kind).sort()).toEqual(onNats() ? ["nats", "redis"] : []);
    const ps = await runCli(["ps"], env);
    expect(ps.code).toBe(3);
    expect(ps.stderr).toMatch(/cortex up/);
  });
});
