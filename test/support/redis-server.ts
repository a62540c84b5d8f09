/**
 * Starts a real redis-server for a test file: the binary from PATH on a free port with its
 * own dir and no persistence, or (CORTEX_TEST_DOCKER=1 and a Docker engine up) a
 * redis:7-alpine container. Every server started here is killed when the test process exits.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { findBinary, missingServerError } from "./find-binary.js";
import { freePort } from "./free-port.js";
import {
  containerControls,
  makeServerDir,
  processControls,
  removeServerDir,
  serverProcess,
  wantDocker,
} from "./server-process.js";

export interface RedisHandle {
  /** With the credentials of StartRedisOptions in it, when any. */
  url: string;
  /** The same server without credentials. */
  plainUrl: string;
  port: number;
  /** The server's working dir ("" for a container). */
  dir: string;
  /** Graceful stop; removes the dir. */
  stop(): Promise<void>;
  /** SIGKILL; restart() brings it back. */
  kill9(): Promise<void>;
  /** Start again on the same port with the same dir (stops first if running). */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/** A key prefix unique to one test, e.g. "t3f9a01c2:". */
export function uniquePrefix(): string {
  return `t${randomBytes(4).toString("hex")}:`;
}

export interface StartRedisOptions {
  /** `--requirepass`: the default user needs this password. */
  password?: string;
  /** An ACL user with every permission; `url` then logs in as it. */
  aclUser?: { name: string; password: string };
  /** TLS only (`--port 0`, `rediss://` URLs); clients need no certificate. Not with Docker. */
  tls?: { caFile: string; certFile: string; keyFile: string };
  /** `--appendonly yes` (fsync every second) in the server's dir, kept across restart(). */
  appendonly?: boolean;
}

function authArgs(opts: StartRedisOptions): string[] {
  const args: string[] = [];
  if (opts.password !== undefined) args.push("--requirepass", opts.password);
  if (opts.aclUser)
    args.push("--user", opts.aclUser.name, "on", `>${opts.aclUser.password}`, "~*", "&*", "+@all");
  return args;
}

function tlsArgs(port: number, opts: StartRedisOptions): string[] {
  if (!opts.tls) return ["--port", String(port)];
  const { caFile, certFile, keyFile } = opts.tls;
  return [
    "--port",
    "0",
    "--tls-port",
    String(port),
    "--tls-cert-file",
    certFile,
    "--tls-key-file",
    keyFile,
    "--tls-ca-cert-file",
    caFile,
    "--tls-auth-clients",
    "optional",
  ];
}

function urlsOf(port: number, opts: StartRedisOptions): { url: string; plainUrl: string } {
  const scheme = opts.tls ? "rediss" : "redis";
  const plainUrl = `${scheme}://127.0.0.1:${port}`;
  const enc = encodeURIComponent;
  const userinfo = opts.aclUser
    ? `${enc(opts.aclUser.name)}:${enc(opts.aclUser.password)}@`
    : opts.password !== undefined
      ? `:${enc(opts.password)}@`
      : "";
  return { url: `${scheme}://${userinfo}127.0.0.1:${port}`, plainUrl };
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  if (!opts.tls && (await wantDocker())) return startRedisContainer(opts);
  const bin = findBinary("redis-server");
  if (!bin) throw missingServerError("redis-server");
  return startRedisProcess(bin, opts);
}

async function startRedisProcess(bin: string, opts: StartRedisOptions): Promise<RedisHandle> {
  const dir = makeServerDir("cortex-redis-");
  const port = await freePort();
  const args = [
    ...tlsArgs(port, opts),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    opts.appendonly ? "yes" : "no",
    "--dir",
    dir,
    ...authArgs(opts),
  ];
  const server = serverProcess({
    name: "redis-server",
    bin,
    args,
    port,
    waitReady: (signal) => waitPong(port, signal, opts.tls?.caFile),
    captureStdout: true,
    // A forgotten server must not keep the test process alive; the exit hook kills it.
    unref: true,
  });

  await server.launch();

  return {
    ...urlsOf(port, opts),
    port,
    dir,
    ...processControls(server, () => removeServerDir(dir)),
  };
}

/** redis:7-alpine in Docker, the host port bound explicitly so restart() keeps the URL. */
async function startRedisContainer(opts: StartRedisOptions): Promise<RedisHandle> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const port = await freePort();
  const container = await new GenericContainer("redis:7-alpine")
    .withCommand([
      "redis-server",
      "--save",
      "",
      "--appendonly",
      opts.appendonly ? "yes" : "no",
      ...authArgs(opts),
    ])
    .withExposedPorts({ container: 6379, host: port })
    .withWaitStrategy(Wait.forLogMessage("Ready to accept connections"))
    .start();
  return {
    ...urlsOf(port, opts),
    port,
    dir: "",
    ...containerControls(container, () => waitPong(port)),
  };
}

/** Resolves once a raw PING on the port answers +PONG. */
async function waitPong(port: number, signal?: AbortSignal, tlsCaFile?: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      await pingOnce(port, tlsCaFile);
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms`, { cause: last });
}

function pingOnce(port: number, tlsCaFile?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock =
      tlsCaFile === undefined
        ? tcpConnect({ host: "127.0.0.1", port })
        : tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(tlsCaFile) });
    let reply = "";
    sock.setTimeout(1_000, () => sock.destroy(new Error("PING timed out")));
    sock.once("error", reject);
    sock.once(tlsCaFile === undefined ? "connect" : "secureConnect", () => sock.write("PING\r\n"));
    sock.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (!reply.includes("\r\n")) return;
      sock.destroy();
      // NOAUTH: up, but password-protected (StartRedisOptions).
      if (reply.startsWith("+PONG") || reply.startsWith("-NOAUTH")) resolve();
      else reject(new Error(`PING answered ${reply.trim()}`));
    });
  });
}
