import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unloadedWorkerModules } from "../../../src/cli/daemon-settings.js";
import { ErrorCode } from "../../../src/core/errors.js";

describe("up --worker on a running stack", () => {
  const here = (f: string) => join(process.cwd(), f);

  it("is fine when the daemon loads every module asked for", () => {
    expect(unloadedWorkerModules([here("a.js")], [here("a.js"), here("b.js")])).toBeUndefined();
    expect(unloadedWorkerModules([], [])).toBeUndefined();
  });

  it("has nothing to compare when stack.json does not record the modules", () => {
    expect(unloadedWorkerModules([here("a.js")], undefined)).toBeUndefined();
  });

  it("is a usage error naming the missing modules as typed here, with both ways to run them", () => {
    const err = unloadedWorkerModules([here("a.js"), here("c.js"), "/elsewhere/d.js"], [here("a.js")]);
    expect(err?.code).toBe(ErrorCode.InvalidArgument);
    expect(err?.message).toContain("already running without ./c.js, /elsewhere/d.js");
    expect(err?.hint).toContain(
      "cortex up --restart --worker ./a.js --worker ./c.js --worker /elsewhere/d.js",
    );
    expect(err?.hint).toContain("to load them");
    expect(err?.hint).toContain("cortex worker start <module>");
    // The restart keeps the --worker modules the daemon runs, not those pools.yaml names anyway.
    const keeps = unloadedWorkerModules([here("c.js")], [here("a.js"), here("p.js")], [here("p.js")]);
    expect(keeps?.hint).toContain("cortex up --restart --worker ./a.js --worker ./c.js`");
    expect(unloadedWorkerModules([here("c.js")], [])?.hint).toContain("cortex worker start ./c.js");
  });
});
