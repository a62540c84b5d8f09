import { delimiter, join, resolve } from "node:path";
import { Flags } from "@oclif/core";
import ansis from "ansis";
import { applyBackendFlag, backendFlag } from "../cli/backend-flag.js";
import { BaseCommand } from "../cli/base-command.js";
import { waitForStack } from "../cli/wait-for-stack.js";
import { createGatewayClient } from "../client/gateway-client.js";
import type { UpResult } from "../client/json-shapes.js";
import { embeddedDbPath } from "../config/data-path.js";
import { loadEnv, redisTlsFiles } from "../config/env.js";
import { configuredWorkerModules, loadConfig } from "../config/index.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { redactUrl } from "../core/redact-url.js";
import {
  abandonStart,
  restartingDaemonPid,
  runningDaemonPid,
  spawnDaemon,
  tailFile,
} from "../daemon/supervisor/daemon-process.js";
import { ensureHome, resolveHome } from "../daemon/supervisor/home.js";
import { ensureServer } from "../daemon/supervisor/managed-servers.js";
import { isAlive, readStackFile, type StackFile, writeStackFile } from "../daemon/supervisor/stack-file.js";
import { loadRoutedWorkers } from "../sdk/load-modules.js";

export default class Up extends BaseCommand {
  static override summary = "Start the cortex stack in the background and wait until it is ready";
  static override description =
    "Starts the daemon (gateway, safety kernel, scheduler, workers) with its pid file and logs under CORTEX_HOME. " +
    "Embedded by default: one process with an in-process bus and a SQLite file under CORTEX_HOME, nothing to install. " +
    "With --backend nats (or NATS_URL / REDIS_URL set), starts nats-server / redis-server too when they are not reachable. " +
    "Running it again while the stack is up does nothing.";
  static override examples = [
    "<%= config.bin %> up",
    "<%= config.bin %> up --backend nats",
    "<%= config.bin %> up --json",
    "<%= config.bin %> up --worker ./handlers.js",
  ];
  static override flags = {
    backend: backendFlag,
    timeout: Flags.integer({ description: "seconds to wait for the stack to be ready", default: 60 }),
    worker: Flags.string({
      description:
        "a handler module (worker SDK) for the daemon to load; repeatable (also pools.yaml `workers:`)",
      multiple: true,
    }),
  };

  async run(): Promise<UpResult> {
    const { flags } = await this.parse(Up);
    applyBackendFlag(flags.backend);
    const env = loadEnv(process.env);
    const backend = env.CORTEX_BACKEND;
    const home = resolveHome({ ...process.env, CORTEX_HOME: env.CORTEX_HOME });
    ensureHome(home);
    const say = (line: string) => {
      if (!this.jsonEnabled()) this.logToStderr(line);
    };
    const ok = ansis.green("✓");

    const workerModules = (flags.worker ?? []).map((p) => resolve(p));
    if (workerModules.length > 0) process.env.CORTEX_WORKER_MODULES = workerModules.join(delimiter);
    await checkWorkerModules();

    const existing = runningDaemonPid(home) ?? (await restartingDaemonPid(home));
    if (existing !== undefined) {
      const components = await waitForStack(env.CORTEX_GATEWAY_ADDR, {
        timeoutMs: flags.timeout * 1000,
        apiKey: env.CORTEX_API_KEY,
      });
      const stack = readStackFile(home.stackFile);
      say(`${ok} cortex is already running (pid ${existing}, gateway ${env.CORTEX_GATEWAY_ADDR})`);
      const running = await runningBackend(env.CORTEX_GATEWAY_ADDR, env.CORTEX_API_KEY);
      return {
        status: "already-running",
        ...running,
        pid: existing,
        gateway: env.CORTEX_GATEWAY_ADDR,
        home: home.root,
        servers: (stack?.servers ?? []).map((s) => ({
          kind: s.kind,
          url: redactUrl(s.url),
          managed: true,
          pid: s.pid,
        })),
        components,
      };
    }

    const previous = readStackFile(home.stackFile);
    const stack: StackFile = { servers: (previous?.servers ?? []).filter((s) => isAlive(s.pid)), env: {} };
    const servers: UpResult["servers"] = [];
    const dataPath = backend === "embedded" ? embeddedDbPath(env.CORTEX_HOME) : undefined;
    if (dataPath !== undefined)
      say(`${ok} ${"backend".padEnd(9)} embedded ${ansis.dim(`(data ${dataPath})`)}`);
    else say(`${ok} ${"backend".padEnd(9)} nats ${ansis.dim(`(${sourceOf(env.backendSource)})`)}`);
    // The embedded backend never looks for nats-server or redis-server.
    for (const [kind, url] of backend === "embedded"
      ? []
      : ([
          ["nats", env.NATS_URL],
          ["redis", env.REDIS_URL],
        ] as const)) {
      const outcome = await ensureServer(kind, url, home, {
        natsCredsFile: env.NATS_CREDS !== undefined,
        redisTls: redisTlsFiles(env),
      });
      // Only the redacted URL is printed, returned (--json) and kept in the stack file.
      const shown = outcome.url;
      if (outcome.status === "started") {
        stack.servers = stack.servers.filter((s) => s.kind !== kind);
        stack.servers.push(outcome.server);
        say(`${ok} ${kind.padEnd(9)} ${shown} ${ansis.dim(`(started, pid ${outcome.server.pid})`)}`);
        servers.push({ kind, url: shown, managed: true, pid: outcome.server.pid });
      } else {
        const managed = stack.servers.find((s) => s.kind === kind);
        say(
          `${ok} ${kind.padEnd(9)} ${shown} ${ansis.dim(managed ? `(managed, pid ${managed.pid})` : "(reachable)")}`,
        );
        servers.push({
          kind,
          url: shown,
          managed: managed !== undefined,
          ...(managed ? { pid: managed.pid } : {}),
        });
      }
      writeStackFile(home.stackFile, stack);
    }

    const pid = await spawnDaemon({
      runScript: join(this.config.root, "bin", "run.cjs"),
      home,
      env: { ...process.env, CORTEX_HOME: home.root, CORTEX_BACKEND: backend },
      heapMb: env.CORTEX_DAEMON_HEAP_MB,
    });
    stack.daemonPid = pid;
    stack.startedAt = Date.now();
    writeStackFile(home.stackFile, stack);

    const seen = new Set<string>();
    try {
      const components = await waitForStack(env.CORTEX_GATEWAY_ADDR, {
        timeoutMs: flags.timeout * 1000,
        apiKey: env.CORTEX_API_KEY,
        isAlive: () => isAlive(pid),
        onComponent: (c) => {
          if (c.state !== "running" || seen.has(c.name)) return;
          seen.add(c.name);
          say(`${ok} ${c.name.padEnd(9)} ${c.address || ""}`.trimEnd());
        },
      });
      say(`${ok} cortex is up (pid ${pid}, logs ${home.daemonLog})`);
      return {
        status: "started",
        backend,
        ...(dataPath === undefined ? {} : { data_path: dataPath }),
        pid,
        gateway: env.CORTEX_GATEWAY_ADDR,
        home: home.root,
        servers,
        components,
      };
    } catch (err) {
      await abandonStart(home);
      const tail = tailFile(home.daemonLog, 15);
      throw new CortexError(
        ErrorCode.StackUnreachable,
        `the daemon did not become ready: ${(err as Error).message}`,
        {
          hint: `Last lines of ${home.daemonLog}:\n${tail}`,
          cause: err,
        },
      );
    }
  }
}

/**
 * Loads the handler modules here first, so one that fails to load (or that pools.yaml does
 * not route) stops `up` with its file and error (exit 2) instead of a daemon that dies.
 */
async function checkWorkerModules(): Promise<void> {
  const config = loadConfig();
  const modules = configuredWorkerModules(config);
  if (modules.length > 0) await loadRoutedWorkers(modules, config.pools.topics, config.paths.pools);
}

function sourceOf(source: string): string {
  return source === "default" ? "default" : `chosen by ${source}`;
}

/** The backend of a daemon that is already up, as it reports it. */
async function runningBackend(
  address: string,
  apiKey: string | undefined,
): Promise<Pick<UpResult, "backend" | "data_path">> {
  const client = createGatewayClient({ address, timeoutMs: 3_000, ...(apiKey ? { apiKey } : {}) });
  try {
    const status = await client.getStatus();
    const backend = status.backend === "embedded" ? "embedded" : "nats";
    return { backend, ...(status.dataPath ? { data_path: status.dataPath } : {}) };
  } finally {
    client.close();
  }
}
