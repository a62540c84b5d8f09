import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadApiKeysFile } from "../../../src/config/api-keys.js";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";

const dir = mkdtempSync(join(tmpdir(), "cortex-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY_A = "acme-0123456789-secret-a";
const KEY_B = "globex-012345678-secret-b";

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function loadError(path: string): CortexError {
  try {
    loadApiKeysFile(path);
  } catch (err) {
    expect(err).toBeInstanceOf(CortexError);
    return err as CortexError;
  }
  throw new Error("expected the file to be rejected");
}

/** Everything a user or a log could see of the error. */
function visible(err: CortexError): string {
  return JSON.stringify({
    message: err.message,
    hint: err.hint,
    details: err.details,
    cause: String(err.cause),
  });
}

describe("CORTEX_API_KEYS_FILE", () => {
  it("loads keys with their tenants and names, from YAML or JSON", () => {
    const yaml = file(
      "keys.yaml",
      `keys:\n  - key: ${KEY_A}\n    tenant: acme\n    name: acme-ci\n  - key: ${KEY_B}\n`,
    );
    expect(loadApiKeysFile(yaml)).toEqual([{ key: KEY_A, tenant: "acme", name: "acme-ci" }, { key: KEY_B }]);
    const json = file("keys.json", JSON.stringify({ keys: [{ key: KEY_B, tenant: "globex" }] }));
    expect(loadApiKeysFile(json)).toEqual([{ key: KEY_B, tenant: "globex" }]);
  });

  it("refuses a tenant that could not prefix job ids (it would hold '~' or a separator)", () => {
    for (const tenant of ["acme~x", "a.b", "-acme"]) {
      const err = loadError(file("tenant.yaml", `keys:\n  - key: ${KEY_A}\n    tenant: "${tenant}"\n`));
      expect(err.code).toBe(ErrorCode.ConfigInvalid);
      expect(err.message).toMatch(/keys\[0\]\.tenant: expected a tenant name/);
    }
  });

  it("names the line and key path of a short key without ever echoing it", () => {
    const err = loadError(file("short.yaml", "keys:\n  - key: tooshort-1\n    tenant: acme\n"));
    expect(err.code).toBe(ErrorCode.ConfigInvalid);
    expect(err.message).toMatch(
      /short\.yaml:2: keys\[0\]\.key: expected the key as a string of at least 16 characters/,
    );
    expect(err.hint).toContain("CORTEX_API_KEYS_FILE");
    expect(visible(err)).not.toContain("tooshort-1");
    expect(err.cause).toBeUndefined();
  });

  it("rejects a repeated key, unknown fields and a missing list, without echoing keys", () => {
    const dup = loadError(
      file("dup.yaml", `keys:\n  - key: ${KEY_A}\n  - key: ${KEY_A}\n    tenant: acme\n`),
    );
    expect(dup.message).toMatch(
      /dup\.yaml:3: keys\[1\]\.key: expected a unique key, but keys\[0\] has the same one/,
    );
    expect(visible(dup)).not.toContain(KEY_A);
    const unknown = loadError(file("unknown.yaml", `keys:\n  - key: ${KEY_A}\n    tenat: acme\n`));
    expect(unknown.message).toMatch(/keys\[0\]: unknown key "tenat"/);
    expect(visible(unknown)).not.toContain(KEY_A);
    const map = loadError(file("map.yaml", `keys:\n  ${KEY_A}: acme\n`));
    expect(map.message).toMatch(/map\.yaml:\d+: keys: expected a list/);
    expect(visible(map)).not.toContain(KEY_A);
    expect(loadError(join(dir, "missing.yaml")).code).toBe(ErrorCode.ConfigNotFound);
  });
});
