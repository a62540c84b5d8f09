import { describe, expect, it } from "vitest";
import { redactUrl, redactUrlsIn } from "../../../src/core/redact-url.js";

describe("redactUrl", () => {
  it.each([
    ["redis://user:secret@h:6379", "redis://***@h:6379"],
    ["redis://:secret@h:6379/0", "redis://***@h:6379/0"],
    ["rediss://default:p%40ss@h:6380", "rediss://***@h:6380"],
    ["nats://s3cr3t-token@h:4222", "nats://***@h:4222"],
    ["nats://u:p@a:1, nats://u:p@b:2", "nats://***@a:1, nats://***@b:2"],
    ["tls://u:p@a:1,u:p@b:2", "tls://***@a:1,***@b:2"],
    ["nats://h:4222", "nats://h:4222"],
    ["redis://127.0.0.1:6379", "redis://127.0.0.1:6379"],
    ["sqlite:///data/a@b.db", "sqlite:///data/a@b.db"],
  ])("%s -> %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(shown)).toBe(shown);
  });
});

describe("redactUrlsIn", () => {
  it("masks every URL of a message and leaves other @ alone", () => {
    const text = "cannot reach NATS at nats://u:secret@h:1,nats://tok@h2:2 (mail ops@example.com)";
    const out = redactUrlsIn(text);
    expect(out).not.toMatch(/secret|tok@/);
    expect(out).toContain("ops@example.com");
    expect(out).toContain("nats://***@h:1");
  });
});
