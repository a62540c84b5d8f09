import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { type TimeoutsConfig, timeoutFor } from "../config/index.js";
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
  timeouts: TimeoutsConfig;
  kinds: readonly string[];
  concurrency?: number;
  logger: Logger;
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
        kind: kind.kind,
        pool: kind.pool,
        topics: kind.topics,
        handler: kind.createHandler({ workerId, logger }),
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
