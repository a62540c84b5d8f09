/**
 * Readiness probes that speak the protocol, so `cortex up` never says "reachable" about a
 * server that refuses our credentials. NATS: INFO, then CONNECT (with the URL's auth) +
 * PING, expecting PONG. Redis: AUTH (when the URL has credentials) + PING, expecting +PONG.
 * Bounded by one timeout; node:net/tls only.
 */
import { readFileSync } from "node:fs";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions as TlsOptions, connect as tlsConnect } from "node:tls";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { isTlsError } from "../../core/tls-errors.js";
import { type HostPort, hostPortOf } from "./reachability.js";

/** "silent": something accepted the connection and said nothing within the timeout (a plain TCP listener). */
export type ProbeResult = "ok" | "unreachable" | "auth-failed" | "not-the-protocol" | "tls-failed" | "silent";

/** PEM files for a TLS probe (REDIS_TLS_*). */
export interface ProbeTlsFiles {
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

interface Credentials {
  user?: string;
  pass?: string;
  token?: string;
}

function credentialsOf(url: string): Credentials {
  const first = url.split(",")[0]?.trim() ?? "";
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^@/\s]*)@/i.exec(first);
  if (!m || m[1] === undefined || m[1] === "") return {};
  const colon = m[1].indexOf(":");
  if (colon < 0) return { token: decodeURIComponent(m[1]) };
  return { user: decodeURIComponent(m[1].slice(0, colon)), pass: decodeURIComponent(m[1].slice(colon + 1)) };
}

/** Runs `talk` on a socket; resolves with its verdict, "unreachable" on error or close, "silent" on a mute listener. */
function converse(
  hp: HostPort,
  tls: TlsOptions | undefined,
  timeoutMs: number,
  talk: (sock: Socket, lines: () => string[]) => ProbeResult | undefined,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock: Socket = tls
      ? tlsConnect({
          ...tls,
          host: hp.host,
          port: hp.port,
          ...(isIP(hp.host) ? {} : { servername: hp.host }),
        })
      : netConnect({ host: hp.host, port: hp.port });
    let buf = "";
    let gotData = false;
    let connected = false;
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    // Something accepted the connection but never answered like the server we expect.
    const timer = setTimeout(
      () => done(gotData ? "not-the-protocol" : connected ? "silent" : "unreachable"),
      timeoutMs,
    );
    // `on`, not `once`: a reset can still come after done() destroyed the socket.
    sock.on("error", (err) => done(isTlsError(err) ? "tls-failed" : "unreachable"));
    sock.once("close", () => done(gotData ? "not-the-protocol" : "unreachable"));
    const lines = () => {
      const out = buf.split("\r\n");
      buf = out.pop() ?? "";
      return out;
    };
    sock.on("data", (d: Buffer) => {
      gotData = true;
      buf += d.toString("utf8");
      if (buf.length > 64 * 1024) return done("not-the-protocol");
      let verdict: ProbeResult | undefined;
      try {
        verdict = talk(sock, lines);
      } catch {
        verdict = "not-the-protocol"; // e.g. an INFO line that is not JSON
      }
      if (verdict !== undefined) done(verdict);
    });
    const onConnect = () => {
      connected = true;
      talk(sock, () => []);
    };
    if (!tls) sock.once("connect", onConnect);
    else sock.once("secureConnect", onConnect);
  });
}

/** NATS: the server speaks first (INFO); auth via CONNECT; PONG means we are in. */
export function probeNats(
  url: string,
  opts: { timeoutMs?: number; credsFile?: boolean } = {},
): Promise<ProbeResult> {
  const hp = hostPortOf(url, 4222);
  const creds = credentialsOf(url);
  let sentConnect = false;
  return converse(hp, undefined, opts.timeoutMs ?? 1_000, (sock, lines) => {
    for (const line of lines()) {
      if (!sentConnect) {
        if (!line.startsWith("INFO ")) return "not-the-protocol";
        const info = JSON.parse(line.slice(5)) as { tls_required?: boolean; nonce?: string };
        // TLS or a creds file (nonce signing) is more than a probe should do: INFO is proof enough.
        if (info.tls_required || opts.credsFile) return "ok";
        const connect: Record<string, unknown> = {
          verbose: false,
          pedantic: false,
          protocol: 1,
          lang: "cortex-probe",
        };
        if (creds.user !== undefined) Object.assign(connect, { user: creds.user, pass: creds.pass });
        if (creds.token !== undefined) connect.auth_token = creds.token;
        sock.write(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
        sentConnect = true;
        continue;
      }
      if (line === "PONG") return "ok";
      if (line.startsWith("-ERR"))
        return /authoriz|authenticat/i.test(line) ? "auth-failed" : "not-the-protocol";
    }
    return undefined;
  });
}

function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** Redis: AUTH when the URL has a password (ACL user too), then PING; +PONG means we are in. */
export function probeRedis(
  url: string,
  opts: { timeoutMs?: number } & ProbeTlsFiles = {},
): Promise<ProbeResult> {
  const hp = hostPortOf(url, 6379);
  const creds = credentialsOf(url);
  // redis://:pass@h has an empty user, and redis://pass@h is not a password: only user:pass counts.
  const pass = creds.pass ?? "";
  const user = creds.user ?? "";
  let sent = false;
  return converse(hp, redisTlsOptions(url, opts), opts.timeoutMs ?? 1_000, (sock, lines) => {
    if (!sent) {
      sent = true;
      const auth =
        pass === "" ? "" : user === "" || user === "default" ? resp("AUTH", pass) : resp("AUTH", user, pass);
      sock.write(auth + resp("PING"));
      return undefined;
    }
    for (const line of lines()) {
      // A password sent to a server without one: ioredis logs a warning and goes on, so do we.
      if (line === "+OK" || /without any password configured/i.test(line)) continue;
      if (line === "+PONG") return "ok";
      // WRONGPASS (ACL), NOAUTH (no password given), "invalid password" (Redis < 6).
      if (/^-(WRONGPASS|NOAUTH)/.test(line) || /^-ERR invalid password/i.test(line)) return "auth-failed";
      return "not-the-protocol";
    }
    return undefined;
  });
}

/** TLS options when the URL is rediss:// or a REDIS_TLS_* file is set; undefined for plain TCP. */
function redisTlsOptions(url: string, files: ProbeTlsFiles): TlsOptions | undefined {
  const tls: TlsOptions = {};
  for (const [field, path] of [
    ["ca", files.tlsCaFile],
    ["cert", files.tlsCertFile],
    ["key", files.tlsKeyFile],
  ] as const) {
    if (path === undefined) continue;
    try {
      tls[field] = readFileSync(path);
    } catch (cause) {
      throw new CortexError(ErrorCode.ConfigInvalid, `cannot read the Redis TLS file ${path}`, {
        hint: "Point REDIS_TLS_CA / REDIS_TLS_CERT / REDIS_TLS_KEY at readable PEM files.",
        cause,
      });
    }
  }
  return Object.keys(tls).length > 0 || /^rediss:/i.test(url) ? tls : undefined;
}
