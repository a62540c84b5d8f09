/**
 * Starts a real nats-server for a test file: the binary from PATH on a free port with its
 * own store dir, or (CORTEX_TEST_DOCKER=1 and a Docker engine up) a nats:2.9 container.
 * Every server started here is killed when the test process exits.
 */
import { connect as tcpConnect } from "node:net";
import { findBinary, missingServerError } from "./find-binary.js";
import { freePort } from "./free-port.js";
import {
  containerControls,
  makeServerDir,
  processControls,
  removeServerDir,
  serverProcess,
  wantDocker,
} from "./server-process.js";

export interface NatsHandle {
  /** With the credentials of StartNatsOptions in it, when any. */
  url: string;
  /** The same server without credentials. */
  plainUrl: string;
  port: number;
  /** nats-server's HTTP monitoring endpoint (/varz, /healthz), e.g. http://127.0.0.1:8222. */
  monitorUrl: string;
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
  /** `--user/--pass`: clients must log in with these. */
  user?: string;
  pass?: string;
  /** `--auth`: clients must send this token. */
  token?: string;
  /** `--tls`: clients must speak TLS (see test/support/tls-certs.ts). */
  tls?: { certFile: string; keyFile: string };
}

function authArgs(opts: StartNatsOptions): string[] {
  const tls = opts.tls ? ["--tls", "--tlscert", opts.tls.certFile, "--tlskey", opts.tls.keyFile] : [];
  if (opts.token !== undefined) return [...tls, "--auth", opts.token];
  if (opts.user !== undefined) return [...tls, "--user", opts.user, "--pass", opts.pass ?? ""];
  return tls;
}

function urlsOf(port: number, opts: StartNatsOptions): { url: string; plainUrl: string } {
  const enc = encodeURIComponent;
  const userinfo =
    opts.token !== undefined
      ? `${enc(opts.token)}@`
      : opts.user !== undefined
        ? `${enc(opts.user)}:${enc(opts.pass ?? "")}@`
        : "";
  return { url: `nats://${userinfo}127.0.0.1:${port}`, plainUrl: `nats://127.0.0.1:${port}` };
}

const READY_TIMEOUT_MS = 10_000;

export async function startNats(opts: StartNatsOptions = {}): Promise<NatsHandle> {
  const jetstream = opts.jetstream ?? true;
  if (await wantDocker()) return startNatsContainer(jetstream, opts);
  const bin = findBinary("nats-server");
  if (!bin) throw missingServerError("nats-server");
  return startNatsProcess(bin, jetstream, opts);
}

/** A free port can be taken before the server binds it: try a few fresh pairs. */
async function startNatsProcess(
  bin: string,
  jetstream: boolean,
  opts: StartNatsOptions,
): Promise<NatsHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsOnFreePorts(bin, jetstream, opts);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function startNatsOnFreePorts(
  bin: string,
  jetstream: boolean,
  opts: StartNatsOptions,
): Promise<NatsHandle> {
  const ports = { port: await freePort(), monitorPort: await freePort() };
  return launchNatsProcess(bin, { ...ports, jetstream, extraArgs: authArgs(opts) }, opts);
}

/** Where one nats-server process listens and what else it is told (cluster flags for nats-cluster.ts). */
export interface NatsProcessSpec {
  port: number;
  monitorPort: number;
  jetstream: boolean;
  extraArgs: readonly string[];
  /** Replaces the /healthz + TCP wait; a cluster node is healthy only once there is a meta leader. */
  waitReady?: (monitorPort: number, signal: AbortSignal) => Promise<void>;
}

/** One nats-server from `bin` with its own store dir (removed by stop()). */
export async function launchNatsProcess(
  bin: string,
  spec: NatsProcessSpec,
  opts: StartNatsOptions = {},
): Promise<NatsHandle> {
  const storeDir = makeServerDir("cortex-nats-");
  const { port, monitorPort, jetstream } = spec;
  const args = ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort), ...spec.extraArgs];
  if (jetstream) args.push("-js", "-sd", storeDir);
  const server = serverProcess({
    name: "nats-server",
    bin,
    args,
    port,
    waitReady: async (signal) => {
      if (spec.waitReady) await spec.waitReady(monitorPort, signal);
      else await waitReady(monitorPort, jetstream, signal);
      await waitTcp(port);
    },
  });
  try {
    await server.launch();
  } catch (err) {
    removeServerDir(storeDir);
    throw err;
  }

  return {
    ...urlsOf(port, opts),
    port,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    storeDir,
    ...processControls(server, () => removeServerDir(storeDir)),
  };
}

/**
 * nats:2.9-alpine in Docker. Host ports are bound explicitly so restart() keeps the URL;
 * the store lives in the container, which is kept (not removed) across kill9/restart.
 */
async function startNatsContainer(jetstream: boolean, opts: StartNatsOptions): Promise<NatsHandle> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const port = await freePort();
  const monitorPort = await freePort();
  const cmd = ["-m", "8222", ...authArgs(opts)];
  if (jetstream) cmd.push("-js", "-sd", "/data");
  const container = await new GenericContainer("nats:2.9-alpine")
    .withCommand(cmd)
    .withExposedPorts({ container: 4222, host: port }, { container: 8222, host: monitorPort })
    .withWaitStrategy(Wait.forHttp(jetstream ? "/healthz" : "/varz", 8222))
    .start();
  return {
    ...urlsOf(port, opts),
    port,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    storeDir: "",
    ...containerControls(container, async () => {
      await waitReady(monitorPort, jetstream);
      await waitTcp(port);
    }),
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
