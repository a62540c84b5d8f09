/**
 * The embedded backend through the built CLI (e2e-embedded project only): nothing but Node on
 * PATH, a corrupt database file, the commands that need nats, and data that outlives
 * `cortex down`. The kill -9 of the daemon under load is in test/faults/embedded.test.ts.
 */

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execaSync } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import type { SubmitResult } from "../../src/client/json-shapes.js";
import { waitForJob } from "../../src/client/wait-for-job.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const home = (stack: TestStack, ...parts: string[]) => join(String(stack.env.CORTEX_HOME), ...parts);

/** A directory holding only a `node` symlink: a PATH on which nothing else is found. */
function nodeOnlyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "cortex-node-only-"));
  symlinkSync(process.execPath, join(dir, "node"));
  return dir;
}

const isFound = (bin: string, path: string): boolean => {
  try {
    execaSync("/bin/sh", ["-c", `command -v ${bin}`], {
      env: { PATH: path },
      extendEnv: false,
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
};

describe("embedded backend", () => {
  let stack: TestStack | undefined;
  const dirs: string[] = [];

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("runs with nothing but Node on PATH: up, submit echo --wait, ps says embedded", async () => {
    const bin = nodeOnlyPath();
    dirs.push(bin);
    // /bin here holds redis-server, so PATH is the node-only directory alone.
    expect(isFound("node", bin)).toBe(true);
    expect(isFound("nats-server", bin)).toBe(false);
    expect(isFound("redis-server", bin)).toBe(false);
    stack = await startTestStack({ extraEnv: { PATH: bin } });
    expect(stack.env.NATS_URL).toBeUndefined();
    expect(stack.env.REDIS_URL).toBeUndefined();
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    expect(up.json).toMatchObject({ backend: "embedded", data_path: home(stack, "data", "cortex.db") });
    const sub = await stack.cli(["submit", "echo", "hello", "--wait", "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.json).toMatchObject({ state: "SUCCEEDED", result: { received_ctx: { prompt: "hello" } } });
    const ps = await stack.cli(["ps", "--json"]);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.json).toMatchObject({ backend: "embedded", data_path: home(stack, "data", "cortex.db") });
    const log = readFileSync(home(stack, "logs", "daemon.log"), "utf8");
    expect(log).not.toMatch(/nats-server|redis-server/);
  });

  it("a corrupt database file: up fails naming the file and the fix, and leaves no daemon", async () => {
    stack = await startTestStack();
    const db = home(stack, "data", "cortex.db");
    mkdirSync(home(stack, "data"), { recursive: true });
    writeFileSync(db, "this is not a SQLite database ".repeat(200));
    const up = await stack.cli(["up"]);
    expect(up.code, up.stdout).not.toBe(0);
    expect(up.stderr).toContain(db);
    expect(up.stderr).toContain("is damaged or not a cortex database");
    expect(up.stderr).toContain("move the file aside");
    const ps = await stack.cli(["ps"]);
    expect(ps.code).toBe(3);
    const pidFile = home(stack, "daemon.pid");
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      expect(() => process.kill(pid, 0), `daemon ${pid} still alive`).toThrow();
    }
  });

  it("worker start and daemon --only exit 2 naming the nats backend", async () => {
    stack = await startTestStack();
    for (const args of [
      ["worker", "start", "echo"],
      ["daemon", "--only", "gateway"],
    ]) {
      const r = await stack.cli(args, 20_000);
      expect(r.code, `${args.join(" ")}: ${r.stdout}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/needs the nats backend/);
      expect(r.stderr).toMatch(/--backend nats/);
    }
  });

  it("a finished job survives `cortex down` and `cortex up`", async () => {
    stack = await startTestStack();
    expect((await stack.cli(["up"])).code).toBe(0);
    const sub = await stack.cli(["submit", "echo", "keep me", "--wait", "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
    const id = (sub.json as SubmitResult).job_id;
    expect((await stack.cli(["down"])).code).toBe(0);
    expect((await stack.cli(["job", id, "--json"])).code).toBe(3);
    const up = await stack.cli(["up"]);
    expect(up.code, up.stderr).toBe(0);
    const job = await stack.cli(["job", id, "--json"]);
    expect(job.code, job.stderr).toBe(0);
    expect(job.json).toMatchObject({ job: { state: "SUCCEEDED" } });
    const done = await waitForJob(stack.client(), id, { timeoutMs: 5_000 });
    expect(done.result).toMatchObject({ received_ctx: { prompt: "keep me" } });
  });
});
