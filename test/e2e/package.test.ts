/**
 * The package as a user gets it: `npm pack` of the built checkout, the tarball installed into
 * a fresh project with npm, and a small TypeScript program, type-checked by tsc against the
 * installed .d.ts and run with node, that submits an echo job to a running stack through
 * `import … from "cortex"`, and a handler module written with `cortex/worker` that the
 * daemon loads (`cortex up --worker`) and runs a job of its topic. Deep imports are blocked
 * by `exports`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/config/package-root.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const API_KEY = "package-test-key";
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
/** npm install of the tarball's dependencies, from npm's cache when it has them (about 15 s). */
const INSTALL_TIMEOUT_MS = 120_000;
/** Pack and install (about 20 s alone) beside the stack's start, on a loaded machine. */
const SETUP_TIMEOUT_MS = 180_000;

/** A user's handler module: it imports the SDK from the installed package, not from this checkout. */
const HANDLERS = `import { defineWorker } from "cortex/worker";
export default defineWorker({
  pool: "pkg",
  topics: { "job.pkg.hello": (input, ctx) => ({ hello: input.prompt, attempt: ctx.attempt }) },
});
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
      `${readFileSync(join(packageRoot(), "config/pools.yaml"), "utf8")}  job.pkg.hello: pkg\n`,
    );
    const [started] = await Promise.all([
      startTestStack({ extraEnv: { API_KEY, POOL_CONFIG_PATH: pools } }),
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
});
