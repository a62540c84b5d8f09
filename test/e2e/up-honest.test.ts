/**
 * An honest `cortex up` through the built CLI: it checks its own daemon (another stack on the
 * same ports is not "up"), fails fast with this run's error and the log path (exit 3), leaves
 * nothing running, validates the config before starting anything (exit 2), does not take a
 * mute TCP listener for NATS, and prints every address. One stack for the file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EndpointsJson, PsResult, UpResult } from "../../src/client/json-shapes.js";
import { onNats } from "../support/backend.js";
import { type CliResult, runCli } from "../support/cli.js";
import { freePort } from "../support/free-port.js";
import { startTestStack, type TestStack } from "../support/stack.js";

let stack: TestStack;
const homes: string[] = [];

function otherHome(): string {
  const home = mkdtempSync(join(tmpdir(), "cortex-other-"));
  homes.push(home);
  return home;
}

/** True when something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

function pidAlive(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    process.kill(Number(readFileSync(file, "utf8").trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/** On nats, fresh ports for NATS and Redis, so `up` has to start (and then stop) its own. */
async function ownServersEnv(): Promise<NodeJS.ProcessEnv> {
  if (!onNats()) return {};
  const [nats, redis] = [await freePort(), await freePort()];
  return { NATS_URL: `nats://127.0.0.1:${nats}`, REDIS_URL: `redis://127.0.0.1:${redis}` };
}

function portsOf(env: NodeJS.ProcessEnv): number[] {
  return [env.NATS_URL, env.REDIS_URL].flatMap((u) => (u ? [Number(new URL(u).port)] : []));
}

const expectOk = (r: CliResult) => expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

beforeAll(async () => {
  stack = await startTestStack();
  expectOk(await stack.cli(["up", "--json"]));
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

describe("cortex up, honestly", () => {
  it("up --json and ps --json list the dashboard, gRPC, HTTP and every metrics endpoint", async () => {
    const env = stack.env;
    const expected: EndpointsJson = {
      grpc: `127.0.0.1:${env.CORTEX_GRPC_PORT}`,
      http: `http://127.0.0.1:${env.CORTEX_HTTP_PORT}`,
      // One /metrics per process; the harness binds CORTEX_METRICS_PORT=0, so its port is the daemon's pick.
      metrics: [
        {
          component: "safety,scheduler,gateway,workers",
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/) as unknown as string,
        },
      ],
    };
    const up = await stack.cli(["up", "--json"]);
    expectOk(up);
    const dashboard = `http://127.0.0.1:${env.CORTEX_HTTP_PORT}/`;
    expect((up.json as UpResult).endpoints).toEqual(expected);
    expect((up.json as UpResult).dashboard_url).toBe(dashboard);
    const url = (up.json as UpResult).endpoints.metrics[0]?.url ?? "";
    expect((await fetch(url)).status).toBe(200);
    const ps = await stack.cli(["ps", "--json"]);
    expectOk(ps);
    expect((ps.json as PsResult).endpoints).toEqual(expected);
    expect((ps.json as PsResult).dashboard_url).toBe(dashboard);
    const text = await stack.cli(["ps"]);
    expect(text.stdout).toContain(`HTTP       http://127.0.0.1:${env.CORTEX_HTTP_PORT}`);
    expect(text.stdout).toContain(`dashboard  ${dashboard}`);
    const up2 = await stack.cli(["up"]);
    expect(up2.stdout + up2.stderr).toContain(`dashboard  ${dashboard}`);
  });

  it("up --timeout 0 with the stack up says it is up", async () => {
    const r = await stack.cli(["up", "--timeout", "0"]);
    expectOk(r);
    expect(r.stderr).toContain("cortex is already running");
    expect(r.stderr).not.toMatch(/timed out/);
  });

  it("a second up with another OLLAMA_URL says so and suggests --restart", async () => {
    const env = { ...stack.env, OLLAMA_URL: "http://127.0.0.1:10" };
    const r = await runCli(["up"], env);
    expectOk(r);
    expect(r.stderr).toContain(
      "OLLAMA_URL is http://127.0.0.1:10 here, but the running daemon uses http://127.0.0.1:9",
    );
    expect(r.stderr).toContain("cortex up --restart");
    const json = await runCli(["up", "--json"], env);
    expect((json.json as UpResult).changed_settings).toEqual([
      { name: "OLLAMA_URL", running: "http://127.0.0.1:9", here: "http://127.0.0.1:10" },
    ]);
  });

  it("a second up in another CORTEX_HOME on taken ports fails fast with its own error, leaving nothing", async () => {
    const home = otherHome();
    // An earlier run's error in the log must not be shown as this run's.
    mkdirSync(join(home, "logs"), { recursive: true });
    writeFileSync(join(home, "logs", "daemon.log"), "Error: AN OLD RUN'S ERROR\n");
    const env = { ...stack.env, CORTEX_HOME: home, ...(await ownServersEnv()) };
    const started = Date.now();
    const r = await runCli(["up"], env, 30_000);
    const tookMs = Date.now() - started;
    expect(r.code, r.stderr).toBe(3);
    expect(tookMs).toBeLessThan(15_000);
    const error = r.stderr.slice(r.stderr.indexOf("Error:"));
    expect(error).toMatch(/^Error: the daemon exited: .*cannot listen on 127\.0\.0\.1:\d+/);
    expect(error.trim().split("\n").length).toBeLessThanOrEqual(3);
    expect(error).toContain(`Log: ${join(home, "logs", "daemon.log")}`);
    expect(r.stderr).not.toContain("AN OLD RUN'S ERROR");
    expect(r.stderr).not.toContain("cortex is up");
    // On nats it had started its own servers: the port checks below prove it stopped them.
    if (onNats()) expect(r.stderr).toMatch(/redis .*\(started, pid \d+\)/);
    expect(pidAlive(join(home, "supervisor.pid"))).toBe(false);
    expect(pidAlive(join(home, "daemon.pid"))).toBe(false);
    for (const port of portsOf(env)) expect(await listening(port), `port ${port}`).toBe(false);
    // The first stack is untouched.
    expectOk(await stack.cli(["ps"]));
  }, 40_000);

  it("a bad POOL_CONFIG_PATH exits 2 before starting anything", async () => {
    const home = otherHome();
    const env = { ...stack.env, CORTEX_HOME: home, POOL_CONFIG_PATH: join(home, "missing.yaml") };
    Object.assign(env, await ownServersEnv());
    const r = await runCli(["up"], env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("missing.yaml");
    expect(existsSync(join(home, "supervisor.pid"))).toBe(false);
    expect(existsSync(join(home, "stack.json"))).toBe(false);
    for (const port of portsOf(env)) expect(await listening(port)).toBe(false);
  });

  it.runIf(onNats())("a plain TCP listener on the NATS port is not reachable NATS", async () => {
    const mute: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
    try {
      const port = (mute.address() as { port: number }).port;
      const env = {
        ...stack.env,
        CORTEX_HOME: otherHome(),
        NATS_URL: `nats://127.0.0.1:${port}`,
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      };
      const started = Date.now();
      const r = await runCli(["up"], env);
      expect(r.code, r.stderr).toBe(3);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.stderr).not.toContain("reachable)");
      expect(r.stderr).toContain(
        `something at 127.0.0.1:${port} accepts connections but did not answer as NATS`,
      );
    } finally {
      mute.close();
    }
  });

  it("up --restart stops the stack and starts it with this shell's settings", async () => {
    const env = { ...stack.env, OLLAMA_URL: "http://127.0.0.1:10" };
    const before = (await runCli(["up", "--json"], env)).json as UpResult;
    const r = await runCli(["up", "--restart", "--json"], env);
    expectOk(r);
    const after = r.json as UpResult;
    expect(after.status).toBe("started");
    expect(after.pid).not.toBe(before.pid);
    const again = await runCli(["up", "--json"], env);
    expect((again.json as UpResult).changed_settings).toBeUndefined();
  }, 60_000);
});
