/**
 * The daemon: connects the bus and the store once, then starts the selected components in
 * dependency order and stops them in reverse. Only this entry point constructs adapters.
 */

import type { Logger } from "pino";
import { Registry } from "prom-client";
import type { Bus } from "../bus/bus.js";
import { type ApiKeyEntry, loadApiKeysFile } from "../config/api-keys.js";
import type { CortexConfig } from "../config/index.js";
import { redactUrl } from "../core/redact-url.js";
import { assertWorkerRouting } from "../core/routing-check.js";
import { type WorkerKindName, workerKindNames } from "../core/worker-kinds.js";
import { JobLifecycle, localPolicy, type PolicyGate } from "../jobs/index.js";
import { createLlmClient } from "../llm/index.js";
import { type LoadedWorker, loadRoutedWorkers } from "../sdk/load-modules.js";
import type { JobStore } from "../store/job-store.js";
import { COMPONENT_NAMES, type Component, type ComponentInfo, type ComponentName } from "./component.js";
import { type Backend, connectBackend } from "./connect-backend.js";
import { GatewayServer } from "./gateway/gateway-server.js";
import { localPolicySource, type PolicySource, remotePolicySource } from "./gateway/policy-queries.js";
import { ApprovalMetrics } from "./metrics/approval-metrics.js";
import { JobMetrics } from "./metrics/job-metrics.js";
import { serveProcessMetrics } from "./metrics/process-endpoint.js";
import { registerProcessMetrics } from "./metrics/process-metrics.js";
import { createSafetyClient } from "./safety/safety-client.js";
import { SafetyKernelServer } from "./safety/safety-server.js";
import { Scheduler } from "./scheduler/index.js";
import { WorkersComponent } from "./workers-component.js";

export interface DaemonOptions {
  components: readonly ComponentName[];
  config: CortexConfig;
  logger: Logger;
  /** Worker kinds to run when "workers" is selected (default: all known kinds). */
  workerKinds?: readonly WorkerKindName[];
  /** Handler modules (worker SDK) to load and run when "workers" is selected. */
  workerModules?: readonly string[];
  concurrency?: number;
}

export interface Daemon {
  statuses(): ComponentInfo[];
  stop(): Promise<void>;
}

interface Running {
  component: Component;
  info: ComponentInfo;
}

/** cortex-<components>, e.g. cortex-safety-scheduler-gateway or cortex-worker-planner (OTEL_SERVICE_NAME wins). */
export function defaultServiceName(
  components: readonly ComponentName[],
  kinds: readonly string[] = [],
): string {
  const worker = kinds.length === 1 ? `worker-${kinds[0]}` : "worker";
  return `cortex-${components.map((c) => (c === "workers" ? worker : c)).join("-")}`;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, logger: root } = opts;
  const logger = root.child({ component: "daemon" });
  const env = config.env;
  const wanted = new Set(opts.components);
  const running: Running[] = [];
  const closers: (() => Promise<void>)[] = [];
  const statuses = (): ComponentInfo[] => running.map((r) => ({ ...r.info }));

  const stop = async (): Promise<void> => {
    for (const r of [...running].reverse()) {
      r.info.state = "stopped";
      try {
        await r.component.stop();
      } catch (err) {
        // The line is the component's own: a second `component` key would duplicate the child's.
        root.child({ component: r.info.name }).warn({ err }, "component did not stop cleanly");
      }
    }
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };

  const launch = async (component: Component, detail = ""): Promise<void> => {
    const info: ComponentInfo = {
      name: component.name,
      state: "starting",
      address: "",
      pid: process.pid,
      startedAtMs: Date.now(),
      detail,
      metricsAddress: "",
    };
    running.push({ component, info });
    await component.start();
    info.state = "running";
    info.address = component.address?.() ?? "";
    root.child({ component: component.name }).info({ address: info.address }, "component running");
  };

  // One registry per process: every component's series, the process's own, on one /metrics.
  const registry = new Registry();
  registerProcessMetrics(registry);

  try {
    // First, so every component's spans are recorded; shut down last, after they stopped.
    if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
      const { startTracing } = await import("./tracing-sdk.js");
      const tracing = startTracing(defaultServiceName(opts.components, opts.workerKinds));
      closers.push(() => tracing.shutdown());
    }
    // Read before anything connects: a bad keys file stops the daemon with one clear line.
    const apiKeys: readonly ApiKeyEntry[] =
      wanted.has("gateway") && env.CORTEX_API_KEYS_FILE ? loadApiKeysFile(env.CORTEX_API_KEYS_FILE) : [];
    const kinds = opts.workerKinds ?? workerKindNames();
    // Likewise a pools.yaml that routes a running kind's topic elsewhere: its jobs would never arrive.
    if (wanted.has("workers")) assertWorkerRouting(kinds, config.pools.topics, config.paths.pools);
    // A module that fails to load, or whose topics pools.yaml routes elsewhere, stops the start here.
    const userWorkers: LoadedWorker[] = wanted.has("workers")
      ? await loadRoutedWorkers(opts.workerModules ?? [], config.pools.topics, config.paths.pools)
      : [];
    const needsBus = wanted.has("scheduler") || wanted.has("gateway") || wanted.has("workers");
    let bus: Bus | undefined;
    let store: JobStore | undefined;
    let backend: Backend | undefined;
    if (needsBus) {
      backend = await connectBackend(env, root);
      bus = backend.bus;
      store = backend.store;
      closers.push(() => (bus as Bus).close());
      closers.push(() => (store as JobStore).close());
      logger.info({ backend: backend.kind, store: redactUrl(backend.storeUrl) }, "backend connected");
    }

    let safetyAddress = env.SAFETY_KERNEL_ADDR;
    if (wanted.has("safety")) {
      const safety = new SafetyKernelServer({
        policy: config.safety,
        logger: root.child({ component: "safety" }),
        host: env.CORTEX_BIND,
        port: env.CORTEX_SAFETY_PORT,
        registry,
      });
      await launch(safety);
      safetyAddress = safety.address();
    }

    // One lifecycle per process, shared by its components. The policy is the kernel's own code
    // in process when the kernel runs here, else SafetyKernel.Check on the remote kernel.
    let jobs: JobLifecycle | undefined;
    let policy: PolicyGate | undefined;
    let policySource: PolicySource | undefined;
    if (bus && store) {
      if (wanted.has("safety")) {
        policy = localPolicy(config.safety);
        policySource = localPolicySource(config.safety);
      } else {
        const safetyClient = createSafetyClient({ address: safetyAddress });
        closers.push(async () => safetyClient.close());
        policy = safetyClient;
        policySource = remotePolicySource(safetyClient);
      }
      const lifecycle = new JobLifecycle(
        {
          bus,
          store,
          logger: root.child({ component: "jobs" }),
          pools: config.pools,
          timeouts: config.timeouts,
          senderId: `cortex-${process.pid}`,
        },
        policy,
      );
      // Registered after the bus closer, so it runs first: queued events leave before the bus closes.
      closers.push(() => lifecycle.drain());
      jobs = lifecycle;
      // Decisions and job ends happen wherever this process's lifecycle makes them.
      jobs.observe(new ApprovalMetrics(registry));
      jobs.observe(new JobMetrics(registry, Object.keys(config.pools.topics)));
      // Embedded: the bus lived in the process that died, so what the store says was queued or
      // running is queued again before anything consumes.
      if (backend?.kind === "embedded") {
        const recovered = await lifecycle.recover();
        if (recovered.requeued + recovered.resubmitted > 0)
          logger.info(recovered, "jobs queued again after a restart");
      }
    }

    if (wanted.has("scheduler") && bus && store && jobs) {
      const scheduler = new Scheduler({
        bus,
        store,
        jobs,
        pools: config.pools,
        timeouts: config.timeouts,
        metrics: registry,
        maxContextBytes: env.CORTEX_MAX_CONTEXT_BYTES,
        logger: root.child({ component: "scheduler" }),
      });
      await launch(scheduler);
    }

    if (wanted.has("gateway") && bus && store && jobs) {
      const gatewayLlm = createLlmClient({
        baseUrl: env.OLLAMA_URL,
        model: env.OLLAMA_MODEL,
        ...(env.OLLAMA_TIMEOUT_MS === undefined ? {} : { requestTimeoutMs: env.OLLAMA_TIMEOUT_MS }),
        logger: root.child({ component: "llm" }),
      });
      const gateway = new GatewayServer({
        bus,
        store,
        jobs,
        logger: root.child({ component: "gateway" }),
        config: {
          grpcHost: env.CORTEX_BIND,
          grpcPort: env.CORTEX_GRPC_PORT,
          httpPort: env.CORTEX_HTTP_PORT,
          maxContextBytes: env.CORTEX_MAX_CONTEXT_BYTES,
          defaultTenant: config.safety.default_tenant,
          poolTopics: config.pools.topics,
          ...(env.API_KEY ? { apiKey: env.API_KEY } : {}),
          apiKeys,
          redisUrl: backend?.kind === "nats" ? backend.storeUrl : "",
          backend: env.CORTEX_BACKEND,
          dataPath: backend?.dataPath ?? "",
          ...(env.CORTEX_INSTANCE_ID ? { instanceId: env.CORTEX_INSTANCE_ID } : {}),
        },
        statusProvider: statuses,
        metrics: registry,
        ...(policySource ? { policySource } : {}),
        llmHealth: () => gatewayLlm.health(),
      });
      await launch(gateway);
    }
    // Workers last: the gateway's registry is listening for their first heartbeat.
    if (wanted.has("workers") && bus && store) {
      const workers = new WorkersComponent({
        bus,
        store,
        ...(jobs ? { jobs } : {}),
        ...(policy ? { policy } : {}),
        timeouts: config.timeouts,
        env,
        kinds,
        userWorkers,
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        // the worker runtime tags its own lines with component "worker"
        logger: root,
        pools: config.pools,
        safetyAddress,
        metrics: registry,
      });
      await launch(workers);
    }

    // Last: a scrape (the scheduler's healthcheck) answering means every component started.
    const endpoint = await serveProcessMetrics({
      registry,
      env,
      allInOne: COMPONENT_NAMES.every((n) => wanted.has(n)),
    });
    closers.unshift(() => endpoint.close());
    for (const r of running) r.info.metricsAddress = endpoint.address;
  } catch (err) {
    await stop();
    throw err;
  }

  return { statuses, stop };
}
