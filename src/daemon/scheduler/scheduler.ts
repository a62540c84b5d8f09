/**
 * The scheduler component: consumes submits and results, keeps the worker registry, and
 * runs the reconciler. It owns none of its dependencies (bus, store, safety client).
 */
import type { WorkConsumer } from "../../bus/bus.js";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { DEFAULT_MAX_CONTEXT_BYTES } from "../../core/job-validation.js";
import { Streams, Subjects } from "../../core/subjects.js";
import { WorkerRegistry } from "../../core/worker-registry.js";
import { JobLifecycle } from "../../jobs/index.js";
import type { Component } from "../component.js";
import { Dispatcher } from "./dispatcher.js";
import { SchedulerMetrics } from "./metrics.js";
import { Reconciler } from "./reconciler.js";
import { ResultHandler } from "./result-handler.js";
import { SafetyHealth } from "./safety-health.js";
import { SubmitHandler } from "./submit-handler.js";
import type { SchedulerDeps, SchedulerOptions } from "./types.js";
import { WorkerTracker } from "./worker-tracker.js";

const ACK_WAIT_MS = 30_000;
const MAX_IN_FLIGHT = 256;
const DEFAULT_RUNNING_GRACE_S = 30;
const DEFAULT_WARMUP_MS = 6_000;

export class Scheduler implements Component {
  readonly name = "scheduler";
  private readonly deps: SchedulerDeps;
  private readonly registry: WorkerRegistry;
  private readonly dispatcher: Dispatcher;
  private readonly tracker: WorkerTracker;
  private readonly submit: SubmitHandler;
  private readonly results: ResultHandler;
  private readonly safetyHealth = new SafetyHealth();
  private readonly jobs: JobLifecycle;
  private reconciler: Reconciler | undefined;
  private consumers: WorkConsumer[] = [];

  constructor(private readonly opts: SchedulerOptions) {
    const clock = opts.clock ?? Date.now;
    this.deps = {
      bus: opts.bus,
      store: opts.store,
      pools: opts.pools,
      timeouts: opts.timeouts,
      logger: opts.logger,
      clock,
      senderId: opts.senderId ?? "scheduler",
    };
    this.registry = new WorkerRegistry({ now: clock });
    this.tracker = new WorkerTracker(
      opts.bus,
      this.registry,
      (pool) => void this.dispatcher.drainPool(pool),
      opts.logger,
    );
    const metrics = new SchedulerMetrics(opts.metrics, () => this.tracker.liveByPool());
    this.jobs =
      opts.jobs ??
      new JobLifecycle(
        {
          bus: opts.bus,
          store: opts.store,
          logger: opts.logger,
          pools: opts.pools,
          timeouts: opts.timeouts,
          senderId: this.deps.senderId,
          clock,
        },
        opts.safety,
      );
    this.jobs.observe(metrics);
    this.dispatcher = new Dispatcher(this.deps, this.jobs, this.registry);
    this.submit = new SubmitHandler(
      this.deps,
      this.jobs,
      this.safetyHealth,
      this.dispatcher,
      opts.maxContextBytes ?? DEFAULT_MAX_CONTEXT_BYTES,
    );
    this.results = new ResultHandler(this.deps, this.jobs, this.dispatcher);
  }

  async start(): Promise<void> {
    const { bus, logger, clock } = this.deps;
    await bus.provision();
    // Heartbeats first, so jobs decided right after start find the workers that are already up.
    await this.tracker.start();
    this.consumers.push(
      await bus.consume(
        {
          stream: Streams.submit,
          consumer: "scheduler_submit",
          filterSubject: Subjects.jobSubmit,
          ackWaitMs: ACK_WAIT_MS,
          maxDeliver: -1,
          maxInFlight: MAX_IN_FLIGHT,
        },
        this.submit.handle,
      ),
      await bus.consume(
        {
          stream: Streams.result,
          consumer: "scheduler_result",
          filterSubject: Subjects.jobResult,
          ackWaitMs: ACK_WAIT_MS,
          maxDeliver: -1,
          maxInFlight: MAX_IN_FLIGHT,
        },
        this.results.handle,
      ),
    );
    this.reconciler = new Reconciler(this.deps, this.jobs, this.dispatcher, this.safetyHealth, {
      runningGraceSeconds: this.opts.runningGraceSeconds ?? DEFAULT_RUNNING_GRACE_S,
      warmupUntilMs: clock() + (this.opts.registryWarmupMs ?? DEFAULT_WARMUP_MS),
    });
    this.reconciler.start();
    logger.info("scheduler started");
  }

  /** Stops taking messages and waits for the work in flight; the bus and store stay open. */
  async stop(): Promise<void> {
    const consumers = this.consumers;
    this.consumers = [];
    await this.tracker.stop();
    await this.reconciler?.stop();
    this.reconciler = undefined;
    await Promise.all(consumers.map((c) => c.stop()));
    await this.dispatcher.idle();
    if (!this.opts.jobs) await this.jobs.drain();
    this.deps.logger.info("scheduler stopped");
  }

  /** One reconciler pass now, outside the interval; resolves when it is done. */
  async reconcileNow(): Promise<void> {
    if (!this.reconciler) {
      throw new CortexError(ErrorCode.Internal, "the scheduler is not running", {
        hint: "Call start() before reconcileNow().",
      });
    }
    await this.reconciler.scan();
  }
}
