/** The JobStore contract against a real redis-server, one key prefix per test. */
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { keyNames } from "../../src/core/keys.js";
import { createRedisStore } from "../../src/store/redis-store.js";
import { type RedisHandle, startRedis, uniquePrefix } from "../support/redis-server.js";
import { runStoreContract } from "../support/store-contract.js";
import { DEAD_LETTER_TEST_MAX } from "../support/store-contract-dead-letters.js";

let server: RedisHandle;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

runStoreContract("redis", async () => {
  const prefix = uniquePrefix();
  const store = await createRedisStore({
    url: server.url,
    prefix,
    retentionSeconds: 3_600,
    deadLetterMax: DEAD_LETTER_TEST_MAX,
  });
  const redis = new Redis(server.url);
  const keys = keyNames(prefix);
  return {
    store,
    inspect: { redis, keys },
    corrupt: {
      async setField(jobId, field, value) {
        await redis.hset(keys.meta(jobId), field, String(value));
      },
      async addRawEvent(jobId, body) {
        await redis.rpush(keys.events(jobId), body);
        await redis.xadd(keys.eventStream(), "*", "event", body);
      },
    },
    async cleanup() {
      await store.close();
      await redis.quit();
    },
  };
});
