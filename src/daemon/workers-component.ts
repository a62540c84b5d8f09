import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Bus } from "../bus/bus.js";
import type { CortexEnv } from "../config/env.js";
import { type PoolsConfig, type TimeoutsConfig, timeoutFor } from "../config/index.js";
import type { PolicyChecker } from "../core/policy-checker.js";
import { JobLifecycle } from "../jobs/index.js";
import type { LoadedWorker } from "../sdk/load-modules.js";
import type { JobStore } from "../store/job-store.js";
import { type WorkerKindName, workerKind } from "../workers/registry.js";
import {
  defaultWorkerId,
  type TopicSettings,
  topicSettingsFromTimeout,
  WorkerRuntime,
} from "../workers/runtime.js";
import { sdkJobHandler } from "../workers/sdk-handler.js";
import { createSdkServices } from "../workers/sdk-services.js";
import type { Component } from "./component.js";
import { createWorkerDeps, type WorkerDeps } from "./worker-deps.js";

export interface WorkersComponentOptions {
  bus: Bus;
  store: JobStore;
  /** The process's job lifecycle, shared by every runtime and the orchestrator. */
  jobs?: JobLifecycle;
  /** The process's safety policy (plan checks); a safety client is built when absent. */
  policy?: PolicyChecker;
  timeouts: TimeoutsConfig;
  /** Read here, not by handlers: OLLAMA_* for the LLM kinds, USE_PLANNER and CORTEX_WORKFLOW_* for workflows. */
  env: CortexEnv;
  kinds: readonly WorkerKindName[];
  /** Handler modules' definitions (cortex worker start ./m.js, up --worker, pools.yaml workers:). */
  userWorkers?: readonly LoadedWorker[];
  concurrency?: number;
  logger: Logger;
  /** Routing, for kinds that plan and submit other jobs (orchestrator, planner). */
  pools: PoolsConfig;
  /** host:port of the safety kernel (workflow plans are checked before any step runs); default env.SAFETY_KERNEL_ADDR. */
  safetyAddress?: string;
  /** Where handler metrics go (the orchestrator's workflow metrics). */
  metrics?: Registry;
}

/** Runs one WorkerRuntime per kind; stop() drains them all in parallel. */
export class WorkersComponent implements Component {
  readonly name = "workers";
  readonly runtimes: WorkerRuntime[];
  private readonly deps: WorkerDeps;
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(opts: WorkersComponentOptions) {
    this.deps = createWorkerDeps({
      bus: opts.bus,
      store: opts.store,
      env: opts.env,
      pools: opts.pools,
      timeouts: opts.timeouts,
      ...(opts.jobs ? { jobs: opts.jobs } : {}),
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.safetyAddress ? { safetyAddress: opts.safetyAddress } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      logger: opts.logger,
    });
    this.runtimes = opts.kinds.map((name) => {
      const kind = workerKind(name);
      const topicSettings: Record<string, TopicSettings> = {};
      for (const topic of kind.topics)
        topicSettings[topic] = topicSettingsFromTimeout(timeoutFor(opts.timeouts, topic));
      const workerId = defaultWorkerId(kind.kind);
      const logger = opts.logger.child({ worker: kind.kind });
      return new WorkerRuntime({
        workerId,
        bus: opts.bus,
        store: opts.store,
        ...(opts.jobs ? { jobs: opts.jobs } : {}),
        timeouts: opts.timeouts,
        kind: kind.kind,
        pool: kind.pool,
        topics: kind.topics,
        handler: this.deps.handlerFor(name, { workerId, logger }),
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        topicSettings,
        logger,
      });
    });
    for (const loaded of opts.userWorkers ?? []) this.runtimes.push(this.userRuntime(opts, loaded));
  }

  /** One runtime per definition: its pool is the heartbeat's pool and kind, so `cortex ps` lists it. */
  private userRuntime(opts: WorkersComponentOptions, { file, definition }: LoadedWorker): WorkerRuntime {
    const topics = Object.keys(definition.topics);
    const topicSettings: Record<string, TopicSettings> = {};
    for (const topic of topics)
      topicSettings[topic] = topicSettingsFromTimeout(timeoutFor(opts.timeouts, topic));
    const workerId = defaultWorkerId(definition.pool);
    const logger = opts.logger.child({ worker: definition.pool, module: file });
    const jobs =
      opts.jobs ??
      new JobLifecycle({
        bus: opts.bus,
        store: opts.store,
        logger,
        pools: opts.pools,
        timeouts: opts.timeouts,
        senderId: workerId,
      });
    const services = createSdkServices({
      bus: opts.bus,
      store: opts.store,
      jobs,
      logger,
      workerId,
      llm: () => this.deps.llm(),
    });
    this.closers.push(() => services.close());
    return new WorkerRuntime({
      workerId,
      bus: opts.bus,
      store: opts.store,
      jobs,
      timeouts: opts.timeouts,
      kind: definition.pool,
      pool: definition.pool,
      topics,
      handler: sdkJobHandler(definition, services),
      concurrency: opts.concurrency ?? definition.concurrency,
      topicSettings,
      logger,
    });
  }

  async start(): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.drain()));
    for (const close of this.closers) await close().catch(() => undefined);
    this.deps.close();
  }

  address(): string {
    return this.runtimes.map((r) => `${r.kind}×${r.concurrency}`).join(" ");
  }
}
