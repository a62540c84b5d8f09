/**
 * Credentials and TLS for the NATS connection. nats.js does not read them from the server
 * URL, so they are split off here: `nats://user:pass@host` gives user/pass, `nats://token@host`
 * a token, and the servers go to nats.js without userinfo. A creds file and TLS files come
 * from NATS_CREDS / NATS_TLS_* (see src/config/env.ts).
 */
import { readFileSync } from "node:fs";
import { type ConnectionOptions, credsAuthenticator, type TlsOptions } from "nats";
import { CortexError, ErrorCode } from "../core/errors.js";
import { redactUrl } from "../core/redact-url.js";

export interface NatsSecurityOptions {
  /** A `.creds` file (JWT + nkey seed), as `nats context` and NGS hand out. */
  credsFile?: string;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

type Auth = Pick<ConnectionOptions, "user" | "pass" | "token">;

const USERINFO_RE = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)([^@/\s]*)@/i;

function authOf(userinfo: string): Auth {
  const colon = userinfo.indexOf(":");
  if (colon < 0) return { token: decodeURIComponent(userinfo) };
  return {
    user: decodeURIComponent(userinfo.slice(0, colon)),
    pass: decodeURIComponent(userinfo.slice(colon + 1)),
  };
}

/** The options nats.js connects with, from NATS_URL (one server or a comma list) and the files. */
export function natsConnectOptions(
  url: string,
  sec: NatsSecurityOptions = {},
): Pick<ConnectionOptions, "servers" | "user" | "pass" | "token" | "authenticator" | "tls"> {
  const servers: string[] = [];
  let auth: Auth | undefined;
  let tlsScheme = false;
  for (const raw of url.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    if (/^(tls|wss):\/\//i.test(part)) tlsScheme = true;
    const m = USERINFO_RE.exec(part);
    if (!m) {
      servers.push(part);
      continue;
    }
    servers.push(part.slice(0, m[1]?.length ?? 0) + part.slice(m[0].length));
    const next = authOf(m[2] ?? "");
    // One connection has one identity: servers of a list may not disagree on it.
    if (auth !== undefined && JSON.stringify(auth) !== JSON.stringify(next)) {
      throw new CortexError(
        ErrorCode.ConfigInvalid,
        `NATS_URL ${redactUrl(url)} names different credentials per server`,
        {
          hint: "Give every server of the list the same user:pass or token, or put them on the first only.",
        },
      );
    }
    auth = next;
  }
  const opts: ReturnType<typeof natsConnectOptions> = { servers, ...auth };
  if (sec.credsFile !== undefined) opts.authenticator = credsAuthenticator(readCreds(sec.credsFile));
  const tls: TlsOptions = {};
  if (sec.tlsCaFile !== undefined) tls.caFile = sec.tlsCaFile;
  if (sec.tlsCertFile !== undefined) tls.certFile = sec.tlsCertFile;
  if (sec.tlsKeyFile !== undefined) tls.keyFile = sec.tlsKeyFile;
  if (tlsScheme || Object.keys(tls).length > 0) opts.tls = tls;
  return opts;
}

function readCreds(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new CortexError(ErrorCode.ConfigInvalid, `cannot read the NATS creds file ${path}`, {
      hint: "Set NATS_CREDS to a readable .creds file (nsc generate creds), or unset it.",
      cause,
    });
  }
}
