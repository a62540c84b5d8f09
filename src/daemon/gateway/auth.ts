/**
 * API keys: who is calling, and for which tenant they may act. Keys are compared as
 * SHA-256 digests with timingSafeEqual, against every configured key, so neither a key's
 * length nor how far a guess matched shows in the timing. Keys are never logged, echoed or
 * put in an error; a caller is named in logs by its key's `name`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiKeyEntry } from "../../config/api-keys.js";
import { CortexError, ErrorCode } from "../../core/errors.js";

export interface Principal {
  /** The one tenant this caller may act for; undefined = any tenant. */
  readonly tenant: string | undefined;
  /** How logs name the caller. */
  readonly name: string;
}

/** The caller when the gateway runs without keys. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ tenant: undefined, name: "anonymous" });

export type KeyTransport = "grpc" | "http" | "websocket";

/** What to send, per transport: the whole point of the 401 message. */
const HOW_TO_SEND: Readonly<Record<KeyTransport, string>> = {
  grpc: "send it as x-api-key call metadata (the CLI sends $CORTEX_API_KEY)",
  http: "send it in the X-API-Key header",
  websocket: "add ?api_key=<key> to the stream URL (or send an X-API-Key header)",
};

const KEY_SOURCES = "Use API_KEY or a key from CORTEX_API_KEYS_FILE of the daemon.";

interface KeyDigest {
  digest: Buffer;
  principal: Principal;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

export interface ApiKeysConfig {
  /** `API_KEY`: one key that may act for any tenant. */
  apiKey?: string | undefined;
  /** Keys from CORTEX_API_KEYS_FILE. */
  keys?: readonly ApiKeyEntry[] | undefined;
}

export class ApiKeys {
  private readonly digests: KeyDigest[];

  constructor(config: ApiKeysConfig = {}) {
    const entries: ApiKeyEntry[] = [
      ...(config.apiKey ? [{ key: config.apiKey, name: "API_KEY" }] : []),
      ...(config.keys ?? []),
    ];
    this.digests = entries.map((e, i) => ({
      digest: sha256(e.key),
      principal: Object.freeze({
        tenant: e.tenant,
        name: e.name ?? (e.tenant === undefined ? `key #${i + 1}` : `key #${i + 1} (tenant ${e.tenant})`),
      }),
    }));
  }

  /** False: every caller is let in as OPEN_PRINCIPAL. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** Number of keys; for the startup log line. */
  get size(): number {
    return this.digests.length;
  }

  /** The caller behind `given`, or UNAUTHENTICATED saying how to send a key over `transport`. */
  authenticate(given: string | undefined, transport: KeyTransport): Principal {
    if (!this.enabled) return OPEN_PRINCIPAL;
    if (given === undefined || given === "") {
      throw new CortexError(ErrorCode.Unauthenticated, `missing API key: ${HOW_TO_SEND[transport]}`, {
        hint: KEY_SOURCES,
        details: { transport },
      });
    }
    const digest = sha256(given);
    let match: Principal | undefined;
    for (const d of this.digests) {
      // No early exit: every key is compared whatever matched before.
      if (timingSafeEqual(d.digest, digest) && match === undefined) match = d.principal;
    }
    if (match === undefined) {
      throw new CortexError(ErrorCode.Unauthenticated, `wrong API key: ${HOW_TO_SEND[transport]}`, {
        hint: KEY_SOURCES,
        details: { transport },
      });
    }
    return match;
  }
}

// ---- tenant scope: what a key bound to a tenant may see and do ----

/** Whether the caller may see a job (or event) of `tenant`. */
export function canSee(principal: Principal, tenant: string | undefined): boolean {
  return principal.tenant === undefined || principal.tenant === tenant;
}

/**
 * The tenant a request acts for or filters on. A bound key gets its own tenant whether or
 * not the request names one; naming another is PERMISSION_DENIED rather than silently
 * rewritten, so a misconfigured client finds out. Unbound keys get what they asked for.
 */
export function scopedTenant(principal: Principal, requested: string, field = "tenant"): string {
  if (principal.tenant === undefined) return requested;
  if (requested === "" || requested === principal.tenant) return principal.tenant;
  throw new CortexError(
    ErrorCode.PermissionDenied,
    `${field}: this API key may only act for tenant "${principal.tenant}"`,
    {
      hint: "Leave the tenant out (the key's own tenant is used), or use a key bound to that tenant.",
      details: { field },
    },
  );
}
