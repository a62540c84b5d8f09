/**
 * The topology docker/docker-compose.yml describes, run without Docker: every cortex service's
 * `command` and `environment` (docker/.env.example filled in) as a local process of the built
 * CLI, started in `depends_on` order once each dependency's own healthcheck passes. Service
 * host names map to loopback ports; real nats-server and redis-server stand in for `nats` and
 * `redis`, the Ollama fixture for `ollama`. Against that split stack `cortex smoke` and a
 * code-review workflow pass, a worker service killed with jobs in flight loses none, and every
 * service exports its spans to an OTLP receiver in this test: a workflow submitted with a W3C
 * traceparent is one trace, the caller's, across the gateway and the worker services.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { credentials, Metadata } from "@grpc/grpc-js";
import { execaSync } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import { loadEnv } from "../../src/config/env.js";
import { CortexApiClient, SubmitJobRequest, type SubmitJobResponse } from "../../src/gen/cortex/v1/api.js";
import { onNats } from "../support/backend.js";
import { type CliProcess, type CliResult, runCli, spawnCli } from "../support/cli.js";
import { type ComposeService, ENV_EXAMPLE, readCompose, readEnvFile } from "../support/compose-file.js";
import { countInStates, countRunning, tallyFault } from "../support/fault-tally.js";
import { freePort } from "../support/free-port.js";
import { httpJson } from "../support/http-api.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import {
  everyJobFinished,
  type OtlpReceiver,
  SpanTree,
  servicesOf,
  startOtlpReceiver,
} from "../support/otlp-receiver.js";
import { checkMetrics } from "../support/promtool.js";
import { type RedisHandle, startRedis } from "../support/redis-server.js";
import { reviewAnswer } from "../support/review-model.js";

/** Compose services that are not cortex, and what stands in for each here. */
const STAND_INS = ["nats", "redis", "ollama"] as const;

/** Every port a cortex process may listen on; each service gets free ones of its own. */
const PORT_VARS = [
  "CORTEX_GRPC_PORT",
  "CORTEX_HTTP_PORT",
  "CORTEX_SAFETY_PORT",
  "CORTEX_METRICS_PORT",
  "CORTEX_SCHEDULER_METRICS_PORT",
  "CORTEX_ORCHESTRATOR_METRICS_PORT",
  "CORTEX_GATEWAY_METRICS_PORT",
] as const;

// Short timeouts (the file's config/ would be mounted in a container): a killed worker's jobs
// come back within seconds.
const TIMEOUTS = `workflows:
  code_review_demo:
    child_timeout_seconds: 30
    total_timeout_seconds: 60
    max_retries: 0
topics:
  job.echo:
    timeout_seconds: 3
    max_retries: 3
  job.workflow.demo:
    workflow: code_review_demo
  job.workflow.plan:
    timeout_seconds: 30
  job.code.llm:
    timeout_seconds: 30
  job.chat.advanced:
    timeout_seconds: 30
reconciler:
  dispatch_timeout_seconds: 20
  running_timeout_seconds: 30
  scan_interval_seconds: 1
`;

const ORIGINAL = "def add(a, b):\n    return a + b\n";
const REVISED = "def add(a: int, b: int) -> int:\n    return a + b\n";
const EXPLANATION = "The function now declares int parameters and an int result.";

const answer = reviewAnswer({ revised: REVISED, explanation: EXPLANATION });

interface Running {
  service: string;
  env: NodeJS.ProcessEnv;
  procs: CliProcess[];
}

/** `cortex X …` of a healthcheck or command: the CLI's arguments. */
function cortexArgs(test: readonly string[]): string[] {
  const [form, bin, ...rest] = test;
  expect([form, bin]).toEqual(["CMD", "cortex"]);
  return rest;
}

/** Services in an order where each comes after everything it depends on. */
function startOrder(services: Record<string, ComposeService>): string[] {
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name)) return;
    if (path.includes(name)) throw new Error(`depends_on cycle: ${[...path, name].join(" → ")}`);
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) visit(dep, [...path, name]);
    order.push(name);
  };
  for (const name of Object.keys(services)) visit(name, []);
  return order;
}

describe.runIf(onNats())("docker-compose topology as local processes", () => {
  let nats: NatsHandle;
  let redis: RedisHandle;
  let fixture: OllamaFixture;
  let receiver: OtlpReceiver;
  let services: Record<string, ComposeService>;
  const running = new Map<string, Running>();
  const oneShots = new Map<string, CliResult>();
  const dirs: string[] = [];
  /** `service:port` of the file → the loopback address that stands in for it. */
  const addresses = new Map<string, string>();
  let clientEnv: NodeJS.ProcessEnv;
  let timeoutsFile = "";
  let client: GatewayClient;
  const apiKey = `compose-${process.pid}`;

  const tempDir = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };

  /** `nats://nats:4222`, `safety:50051`… with every service address replaced by its stand-in. */
  const rewrite = (value: string): string =>
    value.replace(/(?<![\w.-])([a-z][a-z0-9-]*):(\d+)\b/g, (whole, host: string, port: string) => {
      if (!(host in services)) return whole;
      const to = addresses.get(`${host}:${port}`);
      if (to === undefined) throw new Error(`${whole}: no service of the compose file listens there`);
      return to;
    });

  const processEnv = (
    svc: ComposeService,
    ports: Record<string, string>,
    home: string,
  ): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: "1",
      CORTEX_HOME: home,
      TIMEOUT_CONFIG_PATH: timeoutsFile,
      // Spans go out every 200 ms, not every 5 s: the trace is complete soon after the jobs.
      OTEL_BSP_SCHEDULE_DELAY: "200",
    };
    for (const [k, v] of Object.entries(svc.environment ?? {})) env[k] = rewrite(String(v));
    Object.assign(env, ports);
    // Containers bind every interface; here only loopback.
    if (env.CORTEX_BIND === "0.0.0.0") env.CORTEX_BIND = "127.0.0.1";
    return env;
  };

  /** Runs the service's healthcheck until it passes: `condition: service_healthy`. */
  const untilHealthy = async (name: string, env: NodeJS.ProcessEnv): Promise<void> => {
    const test = services[name]?.healthcheck?.test;
    if (test === undefined) throw new Error(`${name} has no healthcheck`);
    const deadline = Date.now() + 30_000;
    let last: CliResult | undefined;
    while (Date.now() < deadline) {
      last = await runCli(cortexArgs(test), env, 10_000);
      if (last.code === 0) return;
      await sleep(300);
    }
    const out = running
      .get(name)
      ?.procs.map((p) => p.output())
      .join("\n");
    throw new Error(`${name} never healthy: ${last?.stdout}${last?.stderr}\n${out}`);
  };

  beforeAll(async () => {
    [nats, redis, fixture, receiver] = await Promise.all([
      startNats(),
      startRedis(),
      startOllamaFixture({ models: [] }),
      startOtlpReceiver(),
    ]);
    await fixture.setBehaviour({ answer });
    // A user's docker/.env: the example, with an API key set and traces exported (to this
    // test's receiver, where a user would name the `otel` profile's collector).
    const vars = { ...readEnvFile(ENV_EXAMPLE), API_KEY: apiKey, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    services = readCompose(vars);
    const active = Object.fromEntries(Object.entries(services).filter(([, s]) => s.profiles === undefined));
    const cortex = Object.keys(active).filter((n) => active[n]?.build !== undefined);
    // Anything else needs a stand-in here, or its part of the topology would go untested.
    expect(
      Object.keys(active)
        .filter((n) => !cortex.includes(n))
        .sort(),
    ).toEqual([...STAND_INS].sort());

    const hostOf = (url: string) => new URL(url).host;
    const standIn: Record<(typeof STAND_INS)[number], string> = {
      nats: hostOf(nats.url.replace(/^nats:/, "http:")),
      redis: hostOf(redis.url),
      ollama: hostOf(fixture.url),
    };
    const root = tempDir("cortex-compose-");
    timeoutsFile = join(root, "timeouts.yaml");
    writeFileSync(timeoutsFile, TIMEOUTS);
    const defaults = loadEnv({});
    const portsOf = new Map<string, Record<string, string>>();
    for (const name of cortex) {
      const ports: Record<string, string> = {};
      for (const v of PORT_VARS) {
        const local = await freePort();
        ports[v] = String(local);
        addresses.set(`${name}:${active[name]?.environment?.[v] ?? defaults[v]}`, `127.0.0.1:${local}`);
      }
      portsOf.set(name, ports);
    }
    for (const name of STAND_INS) {
      // The one port each is reached on in the file (NATS_URL, REDIS_URL, OLLAMA_URL).
      const ref = Object.values(active)
        .flatMap((s) => Object.values(s.environment ?? {}))
        .map((v) => new RegExp(`(?<![\\w.-])${name}:(\\d+)`).exec(String(v))?.[1])
        .find((p) => p !== undefined);
      if (ref !== undefined) addresses.set(`${name}:${ref}`, standIn[name]);
    }

    const done = new Map<string, Promise<void>>();
    for (const name of STAND_INS) done.set(name, Promise.resolve());
    for (const name of startOrder(active)) {
      if (done.has(name)) continue;
      const svc = active[name] as ComposeService;
      const ready = (async () => {
        await Promise.all(
          Object.entries(svc.depends_on ?? {}).map(([dep, { condition }]) => {
            expect(["service_healthy", "service_completed_successfully"]).toContain(condition);
            return done.get(dep);
          }),
        );
        const env = processEnv(svc, portsOf.get(name) ?? {}, tempDir(`cortex-${name}-`));
        const args = svc.command ?? [];
        if (svc.restart === "no") {
          oneShots.set(name, await runCli(args, env, 30_000));
          return;
        }
        const procs = Array.from({ length: svc.deploy?.replicas ?? 1 }, () => spawnCli(args, env));
        running.set(name, { service: name, env, procs });
        await untilHealthy(name, env);
      })();
      done.set(name, ready);
    }
    await Promise.all(done.values());

    const gateway = running.get("gateway") as Running;
    clientEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: "1",
      CORTEX_HOME: tempDir("cortex-client-"),
      CORTEX_GATEWAY_ADDR: `127.0.0.1:${gateway.env.CORTEX_GRPC_PORT}`,
      CORTEX_API_KEY: apiKey,
      OLLAMA_URL: fixture.url,
    };
    client = createGatewayClient({ address: String(clientEnv.CORTEX_GATEWAY_ADDR), apiKey, timeoutMs: 5000 });
  }, 80_000);

  afterAll(async () => {
    client?.close();
    const procs = [...running.values()].flatMap((r) => r.procs);
    for (const p of procs) p.child.kill("SIGTERM");
    await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(5000)]);
    for (const p of procs) p.child.kill("SIGKILL");
    await Promise.all([nats?.stop(), redis?.stop(), fixture?.stop(), receiver?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("starts every service in depends_on order; the one-shot model-pull pulls OLLAMA_MODEL", async () => {
    expect([...running.keys()].sort()).toEqual([
      "chat-advanced",
      "chat-simple",
      "code-llm",
      "echo",
      "gateway",
      "orchestrator",
      "planner",
      "safety",
      "scheduler",
    ]);
    const pull = oneShots.get("model-pull");
    expect(pull?.code, `${pull?.stdout}${pull?.stderr}`).toBe(0);
    const model = String(running.get("gateway")?.env.OLLAMA_MODEL);
    expect(
      fixture.models.some((m) => m === model || m.startsWith(`${model}:`)),
      fixture.models.join(),
    ).toBe(true);
    // A healthcheck fails, fast, when its component does not answer.
    const scheduler = running.get("scheduler") as Running;
    const down = await runCli(
      ["health", "--component", "scheduler", "--timeout", "1000"],
      { ...scheduler.env, CORTEX_METRICS_PORT: String(await freePort()) },
      10_000,
    );
    expect(down.code).toBe(1);
    expect(down.stdout).toContain("scheduler: unhealthy");
    // `cortex ps` as the README has it, against the published gateway port.
    const ps = await runCli(["ps", "--json"], clientEnv);
    expect(ps.code, ps.stderr).toBe(0);
    const pools = (ps.json as { pools: { pool: string; live_workers?: number }[] }).pools;
    // config/pools.yaml: orchestrator and planner serve the workflow pool.
    for (const pool of ["echo", "chat-simple", "chat-advanced", "code-llm", "workflow"])
      expect(pools.find((p) => p.pool === pool)?.live_workers, pool).toBeGreaterThan(0);
  });

  it("every cortex service serves its own /metrics on CORTEX_METRICS_PORT, valid for promtool", async () => {
    for (const [name, r] of running) {
      const res = await fetch(`http://127.0.0.1:${r.env.CORTEX_METRICS_PORT}/metrics`);
      expect(res.status, name).toBe(200);
      const text = await res.text();
      const lint = await checkMetrics(text);
      expect(lint.code, `${name}: ${lint.output}`).toBe(0);
      expect(text, name).toContain("process_resident_memory_bytes");
    }
    const text = (name: string) =>
      fetch(`http://127.0.0.1:${running.get(name)?.env.CORTEX_METRICS_PORT}/metrics`).then((r) => r.text());
    expect(await text("scheduler")).toContain("# TYPE cortex_scheduler_jobs_received_total counter");
    expect(await text("gateway")).toContain("# TYPE cortex_api_gateway_grpc_requests_total counter");
    expect(await text("safety")).toContain("# TYPE cortex_safety_checks_total counter");
    expect(await text("echo")).toContain("# TYPE cortex_job_run_seconds histogram");
  });

  it("cortex smoke passes against the split stack", async () => {
    const r = await runCli(["smoke", "--json"], clientEnv, 60_000);
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    const checks = (r.json as { checks: { name: string; outcome: string }[] }).checks;
    expect(checks.filter((c) => c.outcome !== "pass")).toEqual([]);
  });

  it("a code-review workflow succeeds across the services with a patch that applies", async () => {
    const repo = tempDir("cortex-compose-repo-");
    execaSync("git", ["init", "-q", repo]);
    writeFileSync(join(repo, "calc.py"), ORIGINAL);
    const r = await runCli(
      [
        "submit",
        "code-review",
        "-file",
        "calc.py",
        "-instruction",
        "add type hints",
        "--wait",
        "-out",
        "fix.patch",
      ],
      clientEnv,
      60_000,
      repo,
    );
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    // The steps and the explanation go to stderr, the patch to -out.
    expect(r.stderr).toContain(EXPLANATION);
    expect(readFileSync(join(repo, "fix.patch"), "utf8")).toContain("+def add(a: int, b: int) -> int:");
    execaSync("git", ["apply", "fix.patch"], { cwd: repo });
    expect(readFileSync(join(repo, "calc.py"), "utf8")).toBe(REVISED);
  });

  it("a workflow submitted over HTTP with a traceparent is one trace across the services", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpan = "00f067aa0ba902b7";
    const gateway = running.get("gateway") as Running;
    const sub = await httpJson<{ job_id: string; trace_id: string }>(
      `http://127.0.0.1:${gateway.env.CORTEX_HTTP_PORT}/api/v1/jobs`,
      {
        headers: { traceparent: `00-${traceId}-${callerSpan}-01`, "x-api-key": apiKey },
        body: {
          topic: "job.workflow.demo",
          context: { file_path: "calc.py", code_snippet: ORIGINAL, instruction: "add type hints" },
        },
      },
    );
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    expect(sub.body.trace_id).toBe(traceId);
    const workflowId = sub.body.job_id;
    // The workflow and its three children (plan, patch, explain), each with its finish span.
    const tree = new SpanTree(await receiver.waitForTrace(traceId, (s) => everyJobFinished(s, 4), 45_000));
    expect((await client.getJobStatus(workflowId)).status).toBe("SUCCEEDED");
    // Nothing of the workflow went to another trace.
    const elsewhere = receiver.spans.filter(
      (s) => s.traceId !== traceId && s.attrs["cortex.job.id"] === workflowId,
    );
    expect(elsewhere).toEqual([]);

    const wf = tree.expectJobChain(workflowId, callerSpan);
    expect(wf.admit.attrs["cortex.policy.decision"]).toBe("ALLOW");
    expect(wf.admit.attrs).toHaveProperty("cortex.policy.rule_id");
    expect(wf.run.attrs).toMatchObject({
      "cortex.job.topic": "job.workflow.demo",
      "cortex.job.attempt": "1",
      "cortex.job.outcome": "completed",
    });
    expect(wf.run.attrs["cortex.worker.id"]).not.toBe("");
    // Each span's compose service, by service.name: the gateway admits inline (asking the
    // safety service) and dispatches.
    expect(servicesOf(wf)).toEqual({
      submit: "cortex-gateway",
      admit: "cortex-gateway",
      dispatch: "cortex-gateway",
      run: "cortex-worker-orchestrator",
      finish: "cortex-worker-orchestrator",
    });

    // Every child runs under the workflow's run span, on its own kind's worker service; the
    // orchestrator admits and dispatches its children inline, as the gateway does the workflow.
    const children = tree.named("run").filter((s) => s.attrs["cortex.job.id"] !== workflowId);
    const workerOf: Record<string, string> = {
      "job.workflow.plan": "cortex-worker-planner",
      "job.code.llm": "cortex-worker-code-llm",
      "job.chat.advanced": "cortex-worker-chat-advanced",
    };
    expect(children.map((s) => s.attrs["cortex.job.topic"]).sort()).toEqual(Object.keys(workerOf).sort());
    for (const child of children) {
      const chain = tree.expectJobChain(String(child.attrs["cortex.job.id"]), wf.run.spanId);
      const worker = workerOf[String(child.attrs["cortex.job.topic"])];
      expect(chain.admit.attrs["cortex.policy.decision"]).toBe("ALLOW");
      expect(servicesOf(chain)).toEqual({
        submit: "cortex-worker-orchestrator",
        admit: "cortex-worker-orchestrator",
        dispatch: "cortex-worker-orchestrator",
        run: worker,
        finish: worker,
      });
    }
    // The safety service decides (each admit span's cortex.policy.*) but records no span, and
    // the scheduler records one only for a job admitted later (deferred to sys.job.submit).
    expect([...tree.services()].sort()).toEqual(
      ["cortex-gateway", "cortex-worker-orchestrator", ...Object.values(workerOf)].sort(),
    );
  }, 60_000);

  it("a traceparent in SubmitJob's gRPC metadata is adopted too", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const callerSpan = "b7ad6b7169203331";
    const raw = new CortexApiClient(String(clientEnv.CORTEX_GATEWAY_ADDR), credentials.createInsecure());
    const md = new Metadata();
    md.set("traceparent", `00-${traceId}-${callerSpan}-01`);
    md.set("x-api-key", apiKey);
    const req = SubmitJobRequest.fromPartial({
      topic: "job.code.llm",
      contextJson: JSON.stringify({ file_path: "a.py", code_snippet: ORIGINAL, instruction: "hints" }),
    });
    const res = await new Promise<SubmitJobResponse>((resolve, reject) =>
      raw.submitJob(req, md, (err, out) => (err || !out ? reject(err) : resolve(out))),
    );
    raw.close();
    expect(res.traceId).toBe(traceId);
    const tree = new SpanTree(await receiver.waitForTrace(traceId, (s) => everyJobFinished(s), 30_000));
    expect(servicesOf(tree.expectJobChain(res.jobId, callerSpan))).toEqual({
      submit: "cortex-gateway",
      admit: "cortex-gateway",
      dispatch: "cortex-gateway",
      run: "cortex-worker-code-llm",
      finish: "cortex-worker-code-llm",
    });
  }, 45_000);

  it("kill -9 of the echo service's process with jobs in flight, started again: no job lost", async () => {
    const echo = running.get("echo") as Running;
    const accepted: string[] = [];
    for (let i = 0; i < 16; i++) {
      const { jobId } = await client.submitJob({
        topic: "job.echo",
        contextJson: JSON.stringify({ sleep_ms: 1500, n: i }),
      });
      accepted.push(jobId);
    }
    // In the echo worker's hands: RUNNING, not only dispatched.
    const deadline = Date.now() + 10_000;
    while ((await countInStates(client, ["RUNNING"])) === 0 && Date.now() < deadline) await sleep(50);
    const runningAtFault = await countRunning(client);
    expect(await countInStates(client, ["RUNNING"])).toBeGreaterThan(0);
    for (const p of echo.procs.splice(0)) {
      p.child.kill("SIGKILL");
      await p.exited;
    }
    // The same command and environment, as `restart: unless-stopped` would.
    const svc = services.echo as ComposeService;
    echo.procs.push(spawnCli(svc.command ?? [], echo.env));
    const faultEndedAt = Date.now();
    const tally = await tallyFault(client, {
      name: "kill -9 echo service (compose topology)",
      accepted,
      rejected: 0,
      runningAtFault,
      faultEndedAt,
      recoveryBoundMs: 30_000,
    });
    expect(tally).toMatchObject({ accepted: 16, lost: 0, stuck: 0 });
    // The killed process's jobs ran again, and only those.
    expect(tally.runTwice).toBeGreaterThan(0);
    expect(tally.runTwice).toBeLessThanOrEqual(runningAtFault);
    await untilHealthy("echo", echo.env);
  });
});
