/**
 * STREAM_BEHIND over real gRPC on loopback (issue 14): a SubmitAndWatchMany client that stops
 * reading is cut off once its stream holds more than STREAM_HARD_BYTES (production budgets),
 * while another client on the same gateway keeps getting its events. The in-process bus and
 * a SQLite file; the test publishes large progress events itself.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/memory-bus.js";
import { ErrorCode } from "../../src/core/errors.js";
import { ERROR_CODE_TRAILER } from "../../src/core/grpc-metadata.js";
import { Subjects } from "../../src/core/subjects.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { STREAM_HARD_BYTES, WATCHER_QUEUE_BYTES } from "../../src/daemon/gateway/stream-budget.js";
import { CortexApiClient, type JobEvent, SubmitJobRequest } from "../../src/gen/cortex/v1/api.js";
import { createSqliteStore, type SqliteJobStore } from "../../src/store/sqlite-store.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const TEXT = "x".repeat(64 * 1024);
// Enough jobs that their full watcher queues together pass the stream's hard budget.
const SLOW_JOBS = Math.ceil(STREAM_HARD_BYTES / WATCHER_QUEUE_BYTES) + 2;

let dir: string;
let bus: MemoryBus;
let store: SqliteJobStore;
let gateway: GatewayServer;
let raw: CortexApiClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cortex-behind-"));
  bus = new MemoryBus({ logger });
  store = await createSqliteStore({ path: join(dir, "jobs.db"), logger });
  gateway = new GatewayServer({ bus, store, logger, config: { grpcPort: 0, httpPort: 0 } });
  await gateway.start();
  raw = new CortexApiClient(`127.0.0.1:${gateway.ports().grpc}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  raw?.close();
  await gateway?.stop();
  await store?.close();
  await bus?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function progress(jobId: string, text: string): Promise<void> {
  const ev = { seq: 0, at: Date.now(), kind: "progress", jobId, text };
  return bus.publishRaw(Subjects.jobEvent, Buffer.from(JSON.stringify(ev)));
}

describe("a client that does not read its stream", () => {
  it("is cut off with RESOURCE_EXHAUSTED / STREAM_BEHIND; another client keeps being served", async () => {
    const fast = raw.submitAndWatchMany();
    const fastEvents: JobEvent[] = [];
    fast.on("data", (ev: JobEvent) => fastEvents.push(ev));
    fast.on("error", () => undefined);
    fast.write(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId: "fast-1" }));

    // No "data" listener: the call stays paused and HTTP/2 flow control stops the gateway's writes.
    const slow = raw.submitAndWatchMany();
    let slowStatus: grpc.StatusObject | undefined;
    slow.on("status", (s: grpc.StatusObject) => {
      slowStatus = s;
    });
    slow.on("error", () => undefined);
    const ids = Array.from({ length: SLOW_JOBS }, (_, i) => `behind-${i}`);
    for (const jobId of ids) slow.write(SubmitJobRequest.fromPartial({ topic: "job.echo", jobId }));
    await until("every watch registered", () => gateway.stats().watchers === SLOW_JOBS + 1);

    // Each round adds 64 KiB to every slow job's queue; bounded well past what the budget needs.
    const maxRounds = Math.ceil(WATCHER_QUEUE_BYTES / TEXT.length) * 2;
    let rounds = 0;
    while (gateway.stats().watchers > 1 && rounds < maxRounds) {
      for (const jobId of ids) await progress(jobId, TEXT);
      rounds += 1;
      await new Promise((r) => setImmediate(r));
    }
    await until("the slow stream's watches closed", () => gateway.stats().watchers === 1);
    expect(rounds).toBeLessThan(maxRounds);
    logger.info({ rounds, jobs: SLOW_JOBS }, "slow stream cut off");

    // The fast client is still served after the cut-off.
    const before = fastEvents.length;
    await progress("fast-1", "still here");
    await until("the fast client's event", () => fastEvents.length > before);
    expect(fastEvents.at(-1)).toMatchObject({ kind: "progress", jobId: "fast-1", text: "still here" });

    // The status trails the events already handed to HTTP/2: the client sees it once it reads.
    // (grpc-js drops what is still unread in the call once the call fails, so no event count.)
    slow.on("data", () => undefined);
    await until("the slow call's status", () => slowStatus !== undefined);
    expect(slowStatus?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(slowStatus?.metadata.get(ERROR_CODE_TRAILER)).toEqual([ErrorCode.StreamBehind]);
    expect(slowStatus?.details).toMatch(/too slowly/);

    // Its job never ends (no worker here), so the stream would not either: the client leaves.
    fast.cancel();
    await until("the fast call's watch closed", () => gateway.stats().watchers === 0);
  }, 15_000);
});
