/**
 * Human approval through the built CLI (each backend runs this file: e2e-nats, e2e-embedded):
 * a require_approval rule holds a job until `cortex approve` runs it, `cortex reject` or the
 * rule's expiry denies it; `submit --wait` says it waits; only the job's tenant (or the rule's
 * named approvers) may decide; and a job whose content changed cannot be approved.
 * One stack; the cases run concurrently, each on its own tenant.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayClient, type GatewayClient } from "../../src/client/gateway-client.js";
import type {
  ApprovalsResult,
  DecideResult,
  ErrorJson,
  JobResult,
  SubmitResult,
} from "../../src/client/json-shapes.js";
import type { JobInfo } from "../../src/gen/cortex/v1/api.js";
import { onNats } from "../support/backend.js";
import { CLI_BIN, type CliResult, runCli } from "../support/cli.js";
import { findBinary } from "../support/find-binary.js";
import { fastTimeouts, startTestStack, type TestStack } from "../support/stack.js";

const ADMIN = "e2e-approvals-admin-7c1d";
const ACME = "e2e-approvals-acme-2b9f";
const GLOBEX = "e2e-approvals-globex-5e0a";
const INITECH = "e2e-approvals-initech-9d3c";
const OPS = "e2e-approvals-ops-4a8e";

const SAFETY = `default_tenant: default
default_effect: allow
rules:
  - id: hold-brief
    effect: require_approval
    topics: ["job.echo"]
    tenants: ["umbrella"]
    expires_after: 2s
  - id: hold-ops
    effect: require_approval
    topics: ["job.echo"]
    tenants: ["initech"]
    approvers: ["ops-lead"]
    reason: "initech echoes need ops"
  - id: hold-echo
    effect: require_approval
    topics: ["job.echo"]
    tenants: ["acme", "wayne", "stark"]
    reason: "echoes of acme wait for a human"
`;

const KEYS = `keys:
  - { name: acme-ci, key: ${ACME}, tenant: acme }
  - { name: globex-ci, key: ${GLOBEX}, tenant: globex }
  - { name: initech-dev, key: ${INITECH}, tenant: initech }
  - { name: ops-lead, key: ${OPS}, tenant: ops }
`;

let stack: TestStack;
const clients: GatewayClient[] = [];

beforeAll(async () => {
  // The reconciler expires held jobs on its scan: every second here, for expires_after: 2s.
  stack = await startTestStack({ timeoutsYaml: fastTimeouts({ scan: 1 }), safetyYaml: SAFETY });
  const keys = join(String(stack.env.CORTEX_HOME), "keys.yaml");
  writeFileSync(keys, KEYS);
  Object.assign(stack.env, { CORTEX_API_KEYS_FILE: keys, API_KEY: ADMIN });
  const up = await cli(ADMIN, ["up"]);
  expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await stack?.stop();
});

/** The built CLI as the holder of `key` (the cases run at once: no shared env is changed). */
function cli(key: string, args: string[], timeoutMs?: number): Promise<CliResult> {
  return runCli(args, { ...stack.env, CORTEX_API_KEY: key }, timeoutMs);
}

async function json<T>(key: string, args: string[]): Promise<{ code: number; out: T; stderr: string }> {
  const r = await cli(key, [...args, "--json"]);
  return { code: r.code, out: r.json as T, stderr: r.stderr };
}

function client(key: string): GatewayClient {
  const c = createGatewayClient({ address: `127.0.0.1:${stack.env.CORTEX_GRPC_PORT}`, apiKey: key });
  clients.push(c);
  return c;
}

async function submit(key: string, text: string, tenant?: string): Promise<string> {
  const r = await json<SubmitResult>(key, ["submit", "echo", text, ...(tenant ? ["--tenant", tenant] : [])]);
  expect(r.code, r.stderr).toBe(0);
  return r.out.job_id;
}

async function jobOf(key: string, id: string): Promise<NonNullable<JobResult["job"]>> {
  const r = await json<JobResult>(key, ["job", id]);
  expect(r.code, r.stderr).toBe(0);
  const job = r.out.job;
  if (!job) throw new Error(`cortex job ${id} printed no job`);
  return job;
}

/** Polls (over gRPC, as `key` sees the job) until the job is in `state`. */
async function until(key: string, id: string, state: string, timeoutMs = 20_000): Promise<JobInfo> {
  const c = client(key);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await c.getJob(id)).job;
    if (job?.state === state) return job;
    if (Date.now() > deadline)
      throw new Error(`job ${id} is ${job?.state}, not ${state}, after ${timeoutMs} ms`);
    await sleep(200);
  }
}

const errorOf = (out: unknown) => (out as ErrorJson).error;

/** The id of the held job of `tenant` whose context holds `text` (a --wait submit prints no id early). */
async function heldWith(tenant: string, text: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const list = await json<ApprovalsResult>(ADMIN, ["approvals", "--tenant", tenant]);
    const found = list.out.approvals.find((a) => JSON.stringify(a.context ?? "").includes(text));
    if (found?.job?.job_id) return found.job.job_id;
    if (Date.now() > deadline) throw new Error(`no held job of ${tenant} with "${text}"`);
    await sleep(200);
  }
}

// Concurrent CLI runs on a shared 2-core machine: each case gets room beyond the 30 s default.
describe.concurrent("require_approval", { timeout: 90_000 }, () => {
  it("holds a job that never runs before approval, and runs it after cortex approve", async () => {
    const id = await submit(ACME, "held echo");
    let job = await jobOf(ACME, id);
    expect(job.state).toBe("AWAITING_APPROVAL");
    expect(job.attempts ?? 0).toBe(0);
    expect(job.approval).toMatchObject({
      rule_id: "hold-echo",
      rule_reason: "echoes of acme wait for a human",
    });
    expect(job.approval?.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(job.waiting_reason).toContain("waiting for approval (rule hold-echo)");

    await sleep(2_000);
    const still = await json<JobResult>(ACME, ["job", id]);
    expect(still.out.job?.state).toBe("AWAITING_APPROVAL");
    expect(still.out.job?.attempts ?? 0).toBe(0);
    const reached = (still.out.events ?? []).map((e) => e.to);
    for (const s of ["SCHEDULED", "DISPATCHED", "RUNNING"]) expect(reached).not.toContain(s);

    const listed = await json<ApprovalsResult>(ACME, ["approvals"]);
    expect(listed.code).toBe(0);
    const item = listed.out.approvals.find((a) => a.job?.job_id === id);
    expect(item?.job?.approval?.rule_id).toBe("hold-echo");
    expect(item?.context).toBeDefined();
    const table = await cli(ACME, ["approvals"]);
    expect(table.stdout).toMatch(/hold-echo/);
    expect(table.stdout).toMatch(/tenant acme/);

    const text = await cli(ACME, ["job", id]);
    expect(text.stdout).toMatch(/approval\n {2}rule {7}hold-echo/);
    expect(text.stdout).toContain(`cortex approve ${id.slice(0, 8)}`);

    const approved = await json<DecideResult>(ACME, ["approve", id, "--reason", "looks fine"]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(["SCHEDULED", "DISPATCHED", "RUNNING", "SUCCEEDED"]).toContain(approved.out.job?.state);
    await until(ACME, id, "SUCCEEDED");
    job = await jobOf(ACME, id);
    expect(job.attempts).toBe(1);
    expect(job.approval).toMatchObject({
      decision: "approved",
      decided_by: "acme-ci",
      decision_reason: "looks fine",
    });
    expect((await cli(ACME, ["job", id])).stdout).toMatch(/decision {3}approved by acme-ci/);

    const again = await json<ErrorJson>(ACME, ["approve", id]);
    expect(again.code).toBe(1);
    expect(errorOf(again.out).code).toBe("NOT_AWAITING_APPROVAL");
  });

  it("cortex reject needs a reason and denies the job with it", async () => {
    const id = await submit(ACME, "to be rejected");
    await until(ACME, id, "AWAITING_APPROVAL");
    const bare = await cli(ACME, ["reject", id]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/reason/);

    const rejected = await cli(ACME, ["reject", id, "--reason", "not today"]);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toMatch(/rejected .*\n.*DENIED.*not today/);
    const job = await jobOf(ACME, id);
    expect(job.state).toBe("DENIED");
    expect(job.reason).toContain("not today");
    expect(job.approval).toMatchObject({ decision: "rejected", decided_by: "acme-ci" });
  });

  it('a rule\'s expires_after denies the job "approval expired"', async () => {
    const id = await submit(ADMIN, "nobody decides", "umbrella");
    const job = await until(ADMIN, id, "DENIED", 15_000);
    expect(job.reason).toContain("approval expired");
    expect(job.approval?.decision).toBe("expired");
  });

  it("submit --wait says the job waits for approval and ends after an approve from elsewhere", async () => {
    const waiting = cli(ADMIN, [
      "submit",
      "echo",
      "waited for",
      "--tenant",
      "wayne",
      "--wait",
      "--timeout",
      "60",
    ]);
    const id = await heldWith("wayne", "waited for");
    // The follower prints its line within a few seconds of the hold.
    await sleep(3_000);
    const approve = await cli(ADMIN, ["approve", id]);
    expect(approve.code, approve.stderr).toBe(0);
    const done = await waiting;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr.match(/waiting for approval \(rule hold-echo\)/g)).toHaveLength(1);
    expect(done.stderr).toMatch(/SUCCEEDED/);
    expect(done.stdout).toContain("waited for");
  });

  it("submit --wait exits 1 after a rejection", async () => {
    const waiting = cli(ADMIN, [
      "submit",
      "echo",
      "refused",
      "--tenant",
      "wayne",
      "--wait",
      "--timeout",
      "60",
    ]);
    const id = await heldWith("wayne", "refused");
    expect((await cli(ADMIN, ["reject", id, "--reason", "no"])).code).toBe(0);
    const done = await waiting;
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(/DENIED/);
  });

  it("only the job's tenant, or the rule's named approvers, may decide", async () => {
    const acmeId = await submit(ACME, "acme only");
    await until(ACME, acmeId, "AWAITING_APPROVAL");
    const foreign = await json<ErrorJson>(GLOBEX, ["approve", acmeId]);
    expect(foreign.code).toBe(1);
    expect(["JOB_NOT_FOUND", "PERMISSION_DENIED"]).toContain(errorOf(foreign.out).code);
    const globexList = await json<ApprovalsResult>(GLOBEX, ["approvals"]);
    expect(globexList.out.approvals).toEqual([]);
    expect((await cli(GLOBEX, ["approvals"])).stdout).toMatch(
      /no jobs wait for approval\n.*require_approval/,
    );

    const initechId = await submit(INITECH, "ops decides");
    await until(INITECH, initechId, "AWAITING_APPROVAL");
    const own = await json<ErrorJson>(INITECH, ["approve", initechId]);
    expect(own.code).toBe(1);
    expect(errorOf(own.out).code).toBe("PERMISSION_DENIED");
    expect(errorOf(own.out).message).toContain("ops-lead");

    const opsList = await json<ApprovalsResult>(OPS, ["approvals"]);
    const shown = opsList.out.approvals.find((a) => a.job?.job_id?.endsWith(initechId))?.job?.job_id;
    expect(shown, JSON.stringify(opsList.out)).toBeDefined();
    // The short form the table shows: the job's tenant and the id's first characters.
    const table = await cli(OPS, ["approvals"]);
    expect(table.stdout).toContain(`initech~${initechId.slice(0, 8)}`);
    expect(String(shown)).toBe(`initech~${initechId}`);
    const ops = await json<DecideResult>(OPS, ["approve", `initech~${initechId.slice(0, 8)}`]);
    expect(ops.code, JSON.stringify(ops.out)).toBe(0);
    await until(INITECH, initechId, "SUCCEEDED");
    expect((await jobOf(INITECH, initechId)).approval?.decided_by).toBe("ops-lead");

    expect((await jobOf(ACME, acmeId)).state).toBe("AWAITING_APPROVAL");
    expect((await cli(ACME, ["reject", acmeId, "--reason", "cleanup"])).code).toBe(0);
  });

  it("an approval for other content is refused with APPROVAL_STALE and the job stays held", async () => {
    const id = await submit(ACME, "reviewed content");
    const held = await jobOf(ACME, id);
    expect(held.state).toBe("AWAITING_APPROVAL");
    const wrong = await json<ErrorJson>(ACME, ["approve", id, "--content-hash", "0".repeat(64)]);
    expect(wrong.code).toBe(1);
    expect(errorOf(wrong.out).code).toBe("APPROVAL_STALE");
    expect((await jobOf(ACME, id)).state).toBe("AWAITING_APPROVAL");

    if (onNats()) {
      const redis = new Redis(String(stack.redis?.url), { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const [key, ...more] = await redis.keys(`*ctx:*${id}`);
        expect(key, "the held job's context key").toBeDefined();
        expect(more).toEqual([]);
        await redis.set(String(key), JSON.stringify({ text: "something else entirely" }));
      } finally {
        redis.disconnect();
      }
      const changed = await json<ErrorJson>(ACME, ["approve", id]);
      expect(changed.code).toBe(1);
      expect(errorOf(changed.out).code).toBe("APPROVAL_STALE");
      expect((await jobOf(ACME, id)).state).toBe("AWAITING_APPROVAL");
      expect((await cli(ACME, ["reject", id, "--reason", "changed under us"])).code).toBe(0);
    } else {
      const right = await json<DecideResult>(ACME, [
        "approve",
        id,
        "--content-hash",
        String(held.approval?.content_hash),
      ]);
      expect(right.code, JSON.stringify(right.out)).toBe(0);
      await until(ACME, id, "SUCCEEDED");
    }
  });
});

// After the concurrent cases: the watch's top row must be the job this case submits.
describe("cortex watch in tmux", { timeout: 90_000 }, () => {
  const socket = `cortex-approvals-${process.pid}-${Date.now()}`;
  let tmuxBin = "";
  const tmux = async (...args: string[]) =>
    (await execa(tmuxBin, ["-L", socket, ...args], { env: paneEnv(), extendEnv: false })).stdout;
  const paneEnv = () => ({ ...stack.env, CORTEX_API_KEY: ADMIN, TERM: "xterm-256color", LANG: "C.UTF-8" });

  async function screenUntil(pattern: RegExp, what: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await tmux("capture-pane", "-p", "-t", "appr");
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${text}`);
      await sleep(50);
    }
  }

  afterAll(async () => {
    if (tmuxBin) await tmux("kill-server").catch(() => undefined);
  });

  it("marks held jobs; a approves and r rejects with a typed reason, and the rows change live", async () => {
    const bin = findBinary("tmux");
    if (bin === undefined)
      throw new Error("tmux not found: install it (Debian/Ubuntu: `apt-get install -y tmux`).");
    tmuxBin = bin;
    const watch = `'${process.execPath}' '${CLI_BIN}' watch`;
    await tmux("-f", "/dev/null", "new-session", "-d", "-s", "appr", "-x", "100", "-y", "30", watch);
    await screenUntil(/● live/, "the live header");

    const approveId = await submit(ADMIN, "tui approves", "stark");
    const row = (id: string, state: string) => new RegExp(`>${id.slice(0, 8)} +job\\.echo +${state}`);
    const held = await screenUntil(row(approveId, "◆ APPROVAL"), "the held row");
    expect(held).toContain("job.echo");
    await screenUntil(/a approve {2}r reject/, "the footer's a / r", 5_000);
    // The count comes with the next poll of the backlog.
    await screenUntil(/approvals ◆ \d+/, "the header's count", 5_000);
    await tmux("send-keys", "-t", "appr", "a");
    await screenUntil(row(approveId, "SUCCEEDED"), "the approved job's success");

    const rejectId = await submit(ADMIN, "tui rejects", "stark");
    await screenUntil(row(rejectId, "◆ APPROVAL"), "the second held row");
    await tmux("send-keys", "-t", "appr", "r");
    await screenUntil(/Reject job .*reason: _/, "the reason prompt");
    await tmux("send-keys", "-t", "appr", "-l", "not from the tui");
    await screenUntil(/reason: not from the tui_/, "the typed reason");
    await tmux("send-keys", "-t", "appr", "Enter");
    await screenUntil(row(rejectId, "DENIED"), "the rejected row");
    const job = await jobOf(ADMIN, rejectId);
    expect(job.reason).toContain("not from the tui");
    expect(job.approval?.decided_by).toBe("API_KEY");
    await tmux("send-keys", "-t", "appr", "q");
  });
});
