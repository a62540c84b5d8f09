import { describe, expect, it } from "vitest";
import { keyNames, parseRedisPointer, redisPointer } from "../../../src/core/keys.js";

const ID = "7d444840-9dc0-11d1-b245-5ffdce74fad2";

describe("keyNames", () => {
  it("without a prefix gives the key names users read with redis-cli", () => {
    const k = keyNames();
    expect(k.prefix).toBe("");
    expect(k.ctx(ID)).toBe(`ctx:${ID}`);
    expect(k.res(ID)).toBe(`res:${ID}`);
    expect(k.meta(ID)).toBe(`job:meta:${ID}`);
    expect(k.events(ID)).toBe(`job:events:${ID}`);
    expect(k.index("RUNNING")).toBe("job:index:RUNNING");
    expect(k.recent()).toBe("job:recent");
    expect(k.trace("abc")).toBe("trace:abc");
    expect(k.resultGuard(ID, 2)).toBe(`job:result:${ID}:2`);
    expect(k.late(ID)).toBe(`job:late:${ID}`);
    expect(k.eventStream()).toBe("events");
    expect(k.eventSeq()).toBe("events:seq");
  });

  it("puts the prefix in front of every key", () => {
    const k = keyNames("t1:");
    expect(k.prefix).toBe("t1:");
    expect(k.ctx(ID)).toBe(`t1:ctx:${ID}`);
    expect(k.res(ID)).toBe(`t1:res:${ID}`);
    expect(k.meta(ID)).toBe(`t1:job:meta:${ID}`);
    expect(k.events(ID)).toBe(`t1:job:events:${ID}`);
    expect(k.index("PENDING")).toBe("t1:job:index:PENDING");
    expect(k.recent()).toBe("t1:job:recent");
    expect(k.trace("abc")).toBe("t1:trace:abc");
    expect(k.resultGuard(ID, 1)).toBe(`t1:job:result:${ID}:1`);
    expect(k.late(ID)).toBe(`t1:job:late:${ID}`);
    expect(k.eventStream()).toBe("t1:events");
    expect(k.eventSeq()).toBe("t1:events:seq");
  });
});

describe("redis pointers", () => {
  it("wrap a key as redis://<key>", () => {
    expect(redisPointer(`ctx:${ID}`)).toBe(`redis://ctx:${ID}`);
    expect(redisPointer(keyNames("t1:").res(ID))).toBe(`redis://t1:res:${ID}`);
  });

  it("round-trip through parseRedisPointer", () => {
    for (const key of [keyNames().ctx(ID), keyNames().res(ID), keyNames("p:").res(ID)]) {
      expect(parseRedisPointer(redisPointer(key))).toBe(key);
    }
  });

  it.each(["", "ctx:1", "http://ctx:1", "REDIS://ctx:1", "redis:/ctx:1"])("%j is not a pointer", (ptr) => {
    expect(parseRedisPointer(ptr)).toBeUndefined();
  });
});
