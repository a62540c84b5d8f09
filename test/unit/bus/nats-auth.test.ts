import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { natsConnectOptions } from "../../../src/bus/nats-auth.js";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";

const dir = mkdtempSync(join(tmpdir(), "cortex-nats-auth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("natsConnectOptions", () => {
  it("splits user:pass and tokens off the servers", () => {
    expect(natsConnectOptions("nats://u:p%40ss@a:4222")).toEqual({
      servers: ["nats://a:4222"],
      user: "u",
      pass: "p@ss",
    });
    expect(natsConnectOptions("nats://tok@a:4222")).toEqual({ servers: ["nats://a:4222"], token: "tok" });
    expect(natsConnectOptions("nats://a:1, b:2")).toEqual({ servers: ["nats://a:1", "b:2"] });
    expect(natsConnectOptions("nats://u:p@a:1,nats://b:2,u:p@c:3")).toEqual({
      servers: ["nats://a:1", "nats://b:2", "c:3"],
      user: "u",
      pass: "p",
    });
  });

  it("refuses a list whose servers disagree on credentials, without showing them", () => {
    let err: unknown;
    try {
      natsConnectOptions("nats://u:one@a:1,nats://u:two@b:2");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CortexError);
    expect((err as CortexError).code).toBe(ErrorCode.ConfigInvalid);
    expect((err as CortexError).message).not.toMatch(/one|two/);
  });

  it("turns NATS_TLS_* into tls options, and tls:// into TLS", () => {
    expect(
      natsConnectOptions("nats://a:1", { tlsCaFile: "/ca.pem", tlsCertFile: "/c.pem", tlsKeyFile: "/k.pem" })
        .tls,
    ).toEqual({ caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem" });
    expect(natsConnectOptions("tls://a:1").tls).toEqual({});
    expect(natsConnectOptions("nats://a:1").tls).toBeUndefined();
  });

  it("reads a creds file into an authenticator; an unreadable one is CONFIG_INVALID", () => {
    const creds = join(dir, "user.creds");
    writeFileSync(creds, "-----BEGIN NATS USER JWT-----\nx\n------END NATS USER JWT------\n");
    expect(natsConnectOptions("nats://a:1", { credsFile: creds }).authenticator).toBeTypeOf("function");
    expect(() => natsConnectOptions("nats://a:1", { credsFile: join(dir, "missing.creds") })).toThrow(
      CortexError,
    );
  });
});
