/**
 * NatsBus when nats-server goes away: typed errors while it is down, status that says so,
 * and a consume() that carries on by itself once the server (or its consumer) is back.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BusState, WorkConsumer } from "../../src/bus/bus.js";
import { connectNatsBus, type NatsBus } from "../../src/bus/nats-bus.js";
import { CortexError } from "../../src/core/errors.js";
import { Inbox, jobIdOf, jobPacket, workQueue } from "../support/bus-contract.js";
import { freePort } from "../support/free-port.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";

let nats: NatsHandle;
let bus: NatsBus;
let consumer: WorkConsumer | undefined;
const opts = workQueue({ ackWaitMs: 2_000 });
const got = new Inbox<string>();

function untilState(states: BusState[], timeoutMs = 5_000): Promise<BusState> {
  const now = bus.status().state;
  if (states.includes(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`bus never reached ${states.join("/")} (is ${bus.status().state})`));
    }, timeoutMs);
    const off = bus.onStatus((s) => {
      if (!states.includes(s.state)) return;
      clearTimeout(timer);
      off();
      resolve(s.state);
    });
  });
}

function expectBusError(err: unknown): void {
  expect(err).toBeInstanceOf(CortexError);
  const e = err as CortexError;
  expect(["BUS_UNAVAILABLE", "BUS_TIMEOUT"]).toContain(e.code);
  expect(e.hint).toBeTruthy();
}

beforeAll(async () => {
  nats = await startNats();
  bus = await connectNatsBus({
    url: nats.url,
    name: "faults-test",
    reconnectWaitMs: 100,
    requestTimeoutMs: 1_000,
    pullExpiresMs: 1_000,
  });
  await bus.provision();
  consumer = await bus.consume(opts, async (m) => {
    got.push(jobIdOf(m.packet));
    await m.ack();
  });
});

afterAll(async () => {
  await consumer?.stop();
  await bus?.close();
  await nats?.stop();
});

describe("NatsBus faults", () => {
  it("fails to connect to a port with no server: BUS_UNAVAILABLE with a hint", async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await connectNatsBus({ url: `nats://127.0.0.1:${port}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CortexError);
    expect((err as CortexError).code).toBe("BUS_UNAVAILABLE");
    expect((err as CortexError).hint).toMatch(/nats-server/);
    expect((err as CortexError).message).toContain(String(port));
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("survives kill -9 of the server: typed errors while down, the same consume() after restart", async () => {
    await bus.publishDurable(opts.filterSubject, jobPacket("before"));
    expect(await got.count(1)).toEqual(["before"]);

    // Mid-operation: publishes already on their way when the server dies.
    const inFlight = [1, 2, 3].map((i) =>
      bus.publishDurable(opts.filterSubject, jobPacket(`racing${i}`)).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    await nats.kill9();
    await untilState(["disconnected", "reconnecting"]);
    for (const outcome of await Promise.all(inFlight)) if (outcome !== undefined) expectBusError(outcome);

    expectBusError(await bus.publishDurable(opts.filterSubject, jobPacket("down")).catch((e: unknown) => e));
    expectBusError(await bus.ping(300).catch((e: unknown) => e));
    expect(["disconnected", "reconnecting"]).toContain(bus.status().state);

    await nats.restart();
    await untilState(["connected"]);
    await bus.ping(2_000);
    await bus.publishDurable(opts.filterSubject, jobPacket("after"));
    await got.find((id) => id === "after", 8_000);
    expect(got.items).not.toContain("down");
  });

  it("keeps consuming after the consumer is deleted under it", async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.delete(opts.stream, opts.consumer);
      await bus.publishDurable(opts.filterSubject, jobPacket("recreated"));
      await got.find((id) => id === "recreated", 8_000);
      const info = await jsm.consumers.info(opts.stream, opts.consumer);
      expect(info.config.filter_subject).toBe(opts.filterSubject);
    } finally {
      await nc.close();
    }
  });

  it("keeps consuming after the server restarts with its store lost", async () => {
    await nats.kill9();
    for (const entry of readdirSync(nats.storeDir)) rmSync(join(nats.storeDir, entry), { recursive: true });
    await nats.restart();
    await untilState(["connected"]);
    // The stream is gone with the store; the consumer's recovery brings back both.
    let published = false;
    for (let i = 0; i < 50 && !published; i++) {
      published = await bus.publishDurable(opts.filterSubject, jobPacket("fresh")).then(
        () => true,
        () => new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
      );
    }
    expect(published).toBe(true);
    await got.find((id) => id === "fresh", 8_000);
  });
});
