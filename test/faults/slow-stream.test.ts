/**
 * A slow stream client: a SubmitAndWatchMany client that sends large contexts and never reads
 * its stream, while a normal client runs 500 jobs. The daemon's memory stays bounded (issue 14,
 * finding 1; peak RSS from /proc VmHWM), it goes on serving the normal client, and none of the
 * slow client's jobs the store took in is lost.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCortexError } from "../../src/core/errors.js";
import { CortexApiClient, SubmitJobRequest } from "../../src/gen/cortex/v1/api.js";
import { type FaultSubmits, faultInvariants, loadWithFault } from "../support/fault-load.js";
import { fastTimeouts, startTestStack, type TestStack } from "../support/stack.js";

const HOG_JOBS = 500;
const CONTEXT_BYTES = 512 * 1024;
/** How long the slow client may try to submit; the gateway may hold it back. */
const HOG_BUDGET_MS = 15_000;
const MAX_RSS_MB = 300;

let stack: TestStack;

function rssMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

beforeAll(async () => {
  stack = await startTestStack({ timeoutsYaml: fastTimeouts({ echoTimeout: 5, dispatch: 10 }) });
  const up = await stack.cli(["up", "--json"], 60_000);
  expect(up.code, up.stderr).toBe(0);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a slow stream client", () => {
  it(`that never reads, sending ${HOG_JOBS} jobs of ${CONTEXT_BYTES / 1024} KB beside 500 normal jobs`, async () => {
    const pid = Number(readFileSync(join(String(stack.env.CORTEX_HOME), "daemon.pid"), "utf8").trim());
    const raw = new CortexApiClient(
      `127.0.0.1:${stack.env.CORTEX_GRPC_PORT}`,
      grpc.credentials.createInsecure(),
    );
    const call = raw.submitAndWatchMany();
    call.on("error", () => undefined); // cancelled at the end
    const client = stack.client();
    const hogIds: string[] = [];
    const run = `hog-${randomBytes(3).toString("hex")}`;
    try {
      const t = await loadWithFault(client, {
        name: "slow stream client (nats)",
        faultAfter: 50,
        recoveryBoundMs: 60_000,
        // No 'data' listener and no read: the client's HTTP/2 window fills, the gateway's writes stall.
        fault: async () => {
          const contextJson = JSON.stringify({ blob: "x".repeat(CONTEXT_BYTES) });
          const started = Date.now();
          while (hogIds.length < HOG_JOBS && Date.now() - started < HOG_BUDGET_MS) {
            const jobId = `${run}-${hogIds.length}`;
            hogIds.push(jobId);
            if (call.write(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId, contextJson }))) continue;
            // The gateway stopped reading: wait for it, within the budget.
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, Math.max(0, HOG_BUDGET_MS - (Date.now() - started)));
              call.once("drain", () => {
                clearTimeout(timer);
                resolve();
              });
            });
          }
        },
        // The slow client reads nothing, so what it got in is what the store knows.
        faultSubmits: async (): Promise<FaultSubmits> => {
          const known = await Promise.all(
            hogIds.map((id) =>
              client.getJob(id).then(
                () => true,
                (err: unknown) => (isCortexError(err, "JOB_NOT_FOUND") ? false : Promise.reject(err)),
              ),
            ),
          );
          const accepted = hogIds.filter((_, i) => known[i]);
          return { accepted, rejected: hogIds.length - accepted.length };
        },
      });
      const hwm = rssMb(pid, "VmHWM");
      console.log(
        `slow stream: ${hogIds.length} written by the slow client; daemon RSS peak ${hwm.toFixed(0)} MB`,
      );
      expect(faultInvariants(t)).toEqual({ lost: 0, stuck: 0, runTwiceWithinRunning: true });
      expect(hwm).toBeLessThan(MAX_RSS_MB);
    } finally {
      call.cancel();
      raw.close();
    }
  }, 150_000);
});
