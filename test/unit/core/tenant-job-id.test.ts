import { describe, expect, it } from "vitest";
import { isValidJobId } from "../../../src/core/ids.js";
import { shownJobId, TENANT_ID_SEP, tenantJobId } from "../../../src/core/tenant-job-id.js";

describe("tenant job ids", () => {
  it("uses a separator no client-given job id may hold", () => {
    expect(isValidJobId(`a${TENANT_ID_SEP}b`)).toBe(false);
  });

  it("shows a tenant's own ids without its prefix and leaves every other id as it is", () => {
    expect(tenantJobId("acme", "x-1")).toBe("acme~x-1");
    expect(shownJobId("acme", "acme~x-1")).toBe("x-1");
    expect(shownJobId("acme", "x-1")).toBe("x-1");
    expect(shownJobId("acme", "globex~x-1")).toBe("globex~x-1");
    // Stripped once: a bound caller naming "acme~x" asked for "acme~acme~x".
    expect(shownJobId("acme", tenantJobId("acme", "acme~x"))).toBe("acme~x");
  });
});
