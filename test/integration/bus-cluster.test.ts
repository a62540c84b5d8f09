/**
 * Streams on a 3-node JetStream cluster: provisioned R1 and scaled to R3 in place, and
 * replicas > 1 refused on a single server. A node killed under load is in
 * test/faults/cluster.test.ts.
 */
import { AckPolicy, connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNatsBus, type NatsBus } from "../../src/bus/nats-bus.js";
import { ErrorCode } from "../../src/core/errors.js";
import { Streams } from "../../src/core/subjects.js";
import { type NatsClusterHandle, startNatsCluster } from "../support/nats-cluster.js";
import { startNats } from "../support/nats-server.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
let cluster: NatsClusterHandle;
let nc: NatsConnection;
const stops: (() => Promise<unknown>)[] = [];

async function bus(name: string, streamReplicas: number): Promise<NatsBus> {
  const b = await connectNatsBus({ url: cluster.url, name, logger, streamReplicas, reconnectWaitMs: 250 });
  stops.push(() => b.close());
  return b;
}

async function replicasOf(stream: string): Promise<number> {
  const jsm = await nc.jetstreamManager();
  return (await jsm.streams.info(stream)).config.num_replicas;
}

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  nc = await connect({ servers: cluster.nodes.map((n) => n.plainUrl) });
}, 60_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await nc?.close();
  await cluster?.stop();
});

describe("a 3-node JetStream cluster", () => {
  it("provisions R1 streams and scales them to R3 in place", async () => {
    const r1 = await bus("cluster-test-r1", 1);
    await r1.provision();
    expect(await replicasOf(Streams.submit)).toBe(1);
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(Streams.submit, { durable_name: "r1-probe", ack_policy: AckPolicy.Explicit });
    const r3 = await bus("cluster-test-r3", 3);
    await r3.provision();
    for (const s of [Streams.submit, Streams.result, Streams.jobs]) expect(await replicasOf(s)).toBe(3);
    // A consumer made on the R1 stream follows it to three replicas (it inherits the count).
    await expect
      .poll(
        async () => (await jsm.consumers.info(Streams.submit, "r1-probe")).cluster?.replicas?.length ?? 0,
        {
          timeout: 10_000,
        },
      )
      .toBe(2);
    await jsm.consumers.delete(Streams.submit, "r1-probe");
  });

  it("refuses replicas > 1 on a single nats-server with CONFIG_INVALID and a hint", async () => {
    const single = await startNats();
    stops.push(() => single.stop());
    const b = await connectNatsBus({ url: single.url, name: "single-r3", logger, streamReplicas: 3 });
    stops.push(() => b.close());
    const err = await b.provision().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: ErrorCode.ConfigInvalid });
    expect((err as { hint?: string }).hint).toContain("CORTEX_STREAM_REPLICAS=3");
  });
});
