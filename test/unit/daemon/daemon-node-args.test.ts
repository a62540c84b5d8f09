import { describe, expect, it } from "vitest";
import { loadEnv } from "../../../src/config/env.js";
import { daemonNodeArgs } from "../../../src/daemon/supervisor/daemon-process.js";

describe("daemon node options", () => {
  it("caps the V8 old space at CORTEX_DAEMON_HEAP_MB, 512 by default", () => {
    expect(daemonNodeArgs(loadEnv({}).CORTEX_DAEMON_HEAP_MB, {})).toEqual([
      "--max-old-space-size=512",
      "--max-semi-space-size=8",
    ]);
    const env = { CORTEX_DAEMON_HEAP_MB: "1024" };
    expect(daemonNodeArgs(loadEnv(env).CORTEX_DAEMON_HEAP_MB, env)).toContain("--max-old-space-size=1024");
  });

  it("leaves each setting to NODE_OPTIONS when it sets one", () => {
    expect(daemonNodeArgs(512, { NODE_OPTIONS: "--max-old-space-size=2048" })).toEqual([
      "--max-semi-space-size=8",
    ]);
    expect(
      daemonNodeArgs(512, { NODE_OPTIONS: "--max-semi-space-size=32 --max-old-space-size=2048" }),
    ).toEqual([]);
  });

  it("rejects a cap that is not a positive integer, naming the variable", () => {
    expect(() => loadEnv({ CORTEX_DAEMON_HEAP_MB: "lots" })).toThrow(/CORTEX_DAEMON_HEAP_MB/);
    expect(() => loadEnv({ CORTEX_DAEMON_HEAP_MB: "0" })).toThrow(/CORTEX_DAEMON_HEAP_MB/);
  });
});
