/**
 * The Bus contract: behaviour every Bus adapter must show, run against each adapter with
 * `runBusContract(name, factory)`. Work-queue tests use the real CORTEX_JOBS stream with a
 * subject and durable consumer of their own, so they never see each other's messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bus, WorkHandler, WorkMessage, WorkQueueOptions } from "../../src/bus/bus.js";
import { newPacket, type PacketPayload } from "../../src/bus/codec.js";
import { Streams } from "../../src/core/subjects.js";
import {
  type BusPacket,
  Heartbeat,
  JobCancel,
  JobPriority,
  JobProgress,
  JobRequest,
  JobResult,
  JobStatus,
  SystemAlert,
  WorkerList,
} from "../../src/gen/cortex/v1/bus.js";

export interface BusContractContext {
  bus: Bus;
  restartServer?: () => Promise<void>;
  cleanup: () => Promise<void>;
}

/** A truncated packet: field 1 claims 5 bytes and carries 1. */
export const UNDECODABLE = new Uint8Array([0x0a, 0x05, 0x41]);

const run = Math.random().toString(36).slice(2, 8);
let seq = 0;
const uid = (): string => `${run}_${++seq}`;

export function packet(payload: PacketPayload, traceId = uid()): BusPacket {
  return newPacket(payload, { traceId, senderId: "contract" });
}

export function jobPacket(jobId: string): BusPacket {
  return packet({
    $case: "jobRequest",
    jobRequest: JobRequest.fromPartial({ jobId, topic: "job.contract" }),
  });
}

export function jobIdOf(p: BusPacket): string {
  return p.payload?.$case === "jobRequest" ? p.payload.jobRequest.jobId : "";
}

/** One packet of every payload kind, with non-default fields so a lossy codec shows. */
export function everyPayloadKind(): PacketPayload[] {
  const hb = Heartbeat.fromPartial({
    workerId: "w1",
    region: "local",
    type: "cpu",
    cpuLoad: 12.5,
    activeJobs: 2,
    capabilities: ["echo", "chat"],
    pool: "echo",
    maxParallelJobs: 4,
  });
  return [
    {
      $case: "jobRequest",
      jobRequest: JobRequest.fromPartial({
        jobId: "j1",
        topic: "job.echo",
        priority: JobPriority.JOB_PRIORITY_CRITICAL,
        contextPtr: "redis://ctx:j1",
        envVars: { tenant_id: "t1" },
        stepIndex: 3,
        attempt: 2,
        timeoutMs: 1500,
      }),
    },
    {
      $case: "jobResult",
      jobResult: JobResult.fromPartial({
        jobId: "j1",
        status: JobStatus.JOB_STATUS_COMPLETED,
        resultPtr: "redis://res:j1",
        workerId: "w1",
        executionMs: 42,
        attempt: 1,
      }),
    },
    { $case: "heartbeat", heartbeat: hb },
    {
      $case: "alert",
      alert: SystemAlert.fromPartial({ level: "warn", message: "disk", component: "store" }),
    },
    { $case: "workerList", workerList: WorkerList.fromPartial({ workers: [hb, { ...hb, workerId: "w2" }] }) },
    {
      $case: "jobProgress",
      jobProgress: JobProgress.fromPartial({
        jobId: "j1",
        seq: 7,
        kind: "token",
        text: "héllo ✓",
        workerId: "w1",
      }),
    },
    { $case: "jobCancel", jobCancel: JobCancel.fromPartial({ jobId: "j1", reason: "user" }) },
  ];
}

/** An async queue: push from handlers, await `next()` in the test. */
export class Inbox<T> {
  readonly items: T[] = [];
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (this.items.length >= w.n) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Resolves with the first item (already here or still to come) that matches. */
  async find(match: (item: T) => boolean, timeoutMs = 5_000): Promise<T> {
    for (let n = 1; ; n++) {
      const items = await this.count(n, timeoutMs);
      const last = items[n - 1] as T;
      if (match(last)) return last;
    }
  }

  /** Resolves once `n` items in total have arrived. */
  async count(n: number, timeoutMs = 5_000): Promise<T[]> {
    if (this.items.length < n) {
      await new Promise<void>((resolve, reject) => {
        const w = { n, resolve };
        const timer = setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for ${n} items (have ${this.items.length})`));
        }, timeoutMs);
        w.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.push(w);
      });
    }
    return this.items.slice(0, n);
  }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Delivery {
  jobId: string;
  deliveryCount: number;
  at: number;
}

export function workQueue(overrides: Partial<WorkQueueOptions> = {}): WorkQueueOptions {
  const id = uid();
  return {
    stream: Streams.jobs,
    consumer: `contract_${id}`,
    filterSubject: `job.contract_${id}`,
    ackWaitMs: 2_000,
    maxDeliver: -1,
    maxInFlight: 1,
    ...overrides,
  };
}

export function runBusContract(name: string, factory: () => Promise<BusContractContext>): void {
  describe(`Bus contract: ${name}`, () => {
    let ctx: BusContractContext;
    let bus: Bus;

    beforeAll(async () => {
      ctx = await factory();
      bus = ctx.bus;
      await bus.provision();
    });

    afterAll(async () => {
      await ctx?.cleanup();
    });

    /** Starts a consumer recording every delivery; `onMessage` decides how to settle. */
    async function consumeRecording(
      opts: WorkQueueOptions,
      onMessage: (m: WorkMessage, d: Delivery) => Promise<void> | void,
    ) {
      const deliveries = new Inbox<Delivery>();
      const handler: WorkHandler = async (m) => {
        const d = { jobId: jobIdOf(m.packet), deliveryCount: m.deliveryCount, at: Date.now() };
        await onMessage(m, d);
        deliveries.push(d);
      };
      const consumer = await bus.consume(opts, handler);
      return { deliveries, consumer };
    }

    it("round-trips every payload kind over publish/subscribe", async () => {
      const base = `contract.${uid()}`;
      const inbox = new Inbox<{ packet: BusPacket; subject: string }>();
      const sub = await bus.subscribe(`${base}.>`, (p, subject) => inbox.push({ packet: p, subject }));
      const sent = everyPayloadKind().map((payload) => packet(payload));
      for (const [i, p] of sent.entries()) await bus.publish(`${base}.${i}`, p);
      const got = await inbox.count(sent.length);
      expect(got.map((g) => g.subject)).toEqual(sent.map((_, i) => `${base}.${i}`));
      expect(got.map((g) => g.packet)).toEqual(sent);
      expect(got[0]?.packet.protocolVersion).toBe(1);
      expect(got[0]?.packet.createdAt?.seconds).toBeGreaterThan(0);
      await sub.unsubscribe();
    });

    it("splits a queue group's messages between its members, each message once", async () => {
      const subject = `contract.${uid()}`;
      const group = new Inbox<{ member: string; id: string }>();
      const all = new Inbox<string>();
      const subs = await Promise.all([
        bus.subscribe(subject, (p) => group.push({ member: "a", id: p.traceId }), { queue: "q" }),
        bus.subscribe(subject, (p) => group.push({ member: "b", id: p.traceId }), { queue: "q" }),
        bus.subscribe(subject, (p) => all.push(p.traceId)),
      ]);
      const n = 40;
      for (let i = 0; i < n; i++) {
        await bus.publish(subject, packet({ $case: "alert", alert: SystemAlert.fromPartial({}) }));
      }
      const got = await group.count(n);
      await all.count(n);
      // A message given to both members would fill the count before every id arrived.
      expect(new Set(got.map((g) => g.id)).size).toBe(n);
      expect(got.filter((g) => g.member === "a").length).toBeGreaterThan(0);
      expect(got.filter((g) => g.member === "b").length).toBeGreaterThan(0);
      await Promise.all(subs.map((s) => s.unsubscribe()));
    });

    it("provisions again, and concurrently, without error", async () => {
      await bus.provision();
      await Promise.all([bus.provision(), bus.provision()]);
    });

    it("delivers a durable message once when acked", async () => {
      const opts = workQueue({ ackWaitMs: 300 });
      const { deliveries, consumer } = await consumeRecording(opts, (m) => m.ack());
      await bus.publishDurable(opts.filterSubject, jobPacket("once"));
      const [d] = await deliveries.count(1);
      expect(d).toMatchObject({ jobId: "once", deliveryCount: 1 });
      await sleep(opts.ackWaitMs * 2);
      expect(deliveries.items).toHaveLength(1);
      await consumer.stop();
    });

    it("redelivers a nak'ed message with deliveryCount 2", async () => {
      const opts = workQueue();
      const { deliveries, consumer } = await consumeRecording(opts, async (m) => {
        if (m.deliveryCount === 1) m.nak();
        else await m.ack();
      });
      await bus.publishDurable(opts.filterSubject, jobPacket("nak"));
      const got = await deliveries.count(2);
      expect(got.map((d) => [d.jobId, d.deliveryCount])).toEqual([
        ["nak", 1],
        ["nak", 2],
      ]);
      await consumer.stop();
    });

    it("respects a nak delay (roughly)", async () => {
      const delayMs = 600;
      const opts = workQueue({ ackWaitMs: 10_000 });
      const { deliveries, consumer } = await consumeRecording(opts, async (m) => {
        if (m.deliveryCount === 1) m.nak(delayMs);
        else await m.ack();
      });
      await bus.publishDurable(opts.filterSubject, jobPacket("delayed"));
      const [first, second] = await deliveries.count(2);
      const gap = (second?.at ?? 0) - (first?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(delayMs - 100);
      expect(gap).toBeLessThan(delayMs + 3_000);
      await consumer.stop();
    });

    it("never redelivers a term'ed message, and keeps consuming", async () => {
      const opts = workQueue({ ackWaitMs: 300 });
      const { deliveries, consumer } = await consumeRecording(opts, async (m) => {
        if (jobIdOf(m.packet) === "poison") m.term();
        else await m.ack();
      });
      await bus.publishDurable(opts.filterSubject, jobPacket("poison"));
      await deliveries.count(1);
      await sleep(opts.ackWaitMs * 2);
      await bus.publishDurable(opts.filterSubject, jobPacket("next"));
      const got = await deliveries.count(2);
      expect(got.map((d) => d.jobId)).toEqual(["poison", "next"]);
      await sleep(opts.ackWaitMs);
      expect(deliveries.items).toHaveLength(2);
      await consumer.stop();
    });

    it("redelivers when the ack wait expires while the first delivery is still held", async () => {
      const opts = workQueue({ ackWaitMs: 400, maxInFlight: 2 });
      const redelivered = deferred();
      const { deliveries, consumer } = await consumeRecording(opts, async (m) => {
        if (m.deliveryCount === 1) {
          // Hold it, unsettled, until the server gives up on it and sends it again.
          await Promise.race([redelivered.promise, sleep(5_000)]);
          m.term();
        } else {
          await m.ack();
          redelivered.resolve();
        }
      });
      const t0 = Date.now();
      await bus.publishDurable(opts.filterSubject, jobPacket("slow"));
      const got = await deliveries.count(2);
      const second = got.find((d) => d.deliveryCount === 2);
      expect(second?.jobId).toBe("slow");
      expect((second?.at ?? 0) - t0).toBeGreaterThanOrEqual(opts.ackWaitMs - 50);
      await consumer.stop();
    });

    it("stops redelivering after maxDeliver deliveries", async () => {
      const opts = workQueue({ ackWaitMs: 300, maxDeliver: 2 });
      const { deliveries, consumer } = await consumeRecording(opts, (m) => m.nak());
      await bus.publishDurable(opts.filterSubject, jobPacket("flaky"));
      await deliveries.count(2);
      await sleep(opts.ackWaitMs * 3);
      expect(deliveries.items.map((d) => d.deliveryCount)).toEqual([1, 2]);
      await consumer.stop();
    });

    it("runs at most maxInFlight handlers at once, and does reach that bound", async () => {
      const opts = workQueue({ maxInFlight: 3 });
      let current = 0;
      let peak = 0;
      let reportedPeak = 0;
      const { deliveries, consumer } = await consumeRecording(opts, async (m) => {
        current++;
        peak = Math.max(peak, current);
        reportedPeak = Math.max(reportedPeak, consumer.inFlight());
        await sleep(60);
        current--;
        await m.ack();
      });
      const n = 12;
      for (let i = 0; i < n; i++) await bus.publishDurable(opts.filterSubject, jobPacket(`b${i}`));
      const got = await deliveries.count(n, 10_000);
      expect(new Set(got.map((d) => d.jobId)).size).toBe(n);
      expect(peak).toBe(3);
      expect(reportedPeak).toBe(3);
      await consumer.stop();
    });

    it("de-duplicates durable publishes by msgId", async () => {
      const opts = workQueue();
      const { deliveries, consumer } = await consumeRecording(opts, (m) => m.ack());
      await bus.publishDurable(opts.filterSubject, jobPacket("dup"), { msgId: `dup-${opts.consumer}` });
      await bus.publishDurable(opts.filterSubject, jobPacket("dup"), { msgId: `dup-${opts.consumer}` });
      await bus.publishDurable(opts.filterSubject, jobPacket("after"), { msgId: `after-${opts.consumer}` });
      // One slot, stream order: a stored duplicate would arrive before "after".
      await deliveries.count(2);
      expect(deliveries.items.map((d) => d.jobId)).toEqual(["dup", "after"]);
      await consumer.stop();
    });

    it("stop() waits for handlers in flight", async () => {
      const opts = workQueue();
      const started = deferred();
      const release = deferred();
      let finished = false;
      const consumer = await bus.consume(opts, async (m) => {
        started.resolve();
        await release.promise;
        await m.ack();
        finished = true;
      });
      await bus.publishDurable(opts.filterSubject, jobPacket("inflight"));
      await started.promise;
      expect(consumer.inFlight()).toBe(1);
      let stopped = false;
      const stopping = consumer.stop().then(() => {
        stopped = true;
      });
      await sleep(100);
      expect(stopped).toBe(false);
      release.resolve();
      await stopping;
      expect(finished).toBe(true);
      expect(consumer.inFlight()).toBe(0);
    });

    it("counts an undecodable message and keeps the subscription alive", async () => {
      const subject = `contract.${uid()}`;
      const inbox = new Inbox<BusPacket>();
      const sub = await bus.subscribe(subject, (p) => inbox.push(p));
      const before = bus.status().decodeErrors;
      await bus.publishRaw(subject, UNDECODABLE);
      const good = packet({ $case: "alert", alert: SystemAlert.fromPartial({ message: "after garbage" }) });
      await bus.publish(subject, good);
      const [got] = await inbox.count(1);
      expect(got).toEqual(good);
      expect(bus.status().decodeErrors).toBe(before + 1);
      await sub.unsubscribe();
    });

    it("keeps a subscription going after its handler throws or rejects", async () => {
      const subject = `contract.${uid()}`;
      const inbox = new Inbox<string>();
      let calls = 0;
      const sub = await bus.subscribe(subject, async (p) => {
        calls++;
        if (calls === 1) throw new Error("handler bug (expected by the test)");
        if (calls === 2) return Promise.reject(new Error("async handler bug (expected by the test)"));
        inbox.push(p.traceId);
      });
      for (const id of ["a", "b", "c"]) {
        await bus.publish(subject, packet({ $case: "alert", alert: SystemAlert.fromPartial({}) }, id));
      }
      expect(await inbox.count(1)).toEqual(["c"]);
      await sub.unsubscribe();
    });

    it("round-trips raw bytes", async () => {
      const subject = `contract.${uid()}`;
      const inbox = new Inbox<Uint8Array>();
      const sub = await bus.subscribeRaw(subject, (data) => inbox.push(data));
      const data = new TextEncoder().encode(JSON.stringify({ kind: "event", n: 1 }));
      await bus.publishRaw(subject, data);
      const [got] = await inbox.count(1);
      expect(Buffer.from(got ?? new Uint8Array()).equals(Buffer.from(data))).toBe(true);
      await sub.unsubscribe();
    });

    it("answers ping and reports itself connected", async () => {
      await bus.ping(2_000);
      expect(bus.status().state).toBe("connected");
    });

    it("keeps an existing consume() going across a server restart", async (t) => {
      if (!ctx.restartServer) t.skip();
      const opts = workQueue();
      const { deliveries, consumer } = await consumeRecording(opts, (m) => m.ack());
      await bus.publishDurable(opts.filterSubject, jobPacket("before-restart"));
      await deliveries.count(1);
      await ctx.restartServer?.();
      await bus.publishDurable(opts.filterSubject, jobPacket("after-restart"));
      const got = await deliveries.count(2, 10_000);
      expect(got.map((d) => d.jobId)).toEqual(["before-restart", "after-restart"]);
      await bus.ping(2_000);
      await consumer.stop();
    });
  });
}
