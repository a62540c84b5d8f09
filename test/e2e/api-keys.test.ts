/**
 * A daemon started by the built CLI with API_KEY and CORTEX_API_KEYS_FILE: the CLI gets
 * in with CORTEX_API_KEY and not without it, HTTP and the WebSocket want their key too,
 * a tenant-bound key cannot read another tenant's job, and after all of it (debug
 * logging on) no key appears in the daemon's log.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobResult, SubmitResult } from "../../src/client/json-shapes.js";
import type { CliResult } from "../support/cli.js";
import { type ApiError, httpJson, openStream, streamRefusal } from "../support/http-api.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const ADMIN = "e2e-admin-key-5f1c9a7d3b";
const ACME = "e2e-acme-key-8e2b6c4a1f";
const GLOBEX = "e2e-globex-key-3d7f0b9e2c";
const WRONG = "e2e-wrong-key-0a1b2c3d4e";

let stack: TestStack;
let http: string;
let ws: string;

beforeAll(async () => {
  stack = await startTestStack({ extraEnv: { CORTEX_LOG_LEVEL: "debug" } });
  const keysFile = join(String(stack.env.CORTEX_HOME), "keys.yaml");
  writeFileSync(
    keysFile,
    `keys:\n  - name: acme-ci\n    key: ${ACME}\n    tenant: acme\n  - key: ${GLOBEX}\n    tenant: globex\n`,
  );
  Object.assign(stack.env, { API_KEY: ADMIN, CORTEX_API_KEYS_FILE: keysFile, CORTEX_API_KEY: ADMIN });
  const up = await stack.cli(["up", "--json"]);
  expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
  http = `http://127.0.0.1:${stack.env.CORTEX_HTTP_PORT}`;
  ws = `ws://127.0.0.1:${stack.env.CORTEX_HTTP_PORT}`;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function run(key: string, args: string[]): Promise<CliResult> {
  const saved = { API_KEY: stack.env.API_KEY, CORTEX_API_KEY: stack.env.CORTEX_API_KEY };
  Object.assign(stack.env, { API_KEY: "", CORTEX_API_KEY: key });
  try {
    return await stack.cli([...args, "--json"]);
  } finally {
    Object.assign(stack.env, saved);
  }
}

describe("a stack with API keys", () => {
  let acmeJob: string;

  it("lets the CLI in with CORTEX_API_KEY, binding a tenant key to its tenant", async () => {
    const sub = await run(ACME, ["submit", "echo", "hello", "--wait"]);
    expect(sub.code, sub.stderr).toBe(0);
    const out = sub.json as SubmitResult;
    expect(out.state).toBe("SUCCEEDED");
    acmeJob = out.job_id;
    // An unbound key sees the stored id, in the tenant's namespace.
    const job = await run(ADMIN, ["job", `acme~${acmeJob}`]);
    expect(job.code).toBe(0);
    expect((job.json as JobResult).job?.tenant).toBe("acme");
  });

  it("turns the CLI away without a key or with a wrong one, saying what to send", async () => {
    for (const key of ["", WRONG]) {
      const res = await run(key, ["job", acmeJob]);
      expect(res.code).not.toBe(0);
      const err = (res.json as ApiError).error;
      expect(err.code).toBe("UNAUTHENTICATED");
      expect(err.message).toContain("x-api-key");
      expect(res.stdout + res.stderr).not.toContain(WRONG);
    }
  });

  it("hides another tenant's job from a tenant-bound key", async () => {
    const res = await run(GLOBEX, ["job", acmeJob]);
    expect((res.json as ApiError).error.code).toBe("JOB_NOT_FOUND");
    const get = await httpJson<ApiError>(`${http}/api/v1/jobs/${acmeJob}`, {
      headers: { "x-api-key": GLOBEX },
    });
    expect(get.status).toBe(404);
    expect(
      (await httpJson(`${http}/api/v1/jobs/${acmeJob}`, { headers: { "x-api-key": ACME } })).status,
    ).toBe(200);
  });

  it("wants X-API-Key over HTTP and ?api_key= on the WebSocket; /health stays open", async () => {
    expect((await httpJson(`${http}/health`)).status).toBe(200);
    const none = await httpJson<ApiError>(`${http}/api/v1/workers`);
    expect(none.status).toBe(401);
    expect(none.body.error.message).toContain("X-API-Key");
    expect((await httpJson(`${http}/api/v1/workers`, { headers: { "x-api-key": WRONG } })).status).toBe(401);
    expect((await httpJson(`${http}/api/v1/workers`, { headers: { "x-api-key": ADMIN } })).status).toBe(200);
    expect((await streamRefusal(`${ws}/api/v1/stream?api_key=${WRONG}`)).status).toBe(401);
    expect((await streamRefusal(`${ws}/api/v1/stream`)).status).toBe(401);
    const stream = await openStream(`${ws}/api/v1/stream?api_key=${ACME}&job_id=${acmeJob}&backfill=10`);
    await stream.next((m) => m.to === "SUCCEEDED");
    stream.close();
  });

  it("never writes a key to the daemon log", async () => {
    const down = await stack.cli(["down", "--json"]);
    expect(down.code, down.stderr).toBe(0);
    const log = readFileSync(join(String(stack.env.CORTEX_HOME), "logs", "daemon.log"), "utf8");
    expect(log).toContain("gateway listening");
    expect(log).toContain('"level":20'); // debug lines (rejected calls) were written
    for (const key of [ADMIN, ACME, GLOBEX, WRONG]) expect(log).not.toContain(key);
  });
});
