/**
 * The Redis store and `cortex up`'s probe over TLS (issue 14): a real redis-server with only
 * a TLS port and requirepass, a CA from REDIS_TLS_CA, rediss:// URLs.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { ensureServer } from "../../src/daemon/supervisor/managed-servers.js";
import { probeRedis } from "../../src/daemon/supervisor/protocol-probe.js";
import { connectRedis } from "../../src/store/redis-connection.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";
import { rejection } from "../support/rejection.js";
import { newJob } from "../support/store-contract.js";
import { makeTestCerts, type TestCerts } from "../support/tls-certs.js";

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const SECRET = "s3cr3t-Tls";

let certs: TestCerts;
let otherCa: TestCerts;
let redis: RedisHandle;

beforeAll(async () => {
  certs = makeTestCerts();
  otherCa = makeTestCerts();
  redis = await startRedis({ password: SECRET, tls: certs });
});

afterAll(async () => {
  await redis?.stop();
  certs?.remove();
  otherCa?.remove();
});

describe("Redis over TLS", () => {
  it("admits and reads back a job over rediss:// with requirepass", async () => {
    expect(redis.url).toMatch(/^rediss:\/\//);
    const store = await createRedisStore({
      url: redis.url,
      prefix: uniquePrefix(),
      tlsCaFile: certs.caFile,
      logger,
    });
    try {
      const job = newJob();
      const out = await store.admitJob({ job, steps: [{ to: "SCHEDULED", incrementAttempts: true }] });
      expect(out.ok).toBe(true);
      expect(await store.getJob(job.jobId)).toMatchObject({
        jobId: job.jobId,
        state: "SCHEDULED",
        attempts: 1,
      });
    } finally {
      await store.close();
    }
  });

  it("logs in with a client certificate too (REDIS_TLS_CERT / REDIS_TLS_KEY)", async () => {
    const r = await connectRedis({
      url: redis.url,
      tlsCaFile: certs.caFile,
      tlsCertFile: certs.certFile,
      tlsKeyFile: certs.keyFile,
      logger,
    });
    try {
      expect(await r.ping()).toBe("PONG");
    } finally {
      r.disconnect();
    }
  });

  it("a wrong password over TLS is STORE_AUTH_FAILED, without the password", async () => {
    const err = await rejection(
      connectRedis({ url: `rediss://:wrong@127.0.0.1:${redis.port}`, tlsCaFile: certs.caFile, logger }),
    );
    expect(err.code).toBe(ErrorCode.StoreAuthFailed);
    expect(err.toUserString()).not.toContain("wrong");
  });

  it("a CA that did not sign the server's certificate is a TLS error, not 'cannot reach'", async () => {
    const err = await rejection(connectRedis({ url: redis.url, tlsCaFile: otherCa.caFile, logger }));
    expect(err.code).toBe(ErrorCode.StoreTlsFailed);
    expect(err.message).toContain("TLS");
    expect(err.message).not.toContain("cannot reach");
    expect(err.toUserString()).not.toContain(SECRET);
  });

  it("the up probe: ok, authentication failed, and a TLS failure, each over TLS", async () => {
    expect(await probeRedis(redis.url, { tlsCaFile: certs.caFile })).toBe("ok");
    expect(await probeRedis(`rediss://:wrong@127.0.0.1:${redis.port}`, { tlsCaFile: certs.caFile })).toBe(
      "auth-failed",
    );
    expect(await probeRedis(redis.url, { tlsCaFile: otherCa.caFile })).toBe("tls-failed");

    const home = {} as Parameters<typeof ensureServer>[2]; // never used: nothing is started
    const ok = await ensureServer("redis", redis.url, home, { redisTls: { tlsCaFile: certs.caFile } });
    expect(ok).toMatchObject({ status: "reachable", url: `rediss://***@127.0.0.1:${redis.port}` });
    const refused = await rejection(
      ensureServer("redis", `rediss://:wrong@127.0.0.1:${redis.port}`, home, {
        redisTls: { tlsCaFile: certs.caFile },
      }),
    );
    expect(refused.code).toBe(ErrorCode.StoreAuthFailed);
    expect(refused.message).toContain("authentication failed");
    const untrusted = await rejection(
      ensureServer("redis", redis.url, home, { redisTls: { tlsCaFile: otherCa.caFile } }),
    );
    expect(untrusted.code).toBe(ErrorCode.StoreTlsFailed);
    expect(untrusted.toUserString()).not.toContain(SECRET);
  });
});
