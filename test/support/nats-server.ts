/**
 * Starts a real nats-server for a test file: the binary from PATH on a free port with its
 * own store dir, or (CORTEX_TEST_DOCKER=1 and a Docker engine up) a nats:2.9 container.
 * Every server started here is killed when the test process exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, missingServerError } from "./find-binary.js";
import { freePort } from "./free-port.js";

export interface NatsHandle {
  url: string;
  port: number;
  /** Host dir holding the JetStream store ("" for a container). */
  storeDir: string;
  /** Graceful stop; removes the store dir. */
  stop(): Promise<void>;
  /** SIGKILL, keeping the store dir for restart(). */
  kill9(): Promise<void>;
  /** Start again on the same port with the same store dir (stops first if running). */
  restart(): Promise<void>;
}

export interface StartNatsOptions {
  /** Enable JetStream (default true). */
  jetstream?: boolean;
}

const READY_TIMEOUT_MS = 10_000;
const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // "exit" handlers must be synchronous: a plain SIGKILL is all that can be done there.
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

export async function startNats(opts: StartNatsOptions = {}): Promise<NatsHandle> {
  const jetstream = opts.jetstream ?? true;
  if (process.env.CORTEX_TEST_DOCKER === "1" && (await dockerAvailable())) {
    return startNatsContainer(jetstream);
  }
  const bin = findBinary("nats-server");
  if (!bin) throw missingServerError("nats-server");
  return startNatsProcess(bin, jetstream);
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

/** A free port can be taken before the server binds it: try a few fresh pairs. */
async function startNatsProcess(bin: string, jetstream: boolean): Promise<NatsHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsOnFreePorts(bin, jetstream);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function startNatsOnFreePorts(bin: string, jetstream: boolean): Promise<NatsHandle> {
  installExitHook();
  const storeDir = mkdtempSync(join(tmpdir(), "cortex-nats-"));
  liveDirs.add(storeDir);
  const port = await freePort();
  const monitorPort = await freePort();
  const args = ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort)];
  if (jetstream) args.push("-js", "-sd", storeDir);

  let child: ChildProcess | undefined;
  let removed = false;

  const launch = async (): Promise<void> => {
    const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
    live.add(proc);
    let stderr = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      // Keep only the tail: it holds the reason a server failed to start.
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    exited.then(() => live.delete(proc));
    child = proc;
    const stopPolling = new AbortController();
    const ready = waitReady(monitorPort, jetstream, stopPolling.signal);
    const outcome = await Promise.race([
      ready.then(
        () => "ready" as const,
        (err: unknown) => err,
      ),
      exited.then(() => "exited" as const),
    ]);
    stopPolling.abort();
    if (outcome === "exited") {
      child = undefined;
      throw new Error(`nats-server exited before it was ready (port ${port}):\n${stderr}`);
    }
    if (outcome !== "ready") {
      await terminate("SIGKILL");
      throw outcome;
    }
    await waitTcp(port);
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

  try {
    await launch();
  } catch (err) {
    rmSync(storeDir, { recursive: true, force: true });
    liveDirs.delete(storeDir);
    throw err;
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop() {
      await terminate("SIGTERM");
      if (!removed) {
        removed = true;
        rmSync(storeDir, { recursive: true, force: true });
        liveDirs.delete(storeDir);
      }
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

/**
 * nats:2.9-alpine in Docker. Host ports are bound explicitly so restart() keeps the URL;
 * the store lives in the container, which is kept (not removed) across kill9/restart.
 */
async function startNatsContainer(jetstream: boolean): Promise<NatsHandle> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import("testcontainers");
  const port = await freePort();
  const monitorPort = await freePort();
  const cmd = ["-m", "8222"];
  if (jetstream) cmd.push("-js", "-sd", "/data");
  const container = await new GenericContainer("nats:2.9-alpine")
    .withCommand(cmd)
    .withExposedPorts({ container: 4222, host: port }, { container: 8222, host: monitorPort })
    .withWaitStrategy(Wait.forHttp(jetstream ? "/healthz" : "/varz", 8222))
    .start();
  let stopped = false;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir: "",
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop({ timeout: 5_000, remove: true });
    },
    async kill9() {
      // Dockerode's kill (SIGKILL by default) leaves the container and its store for restart().
      const client = await getContainerRuntimeClient();
      await client.container.getById(container.getId()).kill();
    },
    async restart() {
      await container.restart({ timeout: 5_000 });
      await waitReady(monitorPort, jetstream);
      await waitTcp(port);
    },
  };
}

/** Polls the monitoring endpoint; /healthz also waits for JetStream to be ready. */
async function waitReady(monitorPort: number, jetstream: boolean, signal?: AbortSignal): Promise<void> {
  const path = jetstream ? "/healthz" : "/varz";
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const res = await fetch(`http://127.0.0.1:${monitorPort}${path}`, {
        signal: AbortSignal.timeout(1_000),
      });
      if (res.ok) return;
      last = new Error(`${path} answered ${res.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server not ready after ${READY_TIMEOUT_MS} ms`, { cause: last });
}

function waitTcp(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: "127.0.0.1", port }, () => {
      sock.destroy();
      resolve();
    });
    sock.once("error", reject);
  });
}
