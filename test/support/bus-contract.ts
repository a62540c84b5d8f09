/**
 * The Bus contract: behaviour every Bus adapter must show, run against each adapter with
 * `runBusContract(name, factory)`. Work-queue tests use the real CORTEX_JOBS stream with a
 * subject and durable consumer of their own, so they never see each other's messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bus, WorkMessage, WorkQueueOptions } from "../../src/bus/bus.js";
import { type BusPacket, SystemAlert } from "../../src/gen/cortex/v1/bus.js";
import { coreContract } from "./bus-contract-core.js";
import {
  type BusContractContext,
  consumeRecording as consumeWith,
  type Delivery,
  deferred,
  everyPayloadKind,
  Inbox,
  jobIdOf,
  jobPacket,
  packet,
  sleep,
  UNDECODABLE,
  uid,
  workQueue,
} from "./bus-contract-helpers.js";
import { lifecycleContract } from "./bus-contract-lifecycle.js";
import { workQueueContract } from "./bus-contract-work.js";

export * from "./bus-contract-helpers.js";

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

    const consumeRecording = (
      opts: WorkQueueOptions,
      onMessage: (m: WorkMessage, d: Delivery) => Promise<void> | void,
    ) => consumeWith(bus, opts, onMessage);

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

    const env = { bus: () => bus, fresh: factory };
    coreContract(env);
    workQueueContract(env);
    lifecycleContract(env);
  });
}
