/**
 * kill -9 of the embedded daemon (`cortex up`: in-process bus, SQLite file) under 500 jobs:
 * the supervisor or the next `cortex up` brings it back and the store's queued and running jobs
 * are queued again at start.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import type { CliResult } from "../support/cli.js";
import { faultInvariants, loadWithFault } from "../support/fault-load.js";
import { fastTimeouts, startTestStack, type TestStack } from "../support/stack.js";

let stack: TestStack | undefined;

afterAll(async () => {
  await stack?.stop();
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("faults on the embedded backend", () => {
  it("kill -9 of the daemon under 500 jobs, then `cortex up`", async () => {
    stack = await startTestStack({
      backend: "embedded",
      timeoutsYaml: fastTimeouts({ echoTimeout: 5, dispatch: 10 }),
      extraEnv: { CORTEX_BACKEND: "embedded" },
    });
    const s = stack;
    const up = await s.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.json).toMatchObject({ backend: "embedded" });
    const client = s.client();
    let upAgain: Promise<CliResult> | undefined;
    const t = await loadWithFault(client, {
      name: "kill -9 daemon (embedded)",
      recoveryBoundMs: 60_000,
      fault: async () => {
        const pid = Number(readFileSync(join(String(s.env.CORTEX_HOME), "daemon.pid"), "utf8").trim());
        process.kill(pid, "SIGKILL");
        for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
        // Not awaited here: the restart is part of the time to recover.
        upAgain = s.cli(["up", "--json"]);
      },
    });
    const again = await upAgain;
    expect(again?.code, again?.stderr).toBe(0);
    expect(faultInvariants(t)).toEqual({ lost: 0, stuck: 0, runTwiceWithinRunning: true });
  }, 120_000);
});
