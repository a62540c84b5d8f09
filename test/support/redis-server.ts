/**
 * Starts a real redis-server for a test file: the binary from PATH on a free port with its
 * own dir and no persistence, or (CORTEX_TEST_DOCKER=1 and a Docker engine up) a
 * redis:7-alpine container. Every server started here is killed when the test process exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, missingServerError } from "./find-binary.js";
import { freePort } from "./free-port.js";

export interface RedisHandle {
  url: string;
  port: number;
  /** The server's working dir ("" for a container). */
  dir: string;
  /** Graceful stop; removes the dir. */
  stop(): Promise<void>;
  /** SIGKILL; restart() brings it back. */
  kill9(): Promise<void>;
  /** Start again on the same port with the same dir (stops first if running). */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // "exit" handlers must be synchronous: SIGKILL and a sync rm are all that fit.
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A key prefix unique to one test, e.g. "t3f9a01c2:". */
export function uniquePrefix(): string {
  return `t${randomBytes(4).toString("hex")}:`;
}

export async function startRedis(): Promise<RedisHandle> {
  if (process.env.CORTEX_TEST_DOCKER === "1" && (await dockerAvailable())) {
    return startRedisContainer();
  }
  const bin = findBinary("redis-server");
  if (!bin) throw missingServerError("redis-server");
  return startRedisProcess(bin);
}

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startRedisProcess(bin: string): Promise<RedisHandle> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), "cortex-redis-"));
  dirs.add(dir);
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ];

  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    live.add(proc);
    // A forgotten server must not keep the test process alive; the exit hook kills it.
    proc.unref();
    (proc.stdout as Socket | null)?.unref();
    (proc.stderr as Socket | null)?.unref();
    let output = "";
    const keepTail = (chunk: Buffer) => {
      // Only the tail matters: it holds the reason a server failed to start.
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout?.on("data", keepTail);
    proc.stderr?.on("data", keepTail);
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    exited.then(() => live.delete(proc));
    child = proc;
    const outcome = await Promise.race([
      waitPong(port).then(() => "ready" as const),
      exited.then(() => "exited" as const),
    ]);
    if (outcome === "exited") {
      child = undefined;
      throw new Error(`redis-server exited before it was ready (port ${port}):\n${output}`);
    }
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      await terminate("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
    async kill9() {
      await terminate("SIGKILL");
    },
    async restart() {
      await terminate("SIGTERM");
      await launch();
    },
  };
}

/** redis:7-alpine in Docker, the host port bound explicitly so restart() keeps the URL. */
async function startRedisContainer(): Promise<RedisHandle> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import("testcontainers");
  const port = await freePort();
  const container = await new GenericContainer("redis:7-alpine")
    .withCommand(["redis-server", "--save", "", "--appendonly", "no"])
    .withExposedPorts({ container: 6379, host: port })
    .withWaitStrategy(Wait.forLogMessage("Ready to accept connections"))
    .start();
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir: "",
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop({ timeout: 5_000, remove: true });
    },
    async kill9() {
      // Dockerode's kill (SIGKILL by default) keeps the container for restart().
      const client = await getContainerRuntimeClient();
      await client.container.getById(container.getId()).kill();
    },
    async restart() {
      await container.restart({ timeout: 5_000 });
      await waitPong(port);
    },
  };
}

/** Resolves once a raw PING on the port answers +PONG. */
async function waitPong(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await pingOnce(port);
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms`, { cause: last });
}

function pingOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: "127.0.0.1", port });
    let reply = "";
    sock.setTimeout(1_000, () => sock.destroy(new Error("PING timed out")));
    sock.once("error", reject);
    sock.once("connect", () => sock.write("PING\r\n"));
    sock.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (!reply.includes("\r\n")) return;
      sock.destroy();
      if (reply.startsWith("+PONG")) resolve();
      else reject(new Error(`PING answered ${reply.trim()}`));
    });
  });
}
