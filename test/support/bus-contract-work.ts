/**
 * Bus contract, work queues: what JetStream work-queue streams and durable consumers do
 * beyond the basics in bus-contract.ts (waiting messages, working(), shared consumers,
 * failing handlers, the de-dup window, conflicting filters).
 */
import { expect, it } from "vitest";
import {
  type ContractEnv,
  consumeRecording,
  Inbox,
  jobIdOf,
  jobPacket,
  sleep,
  UNDECODABLE,
  workQueue,
} from "./bus-contract-helpers.js";

export function workQueueContract(env: ContractEnv): void {
  it("keeps a message published before its consumer exists until the consumer takes it", async () => {
    const bus = env.bus();
    const opts = workQueue();
    await bus.publishDurable(opts.filterSubject, jobPacket("early"));
    const { deliveries, consumer } = await consumeRecording(bus, opts, (m) => m.ack());
    expect((await deliveries.count(1)).map((d) => d.jobId)).toEqual(["early"]);
    await consumer.stop();
  });

  it("keeps what arrives while a durable consumer is stopped for its next consume()", async () => {
    const bus = env.bus();
    const opts = workQueue();
    const first = await consumeRecording(bus, opts, (m) => m.ack());
    await bus.publishDurable(opts.filterSubject, jobPacket("one"));
    await first.deliveries.count(1);
    await first.consumer.stop();
    await bus.publishDurable(opts.filterSubject, jobPacket("two"));
    await sleep(100);
    const second = await consumeRecording(bus, opts, (m) => m.ack());
    expect((await second.deliveries.count(1)).map((d) => d.jobId)).toEqual(["two"]);
    expect(first.deliveries.items).toHaveLength(1);
    await second.consumer.stop();
  });

  it("delivers in publish order to a consumer with one slot", async () => {
    const bus = env.bus();
    const opts = workQueue();
    const { deliveries, consumer } = await consumeRecording(bus, opts, (m) => m.ack());
    const ids = Array.from({ length: 20 }, (_, i) => `o${i}`);
    for (const id of ids) await bus.publishDurable(opts.filterSubject, jobPacket(id));
    expect((await deliveries.count(ids.length)).map((d) => d.jobId)).toEqual(ids);
    await consumer.stop();
  });

  it("working() holds a message past its ack wait without a redelivery", async () => {
    const bus = env.bus();
    const opts = workQueue({ ackWaitMs: 500, maxInFlight: 2 });
    const { deliveries, consumer } = await consumeRecording(bus, opts, async (m) => {
      for (let i = 0; i < 6; i++) {
        await sleep(200);
        m.working();
      }
      await m.ack();
    });
    await bus.publishDurable(opts.filterSubject, jobPacket("long"));
    const [d] = await deliveries.count(1, 5_000);
    expect(d).toMatchObject({ jobId: "long", deliveryCount: 1 });
    await sleep(opts.ackWaitMs * 2);
    expect(deliveries.items).toHaveLength(1);
    await consumer.stop();
  });

  it("counts deliveries 1, 2, 3 and drops the message after maxDeliver unsettled returns", async () => {
    const bus = env.bus();
    const opts = workQueue({ ackWaitMs: 300, maxDeliver: 3 });
    // Returning without settling nak's the message.
    const { deliveries, consumer } = await consumeRecording(bus, opts, () => undefined);
    await bus.publishDurable(opts.filterSubject, jobPacket("unsettled"));
    await deliveries.count(3);
    await sleep(opts.ackWaitMs * 3);
    expect(deliveries.items.map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
    await consumer.stop();
  });

  it("redelivers the message of a handler that throws, and keeps consuming", async () => {
    const bus = env.bus();
    const opts = workQueue();
    const seen = new Inbox<[string, number]>();
    const consumer = await bus.consume(opts, async (m) => {
      seen.push([jobIdOf(m.packet), m.deliveryCount]);
      if (jobIdOf(m.packet) === "bug" && m.deliveryCount === 1) {
        throw new Error("handler bug (expected by the test)");
      }
      await m.ack();
    });
    await bus.publishDurable(opts.filterSubject, jobPacket("bug"));
    await bus.publishDurable(opts.filterSubject, jobPacket("fine"));
    await seen.count(3);
    expect([...seen.items].sort()).toEqual([
      ["bug", 1],
      ["bug", 2],
      ["fine", 1],
    ]);
    await consumer.stop();
  });

  it("splits one durable consumer's messages between its consume() calls, each once", async () => {
    const bus = env.bus();
    const opts = workQueue({ maxInFlight: 2 });
    const got = new Inbox<{ member: string; id: string }>();
    const member = (name: string) =>
      bus.consume(opts, async (m) => {
        await sleep(20);
        await m.ack();
        got.push({ member: name, id: jobIdOf(m.packet) });
      });
    const consumers = [await member("a"), await member("b")];
    const n = 20;
    for (let i = 0; i < n; i++) await bus.publishDurable(opts.filterSubject, jobPacket(`s${i}`));
    const items = await got.count(n, 10_000);
    expect(new Set(items.map((g) => g.id)).size).toBe(n);
    expect(items.some((g) => g.member === "a")).toBe(true);
    expect(items.some((g) => g.member === "b")).toBe(true);
    await sleep(100);
    expect(got.items).toHaveLength(n);
    await Promise.all(consumers.map((c) => c.stop()));
  });

  it("keeps a msgId out for the duplicate window even after its message was acked", async () => {
    const bus = env.bus();
    const opts = workQueue();
    const { deliveries, consumer } = await consumeRecording(bus, opts, (m) => m.ack());
    const msgId = `acked-${opts.consumer}`;
    await bus.publishDurable(opts.filterSubject, jobPacket("first"), { msgId });
    await deliveries.count(1);
    await sleep(50);
    await bus.publishDurable(opts.filterSubject, jobPacket("again"), { msgId });
    await bus.publishDurable(opts.filterSubject, jobPacket("other"), { msgId: `${msgId}-2` });
    await deliveries.count(2);
    expect(deliveries.items.map((d) => d.jobId)).toEqual(["first", "other"]);
    await consumer.stop();
  });

  it("counts and terms an undecodable work message, and keeps consuming", async () => {
    const bus = env.bus();
    const opts = workQueue({ ackWaitMs: 300 });
    const before = bus.status().decodeErrors;
    const { deliveries, consumer } = await consumeRecording(bus, opts, (m) => m.ack());
    // A core publish on a stream's subject is stored by the stream, as with CortexOS v1 senders.
    await bus.publishRaw(opts.filterSubject, UNDECODABLE);
    await bus.publishDurable(opts.filterSubject, jobPacket("good"));
    expect((await deliveries.count(1)).map((d) => d.jobId)).toEqual(["good"]);
    expect(bus.status().decodeErrors).toBe(before + 1);
    await sleep(opts.ackWaitMs * 2);
    expect(deliveries.items).toHaveLength(1);
    expect(bus.status().decodeErrors).toBe(before + 1);
    await consumer.stop();
  });

  it("fails a durable publish no stream stores with BUS_UNAVAILABLE", async () => {
    const err = await env
      .bus()
      .publishDurable("nostream.here", jobPacket("x"))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "BUS_UNAVAILABLE" });
    expect((err as Error).message).toContain("nostream.here");
  });

  it("rejects invalid work queue options with INVALID_ARGUMENT", async () => {
    const bus = env.bus();
    for (const bad of [{ maxInFlight: 0 }, { ackWaitMs: 0 }, { maxDeliver: 0 }]) {
      const err = await bus.consume(workQueue(bad), async () => {}).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    }
  });

  it("rejects a second consumer whose filter overlaps another's on a work-queue stream", async () => {
    const bus = env.bus();
    const opts = workQueue();
    const first = await bus.consume(opts, async (m) => m.ack());
    const err = await bus
      .consume({ ...workQueue(), filterSubject: opts.filterSubject }, async (m) => m.ack())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    // The same name is the same consumer: attaching again is fine.
    const again = await bus.consume(opts, async (m) => m.ack());
    await Promise.all([first.stop(), again.stop()]);
  });
}
