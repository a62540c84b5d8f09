/**
 * Credentials never leave the process (DESIGN.md "CLI conventions", issue 14 finding 3):
 * `up`, `ps` (text and --json) and the daemon log against auth-enabled nats-server and
 * redis-server show no password, and a wrong one stops `up` with "authentication failed".
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrorJson, UpResult } from "../../src/client/json-shapes.js";
import { onNats } from "../support/backend.js";
import { type CliResult, removeHome, runCli, stackEnv } from "../support/cli.js";
import { type NatsHandle, startNats } from "../support/nats-server.js";
import { type RedisHandle, startRedis } from "../support/redis-server.js";

const SECRET = "e2e-s3cr3t-Pw";

describe.skipIf(!onNats())("credentials through the CLI", () => {
  let nats: NatsHandle;
  let redis: RedisHandle;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([
      startNats({ user: "cortex", pass: SECRET }),
      startRedis({ aclUser: { name: "app", password: SECRET }, password: SECRET }),
    ]);
    env = await stackEnv({ natsUrl: nats.url, redisUrl: redis.url });
  });

  afterAll(async () => {
    if (env) {
      await runCli(["down", "--timeout", "10"], env).catch(() => undefined);
      removeHome(env);
    }
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  const shown = (r: CliResult) => `${r.stdout}\n${r.stderr}`;
  const expectNoSecret = (text: string) => expect(text).not.toContain(SECRET);

  it("up refuses a wrong NATS password with BUS_AUTH_FAILED and exit 3", async () => {
    const wrong = { ...env, NATS_URL: nats.url.replace(SECRET, "wrong-pw") };
    const r = await runCli(["up", "--json"], wrong);
    expect(r.code, shown(r)).toBe(3);
    expect((r.json as ErrorJson).error).toMatchObject({
      code: "BUS_AUTH_FAILED",
      message: expect.stringContaining("authentication failed"),
    });
    expect(shown(r)).not.toContain("wrong-pw");
  });

  it("up, ps and the daemon log show the URLs redacted", async () => {
    const up = await runCli(["up", "--json"], env, 90_000);
    expect(up.code, shown(up)).toBe(0);
    expectNoSecret(shown(up));
    expect((up.json as UpResult).servers.map((s) => s.url)).toEqual([
      `nats://***@127.0.0.1:${nats.port}`,
      `redis://***@127.0.0.1:${redis.port}`,
    ]);
    const again = await runCli(["up"], env);
    expect(again.code, shown(again)).toBe(0);
    expectNoSecret(shown(again));

    const ps = await runCli(["ps", "--json"], env);
    expect(ps.code, shown(ps)).toBe(0);
    expectNoSecret(shown(ps));
    expect(ps.json).toMatchObject({
      nats: { url: `nats://***@127.0.0.1:${nats.port}`, connected: true },
      redis: { url: `redis://***@127.0.0.1:${redis.port}`, connected: true },
    });
    const psText = await runCli(["ps"], env);
    expect(psText.code, shown(psText)).toBe(0);
    expect(psText.stdout).toContain(`nats://***@127.0.0.1:${nats.port}`);
    expectNoSecret(shown(psText));

    expectNoSecret(readFileSync(join(String(env.CORTEX_HOME), "logs", "daemon.log"), "utf8"));
  });
});
