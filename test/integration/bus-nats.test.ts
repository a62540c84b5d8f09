/**
 * NatsBus against a real nats-server: the Bus contract, then what only NATS can show
 * (server-side pull accounting, stream settings, provisioning races, decode logging).
 */
import {
  connect,
  DiscardPolicy,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  RetentionPolicy,
  StorageType,
} from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BusLogger, connectNatsBus, type NatsBus } from "../../src/bus/nats-bus.js";
import { isCortexError } from "../../src/core/errors.js";
import { Streams } from "../../src/core/subjects.js";
import {
  deferred,
  Inbox,
  jobIdOf,
  jobPacket,
  runBusContract,
  sleep,
  UNDECODABLE,
  workQueue,
} from "../support/bus-contract.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";

let nats: NatsHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
const buses: NatsBus[] = [];

async function newBus(logger: BusLogger = pino({ level: "silent" })): Promise<NatsBus> {
  const bus = await connectNatsBus({ url: nats.url, name: "bus-nats-test", logger });
  buses.push(bus);
  return bus;
}

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url, reconnectTimeWait: 100 });
  jsm = await nc.jetstreamManager();
});

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await nc?.close();
  await nats?.stop();
});

runBusContract("nats", async () => {
  const bus = await newBus();
  return { bus, restartServer: () => nats.restart(), cleanup: () => bus.close() };
});

describe("NatsBus on nats-server", () => {
  it("provisions work-queue streams on file storage with a 2 minute duplicate window", async () => {
    const bus = await newBus();
    await bus.provision();
    const expected = {
      [Streams.submit]: ["sys.job.submit"],
      [Streams.result]: ["sys.job.result"],
      [Streams.jobs]: ["job.>"],
    };
    for (const [name, subjects] of Object.entries(expected)) {
      const { config } = await jsm.streams.info(name);
      expect(config.subjects).toEqual(subjects);
      expect(config.retention).toBe(RetentionPolicy.Workqueue);
      expect(config.storage).toBe(StorageType.File);
      expect(config.duplicate_window).toBe(nanos(120_000));
    }
  });

  it("never has more messages pulled than free slots", async () => {
    const bus = await newBus();
    await bus.provision();
    const opts = workQueue({ maxInFlight: 2 });
    const release = deferred();
    const started = new Inbox<string>();
    const done = new Inbox<string>();
    const consumer = await bus.consume(opts, async (m) => {
      started.push(jobIdOf(m.packet));
      await release.promise;
      await m.ack();
      done.push(jobIdOf(m.packet));
    });
    for (let i = 0; i < 5; i++) await bus.publishDurable(opts.filterSubject, jobPacket(`p${i}`));
    await started.count(2);
    await sleep(200);
    const info = await jsm.consumers.info(opts.stream, opts.consumer);
    expect(info.num_ack_pending).toBe(2);
    expect(info.num_pending).toBe(3);
    expect(started.items).toHaveLength(2);
    release.resolve();
    await done.count(5);
    await consumer.stop();
  });

  it("pulls the free room in one request, nothing while it is full, and a single slot during a backlog", async () => {
    const bus = await newBus();
    await bus.provision();
    const opts = workQueue({ maxInFlight: 8 });
    // The pull requests the bus sends, as any subscriber on their subject sees them.
    const batches: number[] = [];
    const watch = nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${opts.stream}.${opts.consumer}`, {
      callback: (_err, m) =>
        batches.push((JSON.parse(new TextDecoder().decode(m.data)) as { batch: number }).batch),
    });
    await nc.flush();
    let holding = true;
    const releases: (() => void)[] = [];
    const started = new Inbox<string>();
    const done = new Inbox<string>();
    const consumer = await bus.consume(opts, async (m) => {
      started.push(jobIdOf(m.packet));
      if (holding) await new Promise<void>((resolve) => releases.push(resolve));
      await m.ack();
      done.push(jobIdOf(m.packet));
    });
    for (let i = 0; i < 20; i++) await bus.publishDurable(opts.filterSubject, jobPacket(`b${i}`));
    await started.count(8);
    await sleep(200);
    expect(batches).toEqual([8]);
    let info = await jsm.consumers.info(opts.stream, opts.consumer);
    expect([info.num_ack_pending, info.num_pending]).toEqual([8, 12]);

    releases.shift()?.();
    await started.count(9);
    await sleep(200);
    expect(batches).toEqual([8, 1]);
    info = await jsm.consumers.info(opts.stream, opts.consumer);
    expect([info.num_ack_pending, info.num_pending]).toEqual([8, 11]);
    expect(started.items).toHaveLength(9);

    holding = false;
    for (const release of releases.splice(0)) release();
    await done.count(20);
    await consumer.stop();
    watch.unsubscribe();
  });

  it("terms an undecodable job message so it is never redelivered", async () => {
    const bus = await newBus();
    await bus.provision();
    const opts = workQueue({ ackWaitMs: 300 });
    const got = new Inbox<string>();
    const before = bus.status().decodeErrors;
    const consumer = await bus.consume(opts, async (m) => {
      got.push(jobIdOf(m.packet));
      await m.ack();
    });
    await nc.jetstream().publish(opts.filterSubject, UNDECODABLE);
    await bus.publishDurable(opts.filterSubject, jobPacket("good"));
    expect(await got.count(1)).toEqual(["good"]);
    expect(bus.status().decodeErrors).toBe(before + 1);
    await sleep(opts.ackWaitMs * 2);
    const info = await jsm.consumers.info(opts.stream, opts.consumer);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(got.items).toEqual(["good"]);
    await consumer.stop();
  });

  it("logs undecodable messages once per subject but counts each", async () => {
    const warnings: { obj: object; msg?: string }[] = [];
    const logger: BusLogger = {
      info() {},
      warn(obj, msg) {
        if ("subject" in obj) warnings.push(msg === undefined ? { obj } : { obj, msg });
      },
      error() {},
    };
    const bus = await newBus(logger);
    const seen = new Inbox<string>();
    const subs = await Promise.all([
      bus.subscribe("garbage.a", (p) => seen.push(p.traceId)),
      bus.subscribe("garbage.b", (p) => seen.push(p.traceId)),
    ]);
    for (let i = 0; i < 3; i++) await bus.publishRaw("garbage.a", UNDECODABLE);
    await bus.publishRaw("garbage.b", UNDECODABLE);
    await bus.publish("garbage.a", jobPacket("sentinel-a"));
    await bus.publish("garbage.b", jobPacket("sentinel-b"));
    await seen.count(2);
    expect(bus.status().decodeErrors).toBe(4);
    expect(warnings.map((w) => (w.obj as { subject: string }).subject).sort()).toEqual([
      "garbage.a",
      "garbage.b",
    ]);
    await Promise.all(subs.map((s) => s.unsubscribe()));
  });

  it("updates an existing consumer whose ack wait or max deliver differ", async () => {
    const bus = await newBus();
    await bus.provision();
    const opts = workQueue({ ackWaitMs: 1_000, maxDeliver: 5 });
    await (await bus.consume(opts, async (m) => m.ack())).stop();
    await (await bus.consume({ ...opts, ackWaitMs: 2_500, maxDeliver: 3 }, async (m) => m.ack())).stop();
    const { config } = await jsm.consumers.info(opts.stream, opts.consumer);
    expect(config.ack_wait).toBe(nanos(2_500));
    expect(config.max_deliver).toBe(3);
    expect(config.filter_subject).toBe(opts.filterSubject);
  });

  it("provisions from two processes at once on a fresh server", async () => {
    const fresh = await startNats();
    try {
      const [a, b] = await Promise.all([
        connectNatsBus({ url: fresh.url, name: "provision-a" }),
        connectNatsBus({ url: fresh.url, name: "provision-b" }),
      ]);
      await Promise.all([a.provision(), b.provision()]);
      await Promise.all([a.provision(), b.provision()]);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await fresh.stop();
    }
  });

  it("consume() creates its stream when nothing was provisioned yet", async () => {
    const fresh = await startNats();
    try {
      const bus = await connectNatsBus({ url: fresh.url, name: "no-provision" });
      const opts = workQueue();
      const got = new Inbox<string>();
      const consumer = await bus.consume(opts, async (m) => {
        got.push(jobIdOf(m.packet));
        await m.ack();
      });
      await bus.publishDurable(opts.filterSubject, jobPacket("auto"));
      expect(await got.count(1)).toEqual(["auto"]);
      await consumer.stop();
      await bus.close();
    } finally {
      await fresh.stop();
    }
  });

  it("fails provisioning with BUS_UNAVAILABLE and a hint when JetStream is off", async () => {
    const plain = await startNats({ jetstream: false });
    try {
      const bus = await connectNatsBus({ url: plain.url, requestTimeoutMs: 1_000 });
      const err = await bus.provision().catch((e: unknown) => e);
      expect(isCortexError(err, "BUS_UNAVAILABLE")).toBe(true);
      expect(isCortexError(err) && err.hint).toMatch(/-js/);
      await bus.close();
    } finally {
      await plain.stop();
    }
  });
});

describe("durable publish acknowledgements", () => {
  it("fails with BUS_UNAVAILABLE when no stream stores the subject", async () => {
    const bus = await newBus();
    const err = await bus.publishDurable("nostream.here", jobPacket("x")).catch((e: unknown) => e);
    expect(isCortexError(err)).toBe(true);
    expect((err as { code: string }).code).toBe("BUS_UNAVAILABLE");
    expect((err as Error).message).toMatch(/no JetStream stream answered durable publish to nostream\.here/);
  });

  it("turns a PubAck error into a typed error and keeps serving later publishes", async () => {
    await jsm.streams.add({
      name: "FULL_TEST",
      subjects: ["full.test"],
      max_msgs: 1,
      discard: DiscardPolicy.New,
      storage: StorageType.Memory,
    });
    const bus = await newBus();
    await bus.publishDurable("full.test", jobPacket("first"));
    const err = await bus.publishDurable("full.test", jobPacket("second")).catch((e: unknown) => e);
    expect(isCortexError(err)).toBe(true);
    expect((err as { code: string }).code).toBe("BUS_UNAVAILABLE");
    await jsm.streams.purge("FULL_TEST");
    await bus.publishDurable("full.test", jobPacket("third"));
    expect((await jsm.streams.info("FULL_TEST")).state.messages).toBe(1);
  });
});
