/**
 * `cortex up` runs the daemon under a supervisor: a daemon killed with SIGKILL (as the OOM
 * killer does) is replaced by a new one that serves, the restart shows in `cortex ps` and the
 * daemon log, and `cortex down` leaves nothing running.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { PsResult, UpResult } from "../../src/client/json-shapes.js";
import { submitAndWait } from "../../src/client/submit-and-wait.js";
import { isAlive, readPid } from "../../src/daemon/supervisor/stack-file.js";
import { startTestStack, type TestStack } from "../support/stack.js";

let stack: TestStack;
const home = () => String(stack.env.CORTEX_HOME);

beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe("the daemon supervisor", () => {
  it("restarts a daemon killed with SIGKILL; ps shows the restart; down stops everything", async () => {
    const up = await stack.cli(["up", "--json"], 60_000);
    expect(up.code, up.stderr).toBe(0);
    const first = (up.json as UpResult).pid;
    const supervisor = readPid(join(home(), "supervisor.pid"));
    expect(supervisor).toBeDefined();
    process.kill(first, "SIGKILL");

    // A new daemon, serving, within the first backoff step plus its startup.
    const client = stack.client();
    const second = await vi.waitFor(
      async () => {
        const pid = readPid(join(home(), "daemon.pid"));
        expect(pid).toBeDefined();
        expect(pid).not.toBe(first);
        const status = await client.getStatus();
        expect(status.pid).toBe(pid);
        return status.pid;
      },
      { timeout: 30_000, interval: 250 },
    );
    const done = await submitAndWait(client, { topic: "job.echo", contextJson: "{}" }, { timeoutMs: 20_000 });
    expect(done.job.state).toBe("SUCCEEDED");

    const ps = await stack.cli(["ps", "--json"]);
    expect(ps.code, ps.stderr).toBe(0);
    expect((ps.json as PsResult).supervisor).toMatchObject({
      pid: supervisor,
      restarts: 1,
      last_exit: { signal: "SIGKILL" },
    });
    const text = await stack.cli(["ps"]);
    expect(text.stdout).toMatch(/restarts 1 \(last: SIGKILL/);
    expect(readFileSync(join(home(), "logs", "daemon.log"), "utf8")).toMatch(
      /daemon died \(SIGKILL\); restarting it/,
    );

    const down = await stack.cli(["down"], 60_000);
    expect(down.code, down.stderr).toBe(0);
    expect(isAlive(second)).toBe(false);
    expect(isAlive(supervisor ?? 0)).toBe(false);
    expect(isAlive(first)).toBe(false);
  }, 120_000);
});
