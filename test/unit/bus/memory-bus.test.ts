/** MemoryBus specifics the Bus contract leaves open: timings, the de-dup window, packet copies. */
import { afterEach, describe, expect, it } from "vitest";
import { decodePacket, encodePacket } from "../../../src/bus/codec.js";
import { MessageBody } from "../../../src/bus/memory/message-body.js";
import { type Timed, TimerWheel } from "../../../src/bus/memory/timer-wheel.js";
import { MemoryBus } from "../../../src/bus/memory-bus.js";
import {
  consumeRecording,
  everyPayloadKind,
  Inbox,
  jobPacket,
  packet,
  sleep,
  workQueue,
} from "../../support/bus-contract-helpers.js";

const buses: MemoryBus[] = [];
function newBus(opts: ConstructorParameters<typeof MemoryBus>[0] = {}): MemoryBus {
  const bus = new MemoryBus(opts);
  buses.push(bus);
  return bus;
}

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

describe("MemoryBus", () => {
  it("reports itself connected at memory://", async () => {
    const bus = newBus();
    await bus.ping();
    expect(bus.status()).toEqual({ state: "connected", url: "memory://", decodeErrors: 0 });
  });

  it("redelivers soon after a short ack wait, and ignores a late nak of the first delivery", async () => {
    const bus = newBus();
    const opts = workQueue({ ackWaitMs: 50, maxInFlight: 2 });
    const { deliveries, consumer } = await consumeRecording(bus, opts, async (m) => {
      if (m.deliveryCount === 1) {
        await sleep(150);
        m.nak();
      } else {
        await m.ack();
      }
    });
    await bus.publishDurable(opts.filterSubject, jobPacket("short"));
    const got = await deliveries.count(2);
    const at = (n: number) => got.find((d) => d.deliveryCount === n)?.at ?? 0;
    expect(at(2) - at(1)).toBeGreaterThanOrEqual(45);
    expect(at(2) - at(1)).toBeLessThan(140);
    await sleep(100);
    expect(deliveries.items).toHaveLength(2);
    await consumer.stop();
  });

  it("lets a msgId in again once the duplicate window has passed", async () => {
    const bus = newBus({ duplicateWindowMs: 100 });
    const opts = workQueue();
    const { deliveries, consumer } = await consumeRecording(bus, opts, (m) => m.ack());
    await bus.publishDurable(opts.filterSubject, jobPacket("a"), { msgId: "same" });
    await bus.publishDurable(opts.filterSubject, jobPacket("b"), { msgId: "same" });
    await sleep(150);
    await bus.publishDurable(opts.filterSubject, jobPacket("c"), { msgId: "same" });
    await deliveries.count(2);
    expect(deliveries.items.map((d) => d.jobId)).toEqual(["a", "c"]);
    await consumer.stop();
  });

  it("redelivers a nak'ed message before messages that arrived after it", async () => {
    const bus = newBus();
    const opts = workQueue();
    const { deliveries, consumer } = await consumeRecording(bus, opts, async (m) => {
      if (m.deliveryCount === 1 && deliveries.items.length === 0) m.nak();
      else await m.ack();
    });
    for (const id of ["x", "y", "z"]) await bus.publishDurable(opts.filterSubject, jobPacket(id));
    const got = await deliveries.count(4);
    expect(got.map((d) => `${d.jobId}${d.deliveryCount}`)).toEqual(["x1", "x2", "y1", "z1"]);
    await consumer.stop();
  });

  it("copies packets exactly as an encode and decode would", () => {
    for (const payload of everyPayloadKind()) {
      const p = packet(payload);
      const body = MessageBody.ofPacket(p);
      expect(body.packet()).toEqual(decodePacket(encodePacket(p)));
      expect(body.packet()).not.toBe(body.packet());
      expect(decodePacket(body.data())).toEqual(decodePacket(encodePacket(p)));
    }
  });

  it("rejects a packet over the payload limit, measured exactly", async () => {
    const bus = newBus({ maxPayloadBytes: 200 });
    const big = packet({ $case: "alert", alert: { level: "", message: "x".repeat(300), component: "" } });
    await expect(bus.publish("a.b", big)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    // The bound over-counts: a packet it flags but that fits once encoded still goes.
    const fits = packet({ $case: "alert", alert: { level: "", message: "é".repeat(60), component: "" } });
    const inbox = new Inbox<string>();
    await bus.subscribe("a.b", (p) => inbox.push(p.payload?.$case ?? ""));
    await bus.publish("a.b", fits);
    expect(await inbox.count(1)).toEqual(["alert"]);
  });
});

describe("TimerWheel", () => {
  const item = (): Timed & { name?: string } => ({ dueAt: 0, heapIndex: -1 });

  it("fires items in deadline order on one timer, skipping cancelled ones and following moves", async () => {
    const fired: string[] = [];
    const wheel = new TimerWheel<Timed & { name?: string }>(
      (i) => fired.push(i.name ?? ""),
      () => performance.now(),
    );
    const now = performance.now();
    const [a, b, c, d] = [item(), item(), item(), item()];
    Object.assign(a, { name: "a" });
    Object.assign(b, { name: "b" });
    Object.assign(c, { name: "c" });
    Object.assign(d, { name: "d" });
    wheel.schedule(a, now + 40);
    wheel.schedule(b, now + 10);
    wheel.schedule(c, now + 20);
    wheel.schedule(d, now + 30);
    wheel.cancel(c);
    wheel.schedule(b, now + 50);
    expect(wheel.size).toBe(3);
    await sleep(80);
    expect(fired).toEqual(["d", "a", "b"]);
    expect(wheel.size).toBe(0);
    wheel.close();
  });
});
