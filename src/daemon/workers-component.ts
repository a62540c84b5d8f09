import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Bus } from "../bus/bus.js";
import type { CortexEnv } from "../config/env.js";
import { type PoolsConfig, type TimeoutsConfig, timeoutFor } from "../config/index.js";
import type { JobLifecycle } from "../jobs/index.js";
import type { JobStore } from "../store/job-store.js";
import { workerKind } from "../workers/registry.js";
import {
  defaultWorkerId,
  type TopicSettings,
  topicSettingsFromTimeout,
  WorkerRuntime,
} from "../workers/runtime.js";
import type { Component } from "./component.js";

export interface WorkersComponentOptions {
  bus: Bus;
  store: JobStore;
  /** The process's job lifecycle, shared by every runtime and the orchestrator. */
  jobs?: JobLifecycle;
  timeouts: TimeoutsConfig;
  /** Handed to handler factories (OLLAMA_URL, OLLAMA_MODEL for the LLM kinds). */
  env?: CortexEnv;
  kinds: readonly string[];
  concurrency?: number;
  logger: Logger;
  /** Routing, for kinds that plan and submit other jobs (orchestrator, planner). */
  pools?: PoolsConfig;
  /** host:port of the safety kernel (workflow plans are checked before any step runs). */
  safetyAddress?: string;
  /** Where handler metrics go (the orchestrator's workflow metrics). */
  metrics?: Registry;
}

/** Runs one WorkerRuntime per kind; stop() drains them all in parallel. */
export class WorkersComponent implements Component {
  readonly name = "workers";
  readonly runtimes: WorkerRuntime[];

  constructor(opts: WorkersComponentOptions) {
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
        handler: kind.createHandler({
          workerId,
          logger,
          ...(opts.env ? { env: opts.env } : {}),
          bus: opts.bus,
          store: opts.store,
          ...(opts.jobs ? { jobs: opts.jobs } : {}),
          timeouts: opts.timeouts,
          ...(opts.pools ? { pools: opts.pools } : {}),
          ...(opts.safetyAddress ? { safetyAddress: opts.safetyAddress } : {}),
          ...(opts.metrics ? { metrics: opts.metrics } : {}),
        }),
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        topicSettings,
        logger,
      });
    });
  }

  async start(): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.drain()));
  }

  address(): string {
    return this.runtimes.map((r) => `${r.kind}×${r.concurrency}`).join(" ");
  }
}
