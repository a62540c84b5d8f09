/**
 * The package as a user gets it: `npm pack` of the built checkout, the tarball installed into
 * a fresh project with npm, and a small TypeScript program, type-checked by tsc against the
 * installed .d.ts and run with node, that submits an echo job to a running stack through
 * `import … from "cortex"`, and a handler module written with `cortex/worker` that the
 * daemon loads (`cortex up --worker`): a job of its topic succeeds, and through the built CLI
 * cancel reaches its AbortSignal, its progress reaches `--wait`, a thrown error fails the job
 * after its retries and a NonRetryableError after one attempt. Deep imports are blocked by
 * `exports`. One pack and install per run of the file, on each backend.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobResult, SubmitResult } from "../../src/client/json-shapes.js";
import { packageRoot } from "../../src/config/package-root.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const API_KEY = "package-test-key";
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
/** npm install of the tarball's dependencies, from npm's cache when it has them (about 15 s). */
const INSTALL_TIMEOUT_MS = 120_000;
/** Pack and install (about 20 s alone) beside the stack's start, on a loaded machine. */
const SETUP_TIMEOUT_MS = 180_000;

/**
 * A user's handler module: it imports the SDK from the installed package, not from this
 * checkout. A topic for each behaviour of the SDK the test checks through the built CLI.
 */
const HANDLERS = `import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { defineWorker, NonRetryableError } from "cortex/worker";
export default defineWorker({
  pool: "pkg",
  topics: {
    "job.pkg.hello": (input, ctx) => ({ hello: input.prompt, attempt: ctx.attempt }),
    "job.pkg.progress": async (_input, ctx) => {
      for (const word of ["one ", "two ", "three"]) {
        ctx.progress(word);
        await sleep(30);
      }
      return { words: 3 };
    },
    // Sleeps far past the test's wait unless the abort ends the sleep.
    "job.pkg.slow": async (input, ctx) => {
      try {
        await sleep(120_000, undefined, { signal: ctx.signal });
      } catch (err) {
        writeFileSync(input.marker, String(ctx.signal.reason?.kind ?? ctx.signal.reason));
        throw err;
      }
      return { slept: true };
    },
    "job.pkg.throw": (input) => { throw new Error("pkg handler broke on " + input.n); },
    "job.pkg.final": () => { throw new NonRetryableError("pkg input can never work"); },
  },
});
`;

/** The topics of HANDLERS, all on its pool. */
const TOPICS = ["job.pkg.hello", "job.pkg.progress", "job.pkg.slow", "job.pkg.throw", "job.pkg.final"];

/** Retry budgets under the shipped topics: a retried failure and one that must not be retried. */
const TIMEOUT_TOPICS = `topics:
  job.pkg.throw: { timeout_seconds: 10, max_retries: 1 }
  job.pkg.final: { timeout_seconds: 10, max_retries: 2 }
  job.pkg.slow: { timeout_seconds: 60 }
`;

const PROGRAM = `import { type CortexClient, createClient, isCortexError, type JobInfo, submitAndWait } from "cortex";
import { defineWorker, NonRetryableError } from "cortex/worker";

// The worker SDK's types are real too.
void defineWorker({ pool: "pkg", topics: { "job.pkg.typed": async (_input, ctx) => ({ id: ctx.jobId, t: ctx.tenant }) } });
// @ts-expect-error a worker needs its pool (never called: it would throw)
void (() => defineWorker({ topics: {} }));
void new NonRetryableError("typed");

// The types are real, not any: a job needs a topic.
// @ts-expect-error topic is missing
void (async (c: CortexClient) => c.submit({ prompt: "no topic" }));

const done = await submitAndWait({ topic: "job.echo", prompt: "hello from the package" }, { timeoutMs: 30_000 });
const job: JobInfo = done.job;
const client = createClient({ timeoutMs: 5_000 });
const got = await client.get(job.jobId, { includeResult: true });
const missing = await client.get("no-such-job").catch((err: unknown) => (isCortexError(err) ? err.code : err));
const many = await client.submitMany([1, 2].map((n) => ({ topic: "job.echo", prompt: \`many \${n}\` })));
const manyStates = many.map((o) => (o.status === "fulfilled" ? o.value.job.state : String(o.reason)));
const listed = (await client.list({ topic: "job.echo", limit: 10 })).jobs.length;
const user = await submitAndWait({ topic: "job.pkg.hello", prompt: "from the package" }, { timeoutMs: 30_000 });
client.close();
console.log(JSON.stringify({ state: job.state, result: done.result, stored: got.job?.state, missing, manyStates, listed, user: { state: user.job.state, result: user.result } }));
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    // The program's use of the installed .d.ts is checked; checking every dependency's own
    // .d.ts (@types/node, grpc-js) too would take 20 s. @types/node comes from this checkout.
    skipLibCheck: true,
    typeRoots: [join(packageRoot(), "node_modules/@types")],
    types: ["node"],
    outDir: "out",
  },
  files: ["main.ts"],
};

// On both backends: the worker defined with the installed SDK runs in the daemon of each.
describe("the packed package", () => {
  let stack: TestStack;
  let dir: string;
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await work();
    } finally {
      timings[name] = Date.now() - started;
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cortex-package-"));
    const project = join(dir, "project");
    // The shipped routing plus the user's topic, served by the handler module's pool.
    const pools = join(dir, "pools.yaml");
    writeFileSync(
      pools,
      `${readFileSync(join(packageRoot(), "config/pools.yaml"), "utf8")}${TOPICS.map((t) => `  ${t}: pkg\n`).join("")}`,
    );
    const shippedTimeouts = readFileSync(join(packageRoot(), "config/timeouts.yaml"), "utf8");
    const timeoutsYaml = shippedTimeouts.replace(/^topics:\n/m, TIMEOUT_TOPICS);
    expect(timeoutsYaml).not.toBe(shippedTimeouts);
    const [started] = await Promise.all([
      startTestStack({ timeoutsYaml, extraEnv: { API_KEY, POOL_CONFIG_PATH: pools } }),
      timed("pack", () =>
        // --ignore-scripts: `prepare` would rebuild dist/, which the e2e suite has built already.
        execa("npm", ["pack", packageRoot(), "--ignore-scripts", "--silent", "--pack-destination", dir], {
          timeout: 60_000,
        }),
      ),
    ]);
    stack = started;
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    writeFileSync(join(dir, "package.json"), "{}"); // keeps npm from walking up to another project
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "p", private: true, type: "module" }),
    );
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG));
    writeFileSync(join(project, "main.ts"), PROGRAM);
    await timed("install", () =>
      // From npm's cache when it has the dependencies (npm ci filled it), the registry otherwise;
      // no install scripts: the client needs no native module (better-sqlite3 is the daemon's).
      execa(
        "npm",
        [
          "install",
          "--prefer-offline",
          "--no-audit",
          "--no-fund",
          "--ignore-scripts",
          join(dir, String(tarball)),
        ],
        { cwd: project, timeout: INSTALL_TIMEOUT_MS },
      ),
    );
    writeFileSync(join(project, "handlers.mjs"), HANDLERS);
    const up = await stack.cli(["up", "--worker", join(project, "handlers.mjs"), "--json"]);
    expect(up.code, up.stderr).toBe(0);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    console.log(`package test timings (ms): ${JSON.stringify(timings)}`);
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("type-checks and runs a program that imports cortex and cortex/worker, gets an echo job's result and one of its own worker's", async () => {
    const project = join(dir, "project");
    const tsc = await timed("tsc", () =>
      execa(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: project, reject: false, timeout: 60_000 }),
    );
    expect(tsc.exitCode, `${tsc.stdout}${tsc.stderr}`).toBe(0);

    const run = await timed("run", () =>
      execa(process.execPath, ["out/main.js"], {
        cwd: project,
        // The address and key from the environment, as the CLI reads them.
        env: {
          PATH: process.env.PATH,
          CORTEX_GRPC_PORT: stack.env.CORTEX_GRPC_PORT,
          CORTEX_API_KEY: API_KEY,
        },
        extendEnv: false,
        reject: false,
        timeout: 45_000,
      }),
    );
    expect(run.exitCode, `${run.stdout}${run.stderr}`).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      state: "SUCCEEDED",
      result: { received_ctx: { prompt: "hello from the package" } },
      stored: "SUCCEEDED",
      missing: "JOB_NOT_FOUND",
      manyStates: ["SUCCEEDED", "SUCCEEDED"],
      listed: 3,
      user: { state: "SUCCEEDED", result: { hello: "from the package", attempt: 1 } },
    });
  }, 90_000);

  it("blocks deep imports of dist/ with ERR_PACKAGE_PATH_NOT_EXPORTED", async () => {
    const deep = await execa(
      process.execPath,
      ["--input-type=module", "-e", 'await import("cortex/dist/client/gateway-client.js")'],
      { cwd: join(dir, "project"), reject: false, timeout: 20_000 },
    );
    expect(deep.exitCode).not.toBe(0);
    expect(deep.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
  const jobOf = async (id: string) => {
    const r = await stack.cli(["job", id, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return (r.json as JobResult).job;
  };
  /** Polls `cortex job` until the job is in `state` (or 10 s pass); its last view. */
  const jobInState = async (id: string, state: string) => {
    let job = await jobOf(id);
    for (let i = 0; i < 50 && job?.state !== state; i++) {
      await new Promise((r) => setTimeout(r, 200));
      job = await jobOf(id);
    }
    return job;
  };

  it("cancel reaches the installed SDK handler's AbortSignal and the job ends CANCELLED", async () => {
    const marker = join(dir, "aborted");
    const submitted = await stack.cli([
      "submit",
      "job.pkg.slow",
      "--context",
      JSON.stringify({ marker }),
      "--json",
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = (submitted.json as SubmitResult).job_id;
    expect((await jobInState(id, "RUNNING"))?.state).toBe("RUNNING");
    const cancel = await stack.cli(["cancel", id, "--json"]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect((await jobInState(id, "CANCELLED"))?.state).toBe("CANCELLED");
    for (let i = 0; i < 50 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(marker, "utf8")).toBe("cancel");
  });

  it("ctx.progress reaches submit --wait", async () => {
    const r = await stack.cli(["submit", "job.pkg.progress", "--wait", "--timeout", "30"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("one two three");
  });

  it("a thrown error fails the job with its message after its retries; NonRetryableError after one attempt", async () => {
    const run = (topic: string, context: object) =>
      stack.cli([
        "submit",
        topic,
        "--context",
        JSON.stringify(context),
        "--wait",
        "--timeout",
        "30",
        "--json",
      ]);
    const [plain, final] = await Promise.all([run("job.pkg.throw", { n: 7 }), run("job.pkg.final", {})]);
    expect(plain.code, plain.stderr).toBe(1);
    expect(final.code, final.stderr).toBe(1);
    const thrown = await jobOf((plain.json as SubmitResult).job_id);
    expect(thrown?.state).toBe("FAILED");
    expect(thrown?.reason).toContain("pkg handler broke on 7");
    expect(thrown?.attempts).toBe(2);
    const nonRetryable = await jobOf((final.json as SubmitResult).job_id);
    expect(nonRetryable?.state).toBe("FAILED");
    expect(nonRetryable?.reason).toContain("pkg input can never work");
    expect(nonRetryable?.attempts).toBe(1);
  });
});
