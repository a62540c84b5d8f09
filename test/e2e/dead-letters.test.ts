/**
 * `cortex dlq list` and `cortex dlq retry` through the built CLI against a real daemon. The
 * letters come from a foreign sender on NATS, so those parts run on the nats backend only:
 * the embedded backend has no bus a sender outside the daemon could publish on.
 */
import { Redis } from "ioredis";
import { connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DlqListResult } from "../../src/client/json-shapes.js";
import { waitForJob } from "../../src/client/wait-for-job.js";
import { newDeadLetterId } from "../../src/core/dead-letter.js";
import { BusPacket, JobPriority, type JobRequest } from "../../src/gen/cortex/v1/bus.js";
import { onNats } from "../support/backend.js";
import { runCli } from "../support/cli.js";
import { freePort } from "../support/free-port.js";
import { startTestStack, type TestStack } from "../support/stack.js";

function packet(jobId: string, contextJson = ""): Uint8Array {
  const jobRequest: JobRequest = {
    jobId,
    topic: "job.echo",
    priority: JobPriority.JOB_PRIORITY_INTERACTIVE,
    contextPtr: "",
    adapterId: "",
    envVars: { tenant_id: "acme" },
    parentJobId: "",
    workflowId: "",
    stepIndex: 0,
    attempt: 0,
    timeoutMs: 0,
    contextJson,
  };
  return BusPacket.encode({
    traceId: "",
    senderId: "v1-sender",
    createdAt: { seconds: Math.floor(Date.now() / 1000), nanos: 0 },
    protocolVersion: 1,
    traceparent: "",
    payload: { $case: "jobRequest", jobRequest },
  }).finish();
}

describe("cortex dlq", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  // On nats the next test's letters may be listed already (tests of a file run in order, but
  // keep this one independent of that).
  it.runIf(!onNats())("lists nothing, and an unknown id is not found", async () => {
    const list = await stack.cli(["dlq", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json).toEqual({ letters: [] });
    const retry = await stack.cli(["dlq", "retry", newDeadLetterId(Date.now()), "--json"]);
    expect(retry.code).toBe(1);
    expect(retry.json).toMatchObject({ error: { code: "DEAD_LETTER_NOT_FOUND" } });
  });

  it.runIf(onNats())(
    "shows an invalid bus submit, refuses its retry (exit 2), and retries a valid one",
    async () => {
      const nc = await connect({ servers: String(stack.env.NATS_URL) });
      try {
        await nc.jetstream().publish("sys.job.submit", packet("../../x"), { msgID: `bad-${Date.now()}` });
      } finally {
        await nc.close();
      }
      let letters: DlqListResult["letters"] = [];
      const deadline = Date.now() + 10_000;
      while (letters.length === 0) {
        if (Date.now() > deadline) throw new Error("no dead letter listed");
        const r = await stack.cli(["dlq", "list", "--json"]);
        expect(r.code, r.stderr).toBe(0);
        letters = (r.json as DlqListResult).letters;
      }
      const [bad] = letters;
      expect(bad).toMatchObject({
        code: "INVALID_ARGUMENT",
        field: "job_id",
        job_id: "../../x",
        packet_kept: true,
      });

      const table = await stack.cli(["dlq", "list"]);
      expect(table.stdout).toContain(bad?.id);
      expect(table.stdout).toMatch(/job_id: /);

      const refused = await stack.cli(["dlq", "retry", bad?.id ?? "", "--json"]);
      expect(refused.code).toBe(2);
      expect(refused.json).toMatchObject({ error: { code: "INVALID_ARGUMENT" } });

      // A letter whose request is valid (as if fixed since), written as the Redis layout holds it.
      const jobId = `dlq-e2e-${Date.now()}`;
      const id = newDeadLetterId(Date.now());
      const redis = new Redis(String(stack.env.REDIS_URL));
      try {
        const b64 = Buffer.from(packet(jobId, '{"prompt":"again"}')).toString("base64");
        // The stored layout has every field; the JSON omits the empty ones.
        const empty = {
          field: "",
          reason: "",
          hint: "",
          subject: "",
          trace_id: "",
          sender_id: "",
          topic: "",
        };
        const letter = {
          ...empty,
          ...bad,
          id,
          job_id: jobId,
          tenant: "acme",
          at_ms: Date.now(),
          packet_b64: b64,
        };
        await redis.set(`dlq:${id}`, JSON.stringify(letter), "EX", 3600);
        await redis.zadd("dlq", 0, id);
      } finally {
        redis.disconnect();
      }
      const retried = await stack.cli(["dlq", "retry", id, "--json"]);
      expect(retried.code, retried.stderr).toBe(0);
      expect(retried.json).toMatchObject({ id, job_id: jobId });
      const done = await waitForJob(stack.client(), jobId, { timeoutMs: 20_000 });
      expect(done.job.state).toBe("SUCCEEDED");
      const after = await stack.cli(["dlq", "list", "--json"]);
      expect((after.json as DlqListResult).letters.map((l) => l.id)).not.toContain(id);
    },
  );

  it("exits 3 when the stack is not reachable", async () => {
    const env = { ...stack.env, CORTEX_GATEWAY_ADDR: `127.0.0.1:${await freePort()}` };
    const r = await runCli(["dlq", "list", "--json"], env);
    expect(r.code).toBe(3);
  });
});
