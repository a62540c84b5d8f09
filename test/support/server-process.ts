/**
 * The plumbing shared by the test servers (nats-server.ts, redis-server.ts): a binary
 * spawned on a free port, raced against its own exit until it is ready, stopped with a
 * SIGKILL fallback, and — with its temp dir — killed and removed when the test process
 * exits, so a failed or forgotten test never leaves a server behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type Subprocess } from "execa";
import type { StartedTestContainer } from "testcontainers";

const live = new Set<Subprocess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** A graceful stop that has not ended by then becomes a SIGKILL. */
const KILL_AFTER_MS = 5_000;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // "exit" handlers must be synchronous: SIGKILL and a sync rm are all that fit.
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh temp dir for one server, removed at process exit unless removeServerDir() ran first. */
export function makeServerDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  liveDirs.add(dir);
  return dir;
}

export function removeServerDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/** True when CORTEX_TEST_DOCKER=1 asks for containers and a Docker engine answers. */
export async function wantDocker(): Promise<boolean> {
  if (process.env.CORTEX_TEST_DOCKER !== "1") return false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** What every test server handle offers besides its address. */
export interface ServerControls {
  stop(): Promise<void>;
  kill9(): Promise<void>;
  restart(): Promise<void>;
}

/** stop/kill9/restart of a test server's container; `waitReady` runs after a restart. */
export function containerControls(
  container: StartedTestContainer,
  waitReady: () => Promise<void>,
): ServerControls {
  let stopped = false;
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop({ timeout: 5_000, remove: true });
    },
    async kill9() {
      // Dockerode's kill (SIGKILL by default) keeps the container, and the data in it, for restart().
      const { getContainerRuntimeClient } = await import("testcontainers");
      const client = await getContainerRuntimeClient();
      await client.container.getById(container.getId()).kill();
    },
    async restart() {
      await container.restart({ timeout: 5_000 });
      await waitReady();
    },
  };
}

export interface ServerProcessOptions {
  /** Names the server in errors, e.g. "nats-server". */
  name: string;
  bin: string;
  args: readonly string[];
  /** The port it serves on (for error messages). */
  port: number;
  /** Resolves once the server answers; should stop polling when `signal` aborts. */
  waitReady(signal: AbortSignal): Promise<void>;
  /** Keep stdout's tail too (redis logs its startup errors there). Default: stderr only. */
  captureStdout?: boolean;
  /** Let the test process exit while the server runs (the exit hook kills it). */
  unref?: boolean;
}

export interface ServerProcess {
  /** Spawns the server and waits until it is ready; throws (the server killed) when it exits or never is. */
  launch(): Promise<void>;
  /** Sends `signal` (SIGKILL after 5 s) and waits for the exit; nothing when it is not running. */
  terminate(signal: NodeJS.Signals): Promise<void>;
}

/** One server binary that can be launched, terminated and launched again with the same arguments. */
export function serverProcess(opts: ServerProcessOptions): ServerProcess {
  installExitHook();
  let child: Subprocess | undefined;

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), KILL_AFTER_MS);
    await exited;
    clearTimeout(timer);
  };

  const launch = async (): Promise<void> => {
    const proc = execa(opts.bin, [...opts.args], {
      stdin: "ignore",
      stdout: opts.captureStdout ? "pipe" : "ignore",
      stderr: "pipe",
      // The tail is kept below; terminate() has its own SIGKILL fallback, the exit hook its own kill.
      buffer: false,
      reject: false,
      forceKillAfterDelay: false,
      cleanup: false,
    });
    live.add(proc);
    if (opts.unref) {
      proc.unref();
      (proc.stdout as Socket | null)?.unref();
      (proc.stderr as Socket | null)?.unref();
    }
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
    const stopPolling = new AbortController();
    const outcome = await Promise.race([
      opts.waitReady(stopPolling.signal).then(
        () => "ready" as const,
        (err: unknown) => ({ err }),
      ),
      exited.then(() => "exited" as const),
    ]);
    stopPolling.abort();
    if (outcome === "exited") {
      child = undefined;
      throw new Error(`${opts.name} exited before it was ready (port ${opts.port}):\n${output}`);
    }
    if (outcome !== "ready") {
      await terminate("SIGKILL");
      throw outcome.err;
    }
  };

  return { launch, terminate };
}

/** stop (then `afterStop`, e.g. removing the server's dir), kill9 and restart, as the test handles expose them. */
export function processControls(server: ServerProcess, afterStop: () => void): ServerControls {
  return {
    async stop() {
      await server.terminate("SIGTERM");
      afterStop();
    },
    async kill9() {
      await server.terminate("SIGKILL");
    },
    async restart() {
      await server.terminate("SIGTERM");
      await server.launch();
    },
  };
}
