import { randomUUID } from "node:crypto";
import { delimiter, join, resolve } from "node:path";
import { Flags } from "@oclif/core";
import ansis from "ansis";
import { applyBackendFlag, backendFlag } from "../cli/backend-flag.js";
import { BaseCommand } from "../cli/base-command.js";
import { changedSettings, daemonSettings, unloadedWorkerModules } from "../cli/daemon-settings.js";
import { linesSince, markLog, runError } from "../cli/run-log.js";
import { dashboardUrl, endpointLines, endpointsOf } from "../cli/stack-endpoints.js";
import { stopReport } from "../cli/stop-report.js";
import { progressMode, UpProgress } from "../cli/up-progress.js";
import { validateConfig } from "../cli/validate-config.js";
import { StackNotReady, waitForStack } from "../cli/wait-for-stack.js";
import type { UpResult } from "../client/json-shapes.js";
import { embeddedDbPath } from "../config/data-path.js";
import { redisTlsFiles } from "../config/env.js";
import { type CortexConfig, configuredWorkerModules, poolsWorkerModules } from "../config/index.js";
import { compactJson } from "../core/api-json.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { redactUrl } from "../core/redact-url.js";
import { workerKindNames } from "../core/worker-kinds.js";
import {
  abandonStart,
  removePidFile,
  restartingDaemonPid,
  runningDaemonPid,
  spawnDaemon,
  stopProcess,
} from "../daemon/supervisor/daemon-process.js";
import { type CortexHome, ensureHome, resolveHome } from "../daemon/supervisor/home.js";
import { ensureServer } from "../daemon/supervisor/managed-servers.js";
import { isAlive, readStackFile, type StackFile, writeStackFile } from "../daemon/supervisor/stack-file.js";
import { stopStack } from "../daemon/supervisor/stop-stack.js";
import type { GetStatusResponse } from "../gen/cortex/v1/api.js";
import { loadRoutedWorkers } from "../sdk/load-modules.js";

export default class Up extends BaseCommand {
  static override summary = "Start the cortex stack in the background and wait until it is ready";
  static override description =
    "Checks the config first (as `cortex config check` does; exit 2 when it is invalid), then starts the " +
    "daemon (gateway, safety kernel, scheduler, workers) with its pid file and logs under CORTEX_HOME. " +
    "Embedded by default: one process with an in-process bus and a SQLite file under CORTEX_HOME, nothing to install. " +
    "With --backend nats (or NATS_URL / REDIS_URL set), starts nats-server / redis-server too when they are not reachable. " +
    "When the daemon cannot start, prints its error and the log path, stops what this run started, and exits 3. " +
    "Running it again while the stack is up does nothing (it says which settings differ; --restart applies them).";
  static override examples = [
    "<%= config.bin %> up",
    "<%= config.bin %> up --backend nats",
    "<%= config.bin %> up --restart",
    "<%= config.bin %> up --json",
    "<%= config.bin %> up --worker ./handlers.js",
  ];
  static override flags = {
    backend: backendFlag,
    timeout: Flags.integer({ description: "seconds to wait for the stack to be ready", default: 60, min: 0 }),
    restart: Flags.boolean({ description: "stop a running stack first (`cortex down`), then start it" }),
    worker: Flags.string({
      description:
        "a handler module (worker SDK) for the daemon to load; repeatable (also pools.yaml `workers:`)",
      multiple: true,
    }),
  };

  async run(): Promise<UpResult> {
    const { flags } = await this.parse(Up);
    applyBackendFlag(flags.backend);
    const workerModules = (flags.worker ?? []).map((p) => resolve(p));
    if (workerModules.length > 0) process.env.CORTEX_WORKER_MODULES = workerModules.join(delimiter);
    // Before anything starts: a bad pools.yaml or handler module is a usage error (exit 2), not a daemon that dies.
    const { config } = validateConfig(workerKindNames());
    await checkWorkerModules(config);
    const home = resolveHome({ ...process.env, CORTEX_HOME: config.env.CORTEX_HOME });
    ensureHome(home);
    const progress = new UpProgress(progressMode(this.jsonEnabled()), (line) => this.logToStderr(line));
    try {
      if (flags.restart) {
        const say = (line: string) => progress.note(line);
        await stopStack(home, 40_000, stopReport(say, 40));
      }
      const existing = runningDaemonPid(home) ?? (await restartingDaemonPid(home));
      if (existing !== undefined) {
        const loaded = readStackFile(home.stackFile)?.workerModules;
        const unloaded = unloadedWorkerModules(workerModules, loaded, poolsWorkerModules(config));
        if (unloaded) throw unloaded;
        return await this.alreadyRunning(config, home, existing, flags.timeout, progress);
      }
      return await this.start(config, home, flags.timeout, progress);
    } finally {
      progress.stop();
    }
  }

  private async alreadyRunning(
    config: CortexConfig,
    home: CortexHome,
    pid: number,
    timeoutS: number,
    progress: UpProgress,
  ): Promise<UpResult> {
    const env = config.env;
    const stack = readStackFile(home.stackFile);
    progress.waiting("cortex is running; asking its gateway");
    const status = await waitForStack(env.CORTEX_GATEWAY_ADDR, {
      timeoutMs: timeoutS * 1000,
      apiKey: env.CORTEX_API_KEY,
      ...(stack?.instanceId ? { instanceId: stack.instanceId } : {}),
    }).catch((err: unknown) => {
      progress.fail("cortex is running but not ready");
      throw notReady(home, err, []);
    });
    progress.done(`cortex is already running (pid ${pid}, gateway ${env.CORTEX_GATEWAY_ADDR})`);
    const changed = changedSettings(stack?.env, daemonSettings(config));
    for (const c of changed)
      progress.note(ansis.yellow(`! ${c.name} is ${c.here} here, but the running daemon uses ${c.running}`));
    if (changed.length > 0)
      progress.note("  run `cortex up --restart` to apply it (it stops the stack first)");
    const endpoints = endpointsOf(status, env.CORTEX_GATEWAY_ADDR);
    const dashboard = dashboardUrl(status);
    for (const line of endpointLines(endpoints, dashboard)) progress.note(line);
    return {
      status: "already-running",
      backend: status.backend === "embedded" ? "embedded" : "nats",
      ...(status.dataPath ? { data_path: status.dataPath } : {}),
      pid,
      gateway: env.CORTEX_GATEWAY_ADDR,
      home: home.root,
      servers: (stack?.servers ?? []).map((s) => ({
        kind: s.kind,
        url: redactUrl(s.url),
        managed: true,
        pid: s.pid,
      })),
      components: componentsJson(status),
      ...(dashboard === undefined ? {} : { dashboard_url: dashboard }),
      endpoints,
      ...(changed.length > 0 ? { changed_settings: changed } : {}),
    };
  }

  private async start(
    config: CortexConfig,
    home: CortexHome,
    timeoutS: number,
    progress: UpProgress,
  ): Promise<UpResult> {
    const env = config.env;
    const backend = env.CORTEX_BACKEND;
    const previous = readStackFile(home.stackFile);
    const stack: StackFile = { servers: (previous?.servers ?? []).filter((s) => isAlive(s.pid)), env: {} };
    const servers: UpResult["servers"] = [];
    const startedHere: number[] = [];
    // What this run stops when it fails: the servers it started, never those it found.
    const undo = async () => {
      for (const pid of startedHere) await stopProcess(pid, 5_000);
      stack.servers = stack.servers.filter((s) => !startedHere.includes(s.pid));
      delete stack.daemonPid;
      writeStackFile(home.stackFile, stack);
    };
    const dataPath = backend === "embedded" ? embeddedDbPath(env.CORTEX_HOME) : undefined;
    if (dataPath !== undefined)
      progress.done(`${"backend".padEnd(9)} embedded ${ansis.dim(`(data ${dataPath})`)}`);
    else progress.done(`${"backend".padEnd(9)} nats ${ansis.dim(`(${sourceOf(env.backendSource)})`)}`);
    // The embedded backend never looks for nats-server or redis-server.
    for (const [kind, url] of backend === "embedded"
      ? []
      : ([
          ["nats", env.NATS_URL],
          ["redis", env.REDIS_URL],
        ] as const)) {
      progress.waiting(`${kind.padEnd(9)} ${redactUrl(url)}`);
      const outcome = await ensureServer(kind, url, home, {
        natsCredsFile: env.NATS_CREDS !== undefined,
        redisTls: redisTlsFiles(env),
      }).catch(async (err: unknown) => {
        progress.fail(`${kind.padEnd(9)} ${redactUrl(url)}`);
        await undo();
        throw err;
      });
      // Only the redacted URL is printed, returned (--json) and kept in the stack file.
      const shown = outcome.url;
      if (outcome.status === "started") {
        startedHere.push(outcome.server.pid);
        stack.servers = stack.servers.filter((s) => s.kind !== kind);
        stack.servers.push(outcome.server);
        progress.done(`${kind.padEnd(9)} ${shown} ${ansis.dim(`(started, pid ${outcome.server.pid})`)}`);
        servers.push({ kind, url: shown, managed: true, pid: outcome.server.pid });
      } else {
        const managed = stack.servers.find((s) => s.kind === kind);
        progress.done(
          `${kind.padEnd(9)} ${shown} ${ansis.dim(managed ? `(managed, pid ${managed.pid})` : "(reachable)")}`,
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

    // This run's lines start here: on failure only they are shown, whatever earlier runs logged.
    const mark = markLog(home.daemonLog, env.CORTEX_LOG_FILES);
    const instanceId = randomUUID();
    progress.waiting("daemon    starting");
    const pid = await spawnDaemon({
      runScript: join(this.config.root, "bin", "run.cjs"),
      home,
      env: {
        ...process.env,
        CORTEX_HOME: home.root,
        CORTEX_BACKEND: backend,
        CORTEX_INSTANCE_ID: instanceId,
      },
      heapMb: env.CORTEX_DAEMON_HEAP_MB,
    }).catch(async (err: unknown) => {
      progress.fail("daemon");
      await abandonStart(home);
      await undo();
      throw err;
    });
    Object.assign(stack, {
      daemonPid: pid,
      startedAt: Date.now(),
      instanceId,
      env: daemonSettings(config),
      workerModules: configuredWorkerModules(config),
    });
    writeStackFile(home.stackFile, stack);

    const seen = new Set<string>();
    try {
      const status = await waitForStack(env.CORTEX_GATEWAY_ADDR, {
        timeoutMs: timeoutS * 1000,
        apiKey: env.CORTEX_API_KEY,
        instanceId,
        isAlive: () => isAlive(pid),
        onComponent: (c) => {
          if (c.state !== "running" || seen.has(c.name)) return;
          seen.add(c.name);
          progress.done(`${c.name.padEnd(9)} ${c.address || ""}`.trimEnd());
        },
        onWaiting: (what) => progress.waiting(`daemon    ${what}`),
      });
      progress.done(`cortex is up (pid ${pid}, logs ${home.daemonLog})`);
      const endpoints = endpointsOf(status, env.CORTEX_GATEWAY_ADDR);
      const dashboard = dashboardUrl(status);
      for (const line of endpointLines(endpoints, dashboard)) progress.note(line);
      return {
        status: "started",
        backend,
        ...(dataPath === undefined ? {} : { data_path: dataPath }),
        pid,
        gateway: env.CORTEX_GATEWAY_ADDR,
        home: home.root,
        servers,
        components: componentsJson(status),
        ...(dashboard === undefined ? {} : { dashboard_url: dashboard }),
        endpoints,
      };
    } catch (err) {
      progress.fail("daemon    did not start");
      await abandonStart(home);
      removePidFile(home);
      await undo();
      throw notReady(home, err, linesSince(mark));
    }
  }
}

function componentsJson(status: GetStatusResponse): UpResult["components"] {
  return status.components.map((c) => compactJson({ name: c.name, state: c.state, address: c.address }));
}

/** This run's error in a line or two, and where the whole log is. */
function notReady(home: CortexHome, err: unknown, runLines: readonly string[]): CortexError {
  const exited = err instanceof StackNotReady && err.exited;
  const [why, hint] = exited ? runErrorOf(runLines) : [undefined, undefined];
  const message = exited
    ? `the daemon exited: ${why ?? "see its log"}`
    : `the daemon did not become ready: ${(err as Error).message}`;
  return new CortexError(ErrorCode.StackUnreachable, message, {
    hint: `${hint ? `${hint}\n` : ""}Log: ${home.daemonLog}`,
    cause: err,
  });
}

function runErrorOf(lines: readonly string[]): [string | undefined, string | undefined] {
  const [first, second] = runError(lines);
  return [first?.replace(/^Error:\s*/, ""), second];
}

/**
 * Loads the handler modules here first, so one that fails to load (or that pools.yaml does
 * not route) stops `up` with its file and error (exit 2) instead of a daemon that dies.
 */
async function checkWorkerModules(config: CortexConfig): Promise<void> {
  const modules = configuredWorkerModules(config);
  if (modules.length > 0) await loadRoutedWorkers(modules, config.pools.topics, config.paths.pools);
}

function sourceOf(source: string): string {
  return source === "default" ? "default" : `chosen by ${source}`;
}
