import { accessSync, constants, openSync } from "node:fs";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { busAuthFailed, CortexError, ErrorCode, storeAuthFailed, storeTlsFailed } from "../../core/errors.js";
import { redactUrl } from "../../core/redact-url.js";
import type { CortexHome } from "./home.js";
import { logFileStdio } from "./log-file-stdio.js";
import { type ProbeResult, type ProbeTlsFiles, probeNats, probeRedis } from "./protocol-probe.js";
import { type HostPort, hostPortOf } from "./reachability.js";
import { isAlive, type ManagedServer } from "./stack-file.js";

const SBIN_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"];

export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of [...(env.PATH ?? "").split(delimiter), ...SBIN_DIRS]) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

interface ServerSpec {
  kind: "nats" | "redis";
  binary: string;
  envVar: string;
  defaultPort: number;
  installHint: string;
  args(hp: HostPort, home: CortexHome): string[];
  log(home: CortexHome): string;
}

const SPECS: Record<"nats" | "redis", ServerSpec> = {
  nats: {
    kind: "nats",
    binary: "nats-server",
    envVar: "NATS_URL",
    defaultPort: 4222,
    installHint: "install nats-server (apt-get install nats-server / brew install nats-server)",
    args: (hp, home) => ["-a", hp.host, "-p", String(hp.port), "-js", "-sd", home.natsDir],
    log: (home) => home.natsLog,
  },
  redis: {
    kind: "redis",
    binary: "redis-server",
    envVar: "REDIS_URL",
    defaultPort: 6379,
    installHint: "install redis-server (apt-get install redis-server / brew install redis)",
    args: (hp, home) => [
      "--bind",
      hp.host,
      "--port",
      String(hp.port),
      "--dir",
      home.redisDir,
      "--appendonly",
      "yes",
      "--save",
      "",
    ],
    log: (home) => home.redisLog,
  },
};

/** How long a server may take to answer the probe; a plain TCP listener is told apart within it. */
const PROBE_TIMEOUT_MS = 1_000;
/** How long a server we started may take to answer. */
const START_TIMEOUT_MS = 10_000;

/**
 * Waits until the server we started answers the protocol probe; false as soon as it exits
 * (say, because its port is taken: then something else would answer, not our server).
 */
async function waitAnswering(
  kind: "nats" | "redis",
  url: string,
  pid: number,
  opts: { natsCredsFile?: boolean; redisTls?: ProbeTlsFiles },
): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return false;
    const probe =
      kind === "nats"
        ? await probeNats(url, { credsFile: opts.natsCredsFile === true, timeoutMs: 300 })
        : await probeRedis(url, { ...opts.redisTls, timeoutMs: 300 });
    if (probe === "ok") return isAlive(pid);
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export type EnsureOutcome =
  | { kind: "nats" | "redis"; status: "reachable"; url: string }
  | { kind: "nats" | "redis"; status: "started"; url: string; server: ManagedServer };

/**
 * Makes sure NATS or Redis answers at its URL. When it doesn't and the server binary is
 * on PATH, starts it detached with its data under CORTEX_HOME; otherwise a one-line error
 * saying what to install or set.
 */
export async function ensureServer(
  kind: "nats" | "redis",
  url: string,
  home: CortexHome,
  opts: { natsCredsFile?: boolean; redisTls?: ProbeTlsFiles } = {},
): Promise<EnsureOutcome> {
  const spec = SPECS[kind];
  const hp = hostPortOf(url, spec.defaultPort);
  // The outcome carries the URL to print: redacted, so `up` and its --json never show a password.
  const shown = redactUrl(url);
  const probe: ProbeResult =
    kind === "nats"
      ? await probeNats(url, { credsFile: opts.natsCredsFile === true, timeoutMs: PROBE_TIMEOUT_MS })
      : await probeRedis(url, { ...opts.redisTls, timeoutMs: PROBE_TIMEOUT_MS });
  if (probe === "ok") return { kind, status: "reachable", url: shown };
  if (probe === "auth-failed")
    throw kind === "nats" ? busAuthFailed(url, undefined) : storeAuthFailed(url, undefined);
  // Only the Redis probe speaks TLS (the NATS one stops at INFO).
  if (probe === "tls-failed") throw storeTlsFailed(url, undefined);
  const name = kind === "nats" ? "NATS" : "Redis";
  if (probe === "silent") {
    throw new CortexError(
      ErrorCode.StackUnreachable,
      `something at ${hp.host}:${hp.port} accepts connections but did not answer as ${name} within ${PROBE_TIMEOUT_MS} ms`,
      { hint: `Point ${spec.envVar} at a ${name} server, or free the port.` },
    );
  }
  if (probe === "not-the-protocol") {
    throw new CortexError(
      ErrorCode.StackUnreachable,
      `something at ${hp.host}:${hp.port} answers, but not as ${name}`,
      {
        hint: `Point ${spec.envVar} at a ${name} server, or free the port.`,
      },
    );
  }
  const bin = findExecutable(spec.binary);
  if (!bin) {
    throw new CortexError(ErrorCode.StackUnreachable, `${name} is not reachable at ${shown}`, {
      hint: `Set ${spec.envVar} to a running server, or ${spec.installHint} so cortex up can start one.`,
    });
  }
  const out = openSync(spec.log(home), "a");
  // reject: false: the server outlives `cortex up`; a failed start shows as "not reachable" below.
  const child = execa(bin, spec.args(hp, home), { detached: true, ...logFileStdio(out), reject: false });
  child.unref();
  const pid = child.pid;
  if (pid === undefined || !(await waitAnswering(kind, url, pid, opts))) {
    if (pid !== undefined && isAlive(pid)) process.kill(pid, "SIGTERM");
    throw new CortexError(
      ErrorCode.StackUnreachable,
      `${spec.binary} did not start on ${hp.host}:${hp.port}`,
      {
        hint: `See ${spec.log(home)} for why.`,
      },
    );
  }
  return { kind, status: "started", url: shown, server: { kind, pid, url: shown } };
}
