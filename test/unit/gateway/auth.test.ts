import { describe, expect, it } from "vitest";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";
import { ApiKeys, canSee, OPEN_PRINCIPAL, scopedTenant } from "../../../src/daemon/gateway/auth.js";

const ADMIN = "admin-key-0123456789";
const ACME = "acme-key-0123456789";

function thrown(fn: () => unknown): CortexError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CortexError);
    return err as CortexError;
  }
  throw new Error("expected a throw");
}

describe("ApiKeys", () => {
  const keys = new ApiKeys({ apiKey: ADMIN, keys: [{ key: ACME, tenant: "acme", name: "acme-ci" }] });

  it("lets everyone in when no key is configured", () => {
    const open = new ApiKeys({ apiKey: "", keys: [] });
    expect(open.enabled).toBe(false);
    expect(open.authenticate(undefined, "http")).toBe(OPEN_PRINCIPAL);
  });

  it("maps each key to its principal", () => {
    expect(keys.authenticate(ADMIN, "grpc")).toEqual({ tenant: undefined, name: "API_KEY" });
    expect(keys.authenticate(ACME, "http")).toEqual({ tenant: "acme", name: "acme-ci" });
  });

  it.each([
    ["grpc", "x-api-key"],
    ["http", "X-API-Key header"],
    ["websocket", "?api_key="],
  ] as const)("says how to send a key over %s, and never echoes one", (transport, how) => {
    const missing = thrown(() => keys.authenticate(undefined, transport));
    expect(missing.code).toBe(ErrorCode.Unauthenticated);
    expect(missing.message).toContain(how);
    for (const guess of [ADMIN.slice(0, -1), `${ACME}x`, "", "zq"]) {
      const err = thrown(() => keys.authenticate(guess, transport));
      expect(err.code).toBe(ErrorCode.Unauthenticated);
      if (guess !== "") expect(JSON.stringify([err.message, err.hint, err.details])).not.toContain(guess);
    }
  });
});

describe("tenant scope", () => {
  const acme = { tenant: "acme", name: "acme-ci" };

  it("binds a tenant key to its tenant and lets unbound callers choose", () => {
    expect(scopedTenant(acme, "")).toBe("acme");
    expect(scopedTenant(acme, "acme")).toBe("acme");
    expect(thrown(() => scopedTenant(acme, "globex")).code).toBe(ErrorCode.PermissionDenied);
    expect(scopedTenant(OPEN_PRINCIPAL, "globex")).toBe("globex");
    expect(scopedTenant(OPEN_PRINCIPAL, "")).toBe("");
    expect(canSee(acme, "acme")).toBe(true);
    expect(canSee(acme, "globex")).toBe(false);
    expect(canSee(acme, undefined)).toBe(false);
    expect(canSee(OPEN_PRINCIPAL, "globex")).toBe(true);
  });
});
