import { z } from "zod";
import { CortexError, isCortexError } from "../core/errors.js";
import { nonEmptyString, tenantName } from "./fields.js";
import { loadYamlConfig } from "./load-file.js";

/**
 * The API keys file (`CORTEX_API_KEYS_FILE`, YAML or JSON): which keys the gateway accepts
 * and the tenant each one is bound to.
 *
 * ```yaml
 * keys:
 *   - name: acme-ci            # optional; how logs name the caller (never the key)
 *     key: 4f9c...e1           # at least 16 characters, e.g. `openssl rand -hex 24`
 *     tenant: acme             # optional; without it the key may act for any tenant
 * ```
 *
 * Error messages point at `keys[i].key` but never echo a key's value.
 */
export const API_KEYS_ENV_VAR = "CORTEX_API_KEYS_FILE";
export const MIN_API_KEY_LENGTH = 16;

const KEY_ERROR = `expected the key as a string of at least ${MIN_API_KEY_LENGTH} characters (e.g. from \`openssl rand -hex 24\`)`;

// `key` is checked on the whole entry: an issue raised there carries the entry (a map) as
// its input, and the problem formatter only quotes primitive inputs, so the key stays out.
const entrySchema = z
  .strictObject({
    name: nonEmptyString().optional(),
    key: z.unknown(),
    tenant: tenantName().optional(),
  })
  .superRefine((entry, ctx) => {
    if (typeof entry.key !== "string" || entry.key.length < MIN_API_KEY_LENGTH) {
      ctx.addIssue({ code: "custom", path: ["key"], message: KEY_ERROR, input: entry });
    }
  })
  .transform((entry) => ({
    key: entry.key as string,
    ...(entry.name === undefined ? {} : { name: entry.name }),
    ...(entry.tenant === undefined ? {} : { tenant: entry.tenant }),
  }));

export const apiKeysFileSchema = z.strictObject({
  keys: z
    .array(entrySchema)
    .min(1)
    .superRefine((entries, ctx) => {
      const seen = new Map<string, number>();
      entries.forEach((entry, i) => {
        const first = seen.get(entry.key);
        if (first === undefined) seen.set(entry.key, i);
        else
          ctx.addIssue({
            code: "custom",
            path: [i, "key"],
            message: `expected a unique key, but keys[${first}] has the same one`,
            input: entry,
          });
      });
    }),
});

export type ApiKeyEntry = z.output<typeof entrySchema>;

export function loadApiKeysFile(path: string): ApiKeyEntry[] {
  try {
    return loadYamlConfig({ path, envVar: API_KEYS_ENV_VAR }, apiKeysFileSchema).keys;
  } catch (err) {
    // The zod error kept as `cause` holds the parsed entries, keys included; the message,
    // hint and problem lines say everything a user needs, so only those travel on.
    if (isCortexError(err)) {
      throw new CortexError(err.code, err.message, {
        ...(err.hint === undefined ? {} : { hint: err.hint }),
        ...(err.details === undefined ? {} : { details: err.details }),
      });
    }
    throw err;
  }
}
