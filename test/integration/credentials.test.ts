/**
 * Credentials stay in the process (issue 14, finding 3): against real nats-server and
 * redis-server that require auth, the bus and store log in with the URL's credentials, a
 * wrong one says "authentication failed", and no status, probe or error shows a password.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNatsBus, type NatsBus } from "../../src/bus/nats-bus.js";
import { createGatewayClient } from "../../src/client/gateway-client.js";
import { CortexError, ErrorCode } from "../../src/core/errors.js";
import { GatewayServer } from "../../src/daemon/gateway/gateway-server.js";
import { ensureServer } from "../../src/daemon/supervisor/managed-servers.js";
import { probeNats, probeRedis } from "../../src/daemon/supervisor/protocol-probe.js";
import { connectRedis } from "../../src/store/redis-connection.js";
import { createRedisStore, type RedisJobStore } from "../../src/store/redis-store.js";
import { freePort } from "../support/free-port.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";
import { makeTestCerts, type TestCerts } from "../support/tls-certs.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const SECRET = "s3cr3t-Pw";
const TOKEN = "t0ken-Zq";

let nats: NatsHandle;
let natsToken: NatsHandle;
let redis: RedisHandle;

beforeAll(async () => {
  [nats, natsToken, redis] = await Promise.all([
    startNats({ user: "cortex", pass: SECRET }),
    startNats({ token: TOKEN, jetstream: false }),
    startRedis({ password: SECRET, aclUser: { name: "app", password: SECRET } }),
  ]);
});

afterAll(async () => {
  await Promise.all([nats?.stop(), natsToken?.stop(), redis?.stop()]);
});

function expectNoSecret(value: unknown): void {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(TOKEN);
}

async function rejection(p: Promise<unknown>): Promise<CortexError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CortexError);
  return err as CortexError;
}

describe("NATS with auth", () => {
  it("connects with user:pass and with a token from the URL; status shows neither", async () => {
    for (const url of [nats.url, natsToken.url]) {
      const bus = await connectNatsBus({ url, name: "creds-test", logger });
      try {
        await bus.ping();
        expect(bus.status().state).toBe("connected");
        expect(bus.status().url).toMatch(/^nats:\/\/\*\*\*@127\.0\.0\.1:\d+$/);
      } finally {
        await bus.close();
      }
    }
  });

  it("takes a comma-separated list with credentials", async () => {
    const bus = await connectNatsBus({ url: `${nats.url},${nats.url}`, logger });
    try {
      await bus.ping();
      expectNoSecret(bus.status());
    } finally {
      await bus.close();
    }
  });

  it.each([
    ["a wrong password", () => nats.url.replace(SECRET, "wrong")],
    ["no credentials", () => nats.plainUrl],
    ["a wrong token", () => natsToken.url.replace(TOKEN, "wrong")],
  ])("reports %s as BUS_AUTH_FAILED, not as unreachable", async (_name, url) => {
    const err = await rejection(connectNatsBus({ url: url(), logger }));
    expect(err.code).toBe(ErrorCode.BusAuthFailed);
    expect(err.message).toContain("authentication failed");
    expect(err.hint).toMatch(/credentials/);
    expectNoSecret(err.toUserString());
  });

  it("says which server is unreachable without its password", async () => {
    const err = await rejection(
      connectNatsBus({
        url: `nats://cortex:${SECRET}@127.0.0.1:${await freePort()}`,
        logger,
        requestTimeoutMs: 500,
      }),
    );
    expect(err.code).toBe(ErrorCode.BusUnavailable);
    expectNoSecret(err.toUserString());
  });
});

describe("NATS over TLS", () => {
  let certs: TestCerts;
  let tlsNats: NatsHandle;

  beforeAll(async () => {
    certs = makeTestCerts();
    tlsNats = await startNats({ user: "cortex", pass: SECRET, tls: certs, jetstream: false });
  });

  afterAll(async () => {
    await tlsNats?.stop();
    certs?.remove();
  });

  it("connects with NATS_TLS_CA's CA and the URL's user:pass", async () => {
    const bus = await connectNatsBus({ url: tlsNats.url, tlsCaFile: certs.caFile, logger });
    try {
      await bus.ping();
    } finally {
      await bus.close();
    }
  });

  it("without the CA the server's certificate is refused", async () => {
    const err = await rejection(connectNatsBus({ url: tlsNats.url, logger, requestTimeoutMs: 1_000 }));
    expectNoSecret(err.toUserString());
  });

  it("the probe says ok from INFO alone: it does not speak TLS", async () => {
    expect(await probeNats(tlsNats.url)).toBe("ok");
  });
});

describe("Redis with auth", () => {
  it("connects with requirepass and with an ACL user", async () => {
    for (const url of [redis.url, `redis://:${SECRET}@127.0.0.1:${redis.port}`]) {
      const r = await connectRedis({ url, logger });
      try {
        expect(await r.ping()).toBe("PONG");
      } finally {
        r.disconnect();
      }
    }
  });

  it.each([
    ["a wrong password", () => `redis://:wrong@127.0.0.1:${redis.port}`],
    ["a wrong ACL password", () => `redis://app:wrong@127.0.0.1:${redis.port}`],
    ["no password", () => redis.plainUrl],
  ])("reports %s as STORE_AUTH_FAILED", async (_name, url) => {
    const err = await rejection(connectRedis({ url: url(), logger }));
    expect(err.code).toBe(ErrorCode.StoreAuthFailed);
    expect(err.message).toContain("authentication failed");
    expect(err.toUserString()).not.toContain("wrong");
  });
});

describe("protocol probes (cortex up)", () => {
  it("log in to NATS and Redis, and tell a refused login from an absent server", async () => {
    expect(await probeNats(nats.url)).toBe("ok");
    expect(await probeNats(natsToken.url)).toBe("ok");
    expect(await probeNats(nats.plainUrl)).toBe("auth-failed");
    expect(await probeNats(nats.url.replace(SECRET, "wrong"))).toBe("auth-failed");
    expect(await probeRedis(redis.url)).toBe("ok");
    expect(await probeRedis(`redis://:${SECRET}@127.0.0.1:${redis.port}`)).toBe("ok");
    expect(await probeRedis(redis.plainUrl)).toBe("auth-failed");
    expect(await probeRedis(`redis://app:wrong@127.0.0.1:${redis.port}`)).toBe("auth-failed");
    // Like ioredis: a password for a server that has none is not a refusal.
    const open = await startRedis();
    try {
      expect(await probeRedis(`redis://:unused@127.0.0.1:${open.port}`)).toBe("ok");
    } finally {
      await open.stop();
    }
    const nobody = `127.0.0.1:${await freePort()}`;
    expect(await probeNats(`nats://${nobody}`)).toBe("unreachable");
    expect(await probeRedis(`redis://${nobody}`)).toBe("unreachable");
    // A Redis probe at a NATS port gets an -ERR, not a PONG.
    expect(await probeRedis(nats.plainUrl.replace("nats:", "redis:"))).toBe("not-the-protocol");
  });

  it("ensureServer returns redacted URLs and fails on refused credentials", async () => {
    const home = {} as Parameters<typeof ensureServer>[2]; // never used: nothing is started
    const ok = await ensureServer("redis", redis.url, home);
    expect(ok).toMatchObject({ status: "reachable", url: `redis://***@127.0.0.1:${redis.port}` });
    const err = await rejection(ensureServer("nats", nats.url.replace(SECRET, "wrong"), home));
    expect(err.code).toBe(ErrorCode.BusAuthFailed);
    expect(err.message).toContain("authentication failed");
  });
});

describe("GetStatus and /ready", () => {
  let bus: NatsBus;
  let store: RedisJobStore;
  let gateway: GatewayServer;

  beforeAll(async () => {
    bus = await connectNatsBus({ url: nats.url, name: "creds-gateway", logger });
    await bus.provision();
    store = await createRedisStore({ url: redis.url, prefix: uniquePrefix(), logger });
    gateway = new GatewayServer({
      bus,
      store,
      logger,
      config: { grpcPort: 0, httpPort: 0, poolTopics: { "job.echo": "echo" }, redisUrl: redis.url },
    });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
    await store?.close();
    await bus?.close();
  });

  it("GetStatus shows the URLs redacted", async () => {
    const client = createGatewayClient({ address: `127.0.0.1:${gateway.ports().grpc}`, timeoutMs: 5_000 });
    try {
      const s = await client.getStatus();
      expect(s.natsUrl).toBe(`nats://***@127.0.0.1:${nats.port}`);
      expect(s.redisUrl).toBe(`redis://***@127.0.0.1:${redis.port}`);
      expect(s.natsConnected && s.redisConnected).toBe(true);
      expectNoSecret(s);
    } finally {
      client.close();
    }
  });

  it("/ready names a down bus without its password", async () => {
    const base = `http://127.0.0.1:${gateway.ports().http}`;
    const up = await fetch(`${base}/ready`);
    expect(up.status).toBe(200);
    await nats.kill9();
    try {
      const res = await fetch(`${base}/ready`);
      const body = await res.text();
      expect(res.status).toBe(503);
      expect(body).toContain("bus");
      expectNoSecret(body);
    } finally {
      await nats.restart();
    }
  });
});
