/**
 * The ioredis connection the Redis store runs on, tuned to fail fast rather than queue:
 * while Redis is down every call rejects at once (no offline queue, commands in flight are
 * rejected on the first close), and the client keeps reconnecting in the background with a
 * capped backoff so the same store works again once Redis is back.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { Redis, ReplyError } from "ioredis";
import { CortexError, ErrorCode, storeAuthFailed, storeTlsFailed, storeUnavailable } from "../core/errors.js";
import { redactUrl } from "../core/redact-url.js";
import { isTlsError } from "../core/tls-errors.js";

/** The few pino methods the store logs with (any pino logger fits). */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ConnectionOptions {
  url: string;
  logger?: StoreLogger;
  /** A command without a reply for this long fails (a silent network partition). Default 5 s. */
  commandTimeoutMs?: number;
  /** Default 3 s. */
  connectTimeoutMs?: number;
  /** PEM files (REDIS_TLS_*): any of them, or a rediss:// URL, means TLS. */
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

const MAX_RECONNECT_DELAY_MS = 1_000;

export { redactUrl };

/** Connects and waits until Redis answers; STORE_UNAVAILABLE (and no retry loop left) if not. */
export async function connectRedis(opts: ConnectionOptions): Promise<Redis> {
  const shownUrl = redactUrl(opts.url);
  const redis = new Redis(opts.url, {
    lazyConnect: true,
    connectionName: "cortex-store",
    enableOfflineQueue: false,
    // Reject commands in flight when the connection drops instead of resending them on
    // reconnect: a resent transition could apply twice, and callers must not hang.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: opts.connectTimeoutMs ?? 3_000,
    commandTimeout: opts.commandTimeoutMs ?? 5_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
    // Commands issued in the same tick go out in one socket write (one per job step otherwise).
    enableAutoPipelining: true,
    ...tlsOptions(opts),
  });

  // One warning per outage, not one per reconnect attempt. "reconnecting" is only
  // emitted for a connection we did not close ourselves.
  let down = false;
  let everReady = false;
  let lastError = "";
  let lastErr: unknown;
  redis.on("error", (err: Error) => {
    lastError = err.message;
    lastErr = err;
  });
  redis.on("reconnecting", () => {
    if (down || !everReady) return;
    down = true;
    opts.logger?.warn({ url: shownUrl, err: lastError || undefined }, "store connection lost; reconnecting");
  });
  redis.on("ready", () => {
    if (down) opts.logger?.info({ url: shownUrl }, "store reconnected");
    down = false;
    everReady = true;
  });

  try {
    await redis.connect();
  } catch (cause) {
    redis.disconnect();
    // ioredis rejects with "Connection is closed"; the refused AUTH came as an error event.
    if (isAuthReply(lastErr)) throw storeAuthFailed(shownUrl, lastErr);
    if (isTlsError(lastErr)) throw storeTlsFailed(shownUrl, lastErr);
    throw storeUnavailable(shownUrl, cause);
  }
  return redis;
}

/** ioredis's `tls` (node:tls options) from the PEM files; none for a plain redis:// URL. */
function tlsOptions(opts: ConnectionOptions): { tls?: TlsConnectionOptions } {
  const files = { ca: opts.tlsCaFile, cert: opts.tlsCertFile, key: opts.tlsKeyFile };
  const tls: TlsConnectionOptions = {};
  for (const [field, path] of Object.entries(files)) {
    if (path === undefined) continue;
    try {
      tls[field as keyof typeof files] = readFileSync(path);
    } catch (cause) {
      throw new CortexError(ErrorCode.ConfigInvalid, `cannot read the Redis TLS file ${path}`, {
        hint: "Point REDIS_TLS_CA / REDIS_TLS_CERT / REDIS_TLS_KEY at readable PEM files.",
        cause,
      });
    }
  }
  if (Object.keys(tls).length === 0 && !/^rediss:/i.test(opts.url)) return {};
  return { tls };
}

/**
 * Maps a failed Redis call to a CortexError: a reply error is a bug or a foreign value in
 * our keys (INTERNAL); anything else (closed socket, timeout, no connection) means Redis
 * is not reachable (STORE_UNAVAILABLE).
 */
export function toStoreError(url: string, err: unknown): CortexError {
  if (err instanceof CortexError) return err;
  if (isAuthReply(err)) return storeAuthFailed(url, err);
  if (err instanceof ReplyError) {
    return new CortexError(ErrorCode.Internal, "store: Redis rejected a command", {
      hint: "Check that the Redis at this URL is version 6.2 or newer and that no one else writes cortex keys.",
      cause: err,
    });
  }
  return storeUnavailable(redactUrl(url), err);
}

/** Redis's own error codes (the reply's first word) for refused or missing credentials. */
const AUTH_REPLY_CODES = new Set(["WRONGPASS", "NOAUTH"]);

function isAuthReply(err: unknown): boolean {
  return err instanceof ReplyError && AUTH_REPLY_CODES.has((err as Error).message.split(" ", 1)[0] ?? "");
}
