/**
 * Worker-SDK handlers run as cortex jobs, through the built CLI on both backends: a module
 * loaded by pools.yaml `workers:` and `up --worker` (the examples), and on nats one in its
 * own `cortex worker start` process. One stack for the file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobResult, PsResult, SubmitResult, UpResult } from "../../src/client/json-shapes.js";
import { packageRoot } from "../../src/config/package-root.js";
import { onNats } from "../support/backend.js";
import { type CliProcess, runCli, spawnCli } from "../support/cli.js";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const ROOT = packageRoot();
const SDK = JSON.stringify(resolve(ROOT, "dist/sdk/index.js"));
const ZOD = JSON.stringify(resolve(ROOT, "node_modules/zod/index.js"));

/** The test's handlers: each topic is one behaviour to check. */
const HANDLERS = `import { z } from ${ZOD};
import { writeFileSync } from "node:fs";
import { defineWorker, NonRetryableError } from ${SDK};
export default defineWorker({
  pool: "user",
  topics: {
    "job.u.ok": (input, ctx) => ({ hello: input.name, tenant: ctx.tenant, attempt: ctx.attempt }),
    "job.u.progress": async (_input, ctx) => {
      ctx.progress("alpha ");
      await new Promise((r) => setTimeout(r, 50));
      ctx.progress("beta");
      return { done: true };
    },
    "job.u.slow": (input, ctx) => new Promise((_, reject) => {
      ctx.signal.addEventListener("abort", () => {
        writeFileSync(input.marker, String(ctx.signal.reason?.kind ?? ctx.signal.reason));
        reject(ctx.signal.reason);
      });
    }),
    "job.u.throw": (input) => { throw new Error("boom " + input.n); },
    "job.u.nonretry": () => { throw new NonRetryableError("this input can never work"); },
    "job.u.schema": {
      input: z.object({ n: z.number() }),
      handler: (input) => { writeFileSync(input.marker, "ran"); return input; },
    },
  },
});
`;

const POOLS = `topics:
  job.echo: echo
  job.chat.simple: chat-simple
  job.chat.advanced: chat-advanced
  job.code.llm: code-llm
  job.workflow.plan: workflow
  job.workflow.demo: workflow
  job.u.ok: user
  job.u.progress: user
  job.u.slow: user
  job.u.throw: user
  job.u.nonretry: user
  job.u.schema: user
  job.u.remote: remote
  job.summarize: summarize
  job.fanout: fan-out
  job.fanout.part: fan-out-part
workers:
  - ./handlers.js
`;

const TIMEOUTS = `workflows: {}
topics:
  job.u.throw: { timeout_seconds: 10, max_retries: 1 }
  job.u.nonretry: { timeout_seconds: 10, max_retries: 2 }
  job.u.slow: { timeout_seconds: 30 }
reconciler:
  dispatch_timeout_seconds: 60
  running_timeout_seconds: 60
  scan_interval_seconds: 5
`;

describe("user workers (worker SDK)", () => {
  let stack: TestStack;
  let llm: OllamaFixture;
  let dir: string;
  let remote: CliProcess | undefined;

  const submit = async (topic: string, context: object, wait = true) => {
    const args = ["submit", topic, "--context", JSON.stringify(context), "--json"];
    const r = await stack.cli(wait ? [...args, "--wait", "--timeout", "30"] : args);
    return { ...r, out: r.json as SubmitResult };
  };

  beforeAll(async () => {
    llm = await startOllamaFixture();
    stack = await startTestStack({ timeoutsYaml: TIMEOUTS, extraEnv: { OLLAMA_URL: llm.url } });
    dir = join(String(stack.env.CORTEX_HOME), "user");
    mkdirSync(dir);
    writeFileSync(join(dir, "handlers.js"), HANDLERS);
    writeFileSync(join(dir, "pools.yaml"), POOLS);
    writeFileSync(join(dir, "broken.js"), `throw new Error("cannot start: no API token");\n`);
    writeFileSync(
      join(dir, "unrouted.js"),
      `import { defineWorker } from ${SDK};\nexport default defineWorker({ pool: "user", topics: { "job.u.nowhere": () => 1 } });\n`,
    );
    writeFileSync(
      join(dir, "remote.js"),
      `import { defineWorker } from ${SDK};\nexport default defineWorker({ pool: "remote", topics: { "job.u.remote": (i, ctx) => ({ by: ctx.workerId }) } });\n`,
    );
    stack.env.POOL_CONFIG_PATH = join(dir, "pools.yaml");
    const up = await stack.cli([
      "up",
      "--worker",
      join(ROOT, "examples/summarize/handlers.js"),
      "--worker",
      join(ROOT, "examples/fan-out/handlers.js"),
    ]);
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    remote?.child.kill("SIGTERM");
    await remote?.exited;
    await stack?.stop();
    await llm?.stop();
  });

  it("a job of a user topic succeeds with the handler's result, and ps lists the user pool", async () => {
    const r = await submit("job.u.ok", { name: "ada" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.state).toBe("SUCCEEDED");
    expect(r.out.result).toEqual({ hello: "ada", tenant: "default", attempt: 1 });
    const ps = (await stack.cli(["ps", "--json"])).json as PsResult;
    const pool = ps.pools.find((p) => p.pool === "user");
    expect(pool?.live_workers).toBe(1);
    expect(ps.workers.some((w) => w.pool === "user")).toBe(true);
  });

  it("progress reaches submit --wait", async () => {
    const r = await stack.cli(["submit", "job.u.progress", "--wait", "--timeout", "30"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("alpha beta");
  });

  it("cancel reaches the handler's AbortSignal", async () => {
    const marker = join(dir, "cancelled");
    const { out } = await submit("job.u.slow", { marker }, false);
    for (
      let i = 0;
      i < 50 && !(await stack.cli(["job", out.job_id, "--json"])).stdout.includes("RUNNING");
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    const c = await stack.cli(["cancel", out.job_id, "--json"]);
    expect(c.code, c.stderr).toBe(0);
    for (let i = 0; i < 50 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(marker, "utf8")).toBe("cancel");
  });

  it("a thrown error fails the job with its message, retried per timeouts.yaml; NonRetryableError is not", async () => {
    const [plain, final] = await Promise.all([submit("job.u.throw", { n: 7 }), submit("job.u.nonretry", {})]);
    expect(plain.out.state).toBe("FAILED");
    expect(plain.out.reason).toContain("boom 7");
    expect(plain.out.attempts).toBe(2);
    expect(final.out.state).toBe("FAILED");
    expect(final.out.reason).toContain("this input can never work");
    expect(final.out.attempts).toBe(1);
  });

  it("a context failing the input schema fails the job without running the handler", async () => {
    const marker = join(dir, "schema-ran");
    const r = await submit("job.u.schema", { n: "seven", marker });
    expect(r.out.state).toBe("FAILED");
    expect(r.out.reason).toMatch(/input schema: n: /);
    expect(r.out.attempts).toBe(1);
    expect(existsSync(marker)).toBe(false);
  });

  it("a module that fails to load stops up with its file and error; an unrouted topic names both", async () => {
    const broken = await stack.cli(["up", "--worker", join(dir, "broken.js")]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(join(dir, "broken.js"));
    expect(broken.stderr).toContain("cannot start: no API token");
    const unrouted = await stack.cli(["up", "--worker", join(dir, "unrouted.js")]);
    expect(unrouted.code).toBe(2);
    expect(unrouted.stderr).toContain("job.u.nowhere");
    expect(unrouted.stderr).toContain('pool "user"');
    expect(unrouted.stderr).toContain(join(dir, "pools.yaml"));
  });

  it("up --worker on the running stack: a module its daemon runs is already-running; another is exit 2 saying how to load it", async () => {
    const loaded = await stack.cli([
      "up",
      "--worker",
      join(ROOT, "examples/summarize/handlers.js"),
      "--json",
    ]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect((loaded.json as UpResult).status).toBe("already-running");
    // From the module's folder, as a user types it.
    const other = await runCli(["up", "--worker", "./remote.js"], stack.env, undefined, dir);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("the stack is already running without ./remote.js");
    // The restart it suggests keeps the --worker modules the daemon runs (pools.yaml's load anyway).
    expect(other.stderr).toContain(
      `cortex up --restart --worker ${join(ROOT, "examples/summarize/handlers.js")} --worker ${join(ROOT, "examples/fan-out/handlers.js")} --worker ./remote.js\``,
    );
    expect(other.stderr).toContain("cortex worker start ./remote.js");
    const json = await runCli(["up", "--worker", "./remote.js", "--json"], stack.env, undefined, dir);
    expect(json.code).toBe(2);
    expect(json.json).toMatchObject({
      error: {
        code: "INVALID_ARGUMENT",
        message: expect.stringContaining("already running without ./remote.js"),
        hint: expect.stringContaining("--worker ./remote.js` to load it into the daemon"),
      },
    });
    // Nothing was loaded or restarted: the daemon still runs its modules.
    const ps = (await stack.cli(["ps", "--json"])).json as PsResult;
    expect(ps.pools.find((p) => p.pool === "user")?.live_workers).toBe(1);
  });

  it("examples/summarize streams the model's summary and returns it", async () => {
    llm.setBehaviour({ answer: "Short and sweet." });
    const r = await stack.cli([
      "submit",
      "job.summarize",
      "--context",
      JSON.stringify({ text: "A long text about NATS JetStream and Redis." }),
      "--wait",
      "--timeout",
      "30",
    ]);
    expect(r.code, r.stderr).toBe(0);
    // Streamed before the result document is printed.
    expect(r.stdout.indexOf("Short and sweet.")).toBeGreaterThanOrEqual(0);
    expect(r.stdout.indexOf("Short and sweet.")).toBeLessThan(r.stdout.indexOf("{"));
    const bad = await submit("job.summarize", { text: "" });
    expect(bad.out.state).toBe("FAILED");
    expect(bad.out.reason).toContain("input schema: text");
  });

  it("examples/fan-out submits linked children and aggregates their results", async () => {
    const r = await submit("job.fanout", { items: ["a", "b", "c"] });
    expect(r.code, r.stderr).toBe(0);
    const result = r.out.result as { count: number; parts: string[]; children: string[] };
    expect(result.count).toBe(3);
    expect(result.parts).toEqual(["A", "B", "C"]);
    const child = (await stack.cli(["job", result.children[0] ?? "", "--json"])).json as JobResult;
    expect(child.job?.parent_job_id).toBe(r.out.job_id);
  });

  it.runIf(onNats())(
    "worker start <module> serves its pool from its own process; before it, the wait names the command",
    async () => {
      const { out } = await submit("job.u.remote", {}, false);
      let job: JobResult | undefined;
      for (let i = 0; i < 50 && !job?.job?.waiting_reason; i++) {
        job = (await stack.cli(["job", out.job_id, "--json"])).json as JobResult;
        if (!job.job?.waiting_reason) await new Promise((r) => setTimeout(r, 200));
      }
      expect(job?.job?.waiting_reason).toContain("cortex worker start <module>");
      expect(job?.job?.waiting_reason).toContain('pool "remote"');
      const broken = await stack.cli(["worker", "start", join(dir, "broken.js")]);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toContain(join(dir, "broken.js"));
      remote = spawnCli(["worker", "start", join(dir, "remote.js")], stack.env);
      let state = "";
      for (let i = 0; i < 100 && state !== "SUCCEEDED"; i++) {
        state = ((await stack.cli(["job", out.job_id, "--json"])).json as JobResult).job?.state ?? "";
        if (state !== "SUCCEEDED") await new Promise((r) => setTimeout(r, 200));
      }
      expect(state, remote.output()).toBe("SUCCEEDED");
    },
  );
});
