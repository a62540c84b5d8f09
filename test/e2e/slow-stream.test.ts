/**
 * A SubmitAndWatchMany client that submits large contexts and never reads its stream must
 * cost the daemon a bounded amount of memory (issue 14, finding 1), and the daemon must go
 * on serving other clients. The daemon's peak RSS is read from /proc (VmHWM).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitAndWait } from "../../src/client/submit-and-wait.js";
import { CortexApiClient, SubmitJobRequest } from "../../src/gen/cortex/v1/api.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const JOBS = 1_000;
const CONTEXT_BYTES = 900 * 1024;
/** How long the hostile client may try to submit; the gateway may slow it down. */
const SUBMIT_BUDGET_MS = 40_000;
const MAX_RSS_MB = 300;

let stack: TestStack;

function rssMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

beforeAll(async () => {
  stack = await startTestStack();
  const up = await stack.cli(["up", "--json"], 60_000);
  expect(up.code, up.stderr).toBe(0);
}, 90_000);

afterAll(async () => {
  await stack?.cli(["down"]);
  await stack?.stop();
});

describe("a SubmitAndWatchMany client that never reads", () => {
  it(`of ${JOBS} jobs with ${CONTEXT_BYTES / 1024} KB contexts leaves the daemon under ${MAX_RSS_MB} MB and serving others`, async () => {
    const pid = Number(readFileSync(join(String(stack.env.CORTEX_HOME), "daemon.pid"), "utf8").trim());
    const address = `127.0.0.1:${stack.env.CORTEX_GRPC_PORT}`;
    const raw = new CortexApiClient(address, grpc.credentials.createInsecure());
    const call = raw.submitAndWatchMany();
    call.on("error", () => undefined); // cut off or cancelled at the end: both are fine here
    // No 'data' listener and no read: the client's HTTP/2 window fills, the gateway's writes stall.
    const contextJson = JSON.stringify({ blob: "x".repeat(CONTEXT_BYTES) });
    const started = Date.now();
    let sent = 0;
    let peak = 0;
    const sample = setInterval(() => {
      peak = Math.max(peak, rssMb(pid, "VmRSS"));
    }, 200);
    try {
      while (sent < JOBS && Date.now() - started < SUBMIT_BUDGET_MS) {
        const req = SubmitJobRequest.fromPartial({ topic: "job.echo", jobId: `hog-${sent}`, contextJson });
        sent += 1;
        if (!call.write(req)) {
          // The gateway stopped reading: wait for it, within the budget.
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, Math.max(0, SUBMIT_BUDGET_MS - (Date.now() - started)));
            call.once("drain", () => {
              clearTimeout(t);
              resolve();
            });
          });
        }
      }
      // Another client is served meanwhile.
      const other = stack.client();
      const done = await submitAndWait(
        other,
        { topic: "job.echo", contextJson: JSON.stringify({ n: 1 }) },
        { timeoutMs: 20_000 },
      );
      expect(done.job.state).toBe("SUCCEEDED");
      const hwm = rssMb(pid, "VmHWM");
      console.log(
        `slow stream: ${sent} of ${JOBS} submitted in ${Date.now() - started} ms; daemon RSS peak ${hwm.toFixed(0)} MB (sampled ${peak.toFixed(0)} MB)`,
      );
      expect(hwm).toBeLessThan(MAX_RSS_MB);
      expect(sent).toBeGreaterThan(0);
    } finally {
      clearInterval(sample);
      call.cancel();
      raw.close();
    }
  }, 120_000);
});
