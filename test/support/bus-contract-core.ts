/** Bus contract, core publish/subscribe: wildcards, ordering, asynchrony, independent packets. */
import { expect, it } from "vitest";
import type { BusPacket } from "../../src/gen/cortex/v1/bus.js";
import { SystemAlert } from "../../src/gen/cortex/v1/bus.js";
import {
  type ContractEnv,
  consumeRecording,
  Inbox,
  jobIdOf,
  jobPacket,
  packet,
  sleep,
  uid,
  workQueue,
} from "./bus-contract-helpers.js";

const alert = (message: string, traceId?: string): BusPacket =>
  packet({ $case: "alert", alert: SystemAlert.fromPartial({ message }) }, traceId);

export function coreContract(env: ContractEnv): void {
  it("matches `*` to exactly one token and `>` to one or more", async () => {
    const bus = env.bus();
    const base = `contract.${uid()}`;
    const star = new Inbox<string>();
    const rest = new Inbox<string>();
    const subs = await Promise.all([
      bus.subscribe(`${base}.*`, (_p, subject) => star.push(subject)),
      bus.subscribe(`${base}.>`, (_p, subject) => rest.push(subject)),
    ]);
    for (const s of [base, `${base}.a`, `${base}.a.b`, `${base}x.a`, `${base}.b`]) {
      await bus.publish(s, alert(s));
    }
    expect(await star.count(2)).toEqual([`${base}.a`, `${base}.b`]);
    expect(await rest.count(3)).toEqual([`${base}.a`, `${base}.a.b`, `${base}.b`]);
    await sleep(100);
    expect(star.items).toHaveLength(2);
    expect(rest.items).toHaveLength(3);
    await Promise.all(subs.map((s) => s.unsubscribe()));
  });

  it("hands a subscription its messages in publish order, one handler at a time", async () => {
    const bus = env.bus();
    const subject = `contract.${uid()}`;
    const inbox = new Inbox<string>();
    let running = 0;
    let overlapped = false;
    const sub = await bus.subscribe(subject, async (p) => {
      running++;
      if (running > 1) overlapped = true;
      await sleep(Math.random() * 5);
      running--;
      inbox.push(p.traceId);
    });
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const id of ids) await bus.publish(subject, alert("", id));
    expect(await inbox.count(ids.length)).toEqual(ids);
    expect(overlapped).toBe(false);
    await sub.unsubscribe();
  });

  it("never runs a handler inside publish()", async () => {
    const bus = env.bus();
    const subject = `contract.${uid()}`;
    const seen = new Inbox<boolean>();
    let returned = false;
    const sub = await bus.subscribe(subject, () => seen.push(returned));
    const publishing = bus.publish(subject, alert("async"));
    returned = true;
    await publishing;
    expect(await seen.count(1)).toEqual([true]);
    await sub.unsubscribe();
  });

  it("gives every receiver a packet of its own", async () => {
    const bus = env.bus();
    const subject = `contract.${uid()}`;
    const a = new Inbox<BusPacket>();
    const b = new Inbox<BusPacket>();
    const subs = await Promise.all([
      bus.subscribe(subject, (p) => {
        if (p.payload?.$case === "alert") p.payload.alert.message = "changed by a";
        p.traceId = "changed by a";
        a.push(p);
      }),
      // Subscribed second, so it is handed the message after the first one changed its copy.
      bus.subscribe(subject, async (p) => {
        await sleep(20);
        b.push(p);
      }),
    ]);
    const sent = alert("original", "t-original");
    await bus.publish(subject, sent);
    // Changing the sent packet after publish() must not reach receivers either.
    sent.traceId = "changed by the sender";
    const [gotA] = await a.count(1);
    const [gotB] = await b.count(1);
    expect(gotA?.traceId).toBe("changed by a");
    expect(gotB?.traceId).toBe("t-original");
    expect(gotB?.payload).toEqual({
      $case: "alert",
      alert: expect.objectContaining({ message: "original" }),
    });
    await Promise.all(subs.map((s) => s.unsubscribe()));
  });

  it("delivers a durable publish to core subscribers of its subject too", async () => {
    const bus = env.bus();
    const opts = workQueue();
    const core = new Inbox<string>();
    const sub = await bus.subscribe(opts.filterSubject, (p) => core.push(jobIdOf(p)));
    const { deliveries, consumer } = await consumeRecording(bus, opts, (m) => m.ack());
    await bus.publishDurable(opts.filterSubject, jobPacket("both"));
    expect(await core.count(1)).toEqual(["both"]);
    expect((await deliveries.count(1)).map((d) => d.jobId)).toEqual(["both"]);
    await sub.unsubscribe();
    await consumer.stop();
  });

  it("stops delivering after unsubscribe()", async () => {
    const bus = env.bus();
    const subject = `contract.${uid()}`;
    const inbox = new Inbox<string>();
    const sub = await bus.subscribe(subject, (p) => inbox.push(p.traceId));
    await bus.publish(subject, alert("", "before"));
    await inbox.count(1);
    await sub.unsubscribe();
    await bus.publish(subject, alert("", "after"));
    await sleep(100);
    expect(inbox.items).toEqual(["before"]);
  });

  it("rejects an empty subject or an oversized payload with INVALID_ARGUMENT", async () => {
    const bus = env.bus();
    const empty = await bus.publish("", jobPacket("x")).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: "INVALID_ARGUMENT" });
    const huge = await bus.publishRaw("big", new Uint8Array(2 * 1024 * 1024)).catch((e: unknown) => e);
    expect(huge).toMatchObject({ code: "INVALID_ARGUMENT" });
    await bus.ping();
  });
}
