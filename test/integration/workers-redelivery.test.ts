/**
 * A redelivery to the worker still running the job (a NATS outage longer than the ack wait
 * swallows its working() calls): the handler must not run a second time in the same process.
 * In-process bus whose first deliveries lose working(), a real SQLite file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import type { Bus, WorkMessage } from "../../src/bus/bus.js";
import { MemoryBus } from "../../src/bus/memory-bus.js";
import { isTerminal, JobState } from "../../src/core/states.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import { WorkerRuntime } from "../../src/workers/runtime.js";
import { dispatchJob } from "../support/fake-scheduler.js";

const ACK_WAIT_MS = 200;
const dir = mkdtempSync(join(tmpdir(), "cortex-redeliver-"));
const cleanups: Array<() => unknown> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

let maxDelivery = 0;

/** The bus as the worker sees it during an outage: a first delivery's working() never arrives. */
function lossyWorking(bus: Bus): Bus {
  return new Proxy(bus, {
    get(target, key) {
      if (key !== "consume") return Reflect.get(target, key);
      const consume: Bus["consume"] = (opts, handler) =>
        target.consume(opts, (msg) => {
          maxDelivery = Math.max(maxDelivery, msg.deliveryCount);
          return handler(
            msg.deliveryCount > 1
              ? msg
              : ({
                  packet: msg.packet,
                  subject: msg.subject,
                  deliveryCount: msg.deliveryCount,
                  ack: () => msg.ack(),
                  nak: (delayMs?: number) => msg.nak(delayMs),
                  working: () => undefined,
                  term: () => msg.term(),
                } satisfies WorkMessage),
          );
        });
      return consume;
    },
  });
}

describe("a redelivery of a job this worker is running", () => {
  it("does not start it again: the handler runs once, SUCCEEDED with attempts 1", async () => {
    const logger = pino({ level: process.env.LOG_LEVEL ?? "silent" });
    const store = await createSqliteStore({ path: join(dir, "cortex.db") });
    const bus = new MemoryBus();
    await bus.provision();
    cleanups.push(
      () => bus.close(),
      () => store.close(),
    );
    const topic = "job.test.redeliver";
    let calls = 0;
    const runtime = new WorkerRuntime({
      bus: lossyWorking(bus),
      store,
      kind: "echo",
      pool: "echo",
      topics: [topic],
      handler: async () => {
        calls += 1;
        // Several ack waits: the message is redelivered while this still runs.
        await new Promise((r) => setTimeout(r, ACK_WAIT_MS * 5));
        return { call: calls };
      },
      concurrency: 4,
      ackWaitMs: ACK_WAIT_MS,
      logger,
    });
    cleanups.push(() => runtime.drain(1_000));
    await runtime.start();
    const jobId = await dispatchJob({ bus, store, prefix: "" }, topic, {});

    const deadline = Date.now() + 5_000;
    let job = await store.getJob(jobId);
    while (!(job && isTerminal(job.state)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      job = await store.getJob(jobId);
    }
    expect(job).toMatchObject({ state: JobState.Succeeded, attempts: 1 });
    // Past a few more ack waits: an un-acked duplicate would have come back by now.
    await new Promise((r) => setTimeout(r, ACK_WAIT_MS * 4));
    expect(maxDelivery).toBeGreaterThan(1);
    expect(calls).toBe(1);
    expect(runtime.activeJobs()).toBe(0);
    expect(await store.getResult(jobId)).toEqual({ call: 1 });
  }, 10_000);
});
