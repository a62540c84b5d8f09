/** Denied, unroutable and invalid jobs through the built CLI and the gRPC API of a real daemon. */
import { Redis } from "ioredis";
import { connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  ErrorJson,
  JobResult,
  JobsResult,
  PsResult,
  SubmitResult,
} from "../../src/client/json-shapes.js";
import { waitForJob } from "../../src/client/wait-for-job.js";
import { isCortexError } from "../../src/core/errors.js";
import { BusPacket, JobPriority } from "../../src/gen/cortex/v1/bus.js";
import { onNats } from "../support/backend.js";
import { startTestStack, type TestStack } from "../support/stack.js";

/** Where a `--json` answer breaks the one style: a key not snake_case, or an unset field printed. */
function styleBreaks(value: unknown, path = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => styleBreaks(v, `${path}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const at = `${path}.${k}`;
    const own = [
      ...(/^[a-z][a-z0-9_]*$/.test(k) ? [] : [`${at}: not snake_case`]),
      ...(v === "" || v === null || (Array.isArray(v) && v.length === 0) ? [`${at}: unset but printed`] : []),
    ];
    // A job's result and context are the worker's and the caller's documents, not ours to shape.
    return k === "result" || k === "context" ? own : [...own, ...styleBreaks(v, at)];
  });
}

describe("job outcomes", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("sys.destroy is DENIED with the policy's reason and never dispatched", async () => {
    const r = await stack.cli(["submit", "sys.destroy", "--wait", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json as SubmitResult;
    expect(out.state).toBe("DENIED");
    expect(out.reason).toMatch(/sys\.destroy is forbidden by policy/);
    const job = await stack.cli(["job", out.job_id, "--json"]);
    const events = (job.json as JobResult).events?.map((e) => e.to);
    expect(events).toEqual(["PENDING", "DENIED"]);
    const human = await stack.cli(["submit", "sys.destroy", "--wait"]);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/DENIED: .*forbidden by policy/);
  });

  it("an unmapped topic ends FAILED with a 'no pool' reason", async () => {
    const r = await stack.cli(["submit", "job.nowhere", "--wait", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json as SubmitResult;
    expect(out.state).toBe("FAILED");
    expect(out.reason).toMatch(/no pool for topic job\.nowhere/);
  });

  it("bad gRPC input gets INVALID_ARGUMENT naming the field, and the daemon keeps serving", async () => {
    const client = stack.client();
    const cases: [Parameters<typeof client.submitJob>[0], RegExp][] = [
      [{ topic: "job.echo", contextJson: JSON.stringify({ blob: "x".repeat(1024 * 1024 + 10) }) }, /context/],
      [{ topic: "job.echo", contextJson: "{not json" }, /context_json/],
      [{ topic: "job.echo", contextJson: "[1,2]" }, /context_json/],
      [{ topic: "" }, /topic/],
      [{ topic: "job..bad" }, /topic/],
      [{ topic: "job.echo", priority: "URGENT" }, /priority/],
    ];
    for (const [req, field] of cases) {
      const err = await client.submitJob(req).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCortexError(err, "INVALID_ARGUMENT"), String(err)).toBe(true);
      expect((err as Error).message).toMatch(field);
    }
    const ok = await stack.cli(["submit", "echo", "still-alive", "--wait", "--json"]);
    expect(ok.code).toBe(0);
    expect((ok.json as SubmitResult).state).toBe("SUCCEEDED");
  });

  // A v1 sender talks to NATS and Redis directly; the embedded backend has neither.
  it.runIf(onNats())(
    "a CortexOS v1 sender writing ctx:<id> to Redis and a JobRequest straight to NATS gets its job run",
    async () => {
      // A foreign sender: plain ioredis + nats clients and the wire encoding, none of cortex's adapters.
      const jobId = `v1-${Date.now()}`;
      const redis = new Redis(String(stack.env.REDIS_URL));
      const nc = await connect({ servers: String(stack.env.NATS_URL) });
      try {
        await redis.set(`ctx:${jobId}`, JSON.stringify({ prompt: "from v1", n: 7 }));
        const packet = BusPacket.encode({
          traceId: "trace-from-v1",
          senderId: "v1-sender",
          createdAt: { seconds: Math.floor(Date.now() / 1000), nanos: 0 },
          protocolVersion: 1,
          traceparent: "",
          payload: {
            $case: "jobRequest",
            jobRequest: {
              jobId,
              topic: "job.echo",
              priority: JobPriority.JOB_PRIORITY_BATCH,
              contextPtr: `redis://ctx:${jobId}`,
              adapterId: "",
              envVars: { tenant_id: "acme" },
              parentJobId: "",
              workflowId: "",
              stepIndex: 0,
              attempt: 0,
              timeoutMs: 0,
              contextJson: "",
            },
          },
        }).finish();
        await nc.jetstream().publish("sys.job.submit", packet, { msgID: jobId });
        // The job record exists only once the scheduler has adopted the submit.
        const client = stack.client();
        const deadline = Date.now() + 10_000;
        while (
          !(await client.getJob(jobId).then(
            () => true,
            () => false,
          ))
        ) {
          if (Date.now() > deadline) throw new Error(`job ${jobId} was never adopted`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const done = await waitForJob(client, jobId, { timeoutMs: 20_000 });
        expect(done.job.state).toBe("SUCCEEDED");
        expect(done.job.tenant).toBe("acme");
        expect(done.job.traceId).toBe("trace-from-v1");
        expect(JSON.parse((await redis.get(`res:${jobId}`)) ?? "null")).toMatchObject({
          job_id: jobId,
          received_ctx: { prompt: "from v1", n: 7 },
        });
      } finally {
        redis.disconnect();
        await nc.close();
      }
    },
  );

  it("--json of submit, jobs, job and ps: snake_case, unset fields omitted; parse errors exit 2", async () => {
    const sub = await stack.cli(["submit", "echo", "styled", "--wait", "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
    const { job_id } = sub.json as SubmitResult;
    const outputs = {
      submit: sub,
      jobs: await stack.cli(["jobs", "--limit", "3", "--json"]),
      job: await stack.cli(["job", job_id, "--json"]),
      ps: await stack.cli(["ps", "--json"]),
    };
    for (const [name, r] of Object.entries(outputs)) {
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(styleBreaks(r.json), name).toEqual([]);
    }
    const { job } = outputs.job.json as JobResult;
    expect(job).toMatchObject({
      job_id,
      state: "SUCCEEDED",
      attempts: 1,
      finished_at_ms: expect.any(Number),
    });
    // A succeeded top-level job has no reason, parent or workflow: omitted, not "".
    for (const unset of ["reason", "parent_job_id", "workflow_id", "step_index"])
      expect(job).not.toHaveProperty(unset);
    const listed = (outputs.jobs.json as JobsResult).jobs.find((j) => j.job_id === job_id);
    expect(listed).toEqual(job);
    const ps = outputs.ps.json as PsResult;
    expect(ps.pools.find((p) => p.pool === "echo")).toMatchObject({ live_workers: 1 });
    expect(ps.workers[0]).toMatchObject({ worker_id: expect.any(String), last_seen_ms: expect.any(Number) });

    const bad = await stack.cli(["jobs", "--limit", "abc", "--json"]);
    expect(bad.code).toBe(2);
    expect(bad.json).toEqual({
      error: {
        code: "INVALID_ARGUMENT",
        message: "Parsing --limit: Expected an integer but received: abc",
        hint: "See `cortex jobs --help` for its flags and arguments.",
      },
    });
    const missing = await stack.cli(["job", "--json"]);
    expect(missing.code).toBe(2);
    expect((missing.json as ErrorJson).error.code).toBe("INVALID_ARGUMENT");
  });

  it("cancel stops a waiting job and a finished job cannot be cancelled", async () => {
    const sub = await stack.cli(["submit", "echo", "--context", '{"sleep_ms": 5000}', "--json"]);
    const id = (sub.json as SubmitResult).job_id;
    const c = await stack.cli(["cancel", id, "--json"]);
    expect(c.code).toBe(0);
    expect(c.json).toMatchObject({ job_id: id, state: "CANCELLED", cancelled: true });
    const again = await stack.cli(["cancel", id, "--json"]);
    expect(again.json).toMatchObject({ cancelled: false, state: "CANCELLED" });
    const missing = await stack.cli(["job", "no-such-job", "--json"]);
    expect(missing.code).toBe(1);
  });
});
