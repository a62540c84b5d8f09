/**
 * The worker runtime: consumes a pool's job topics from the CORTEX_JOBS work queue, runs
 * a handler per job with at most `concurrency` jobs at once, writes and publishes the
 * result, and only then acks — so a job whose worker dies is redelivered, never lost.
 * Every worker kind (echo, chat, LLM, orchestrator) is this runtime plus a handler.
 * This file owns slots, cancels and drains; one attempt's steps are in attempt.ts.
 */
import { type Logger, pino } from "pino";
import type { Bus, Subscription, WorkConsumer, WorkMessage } from "../bus/bus.js";
import { NO_RETRY_TIMEOUTS } from "../config/index.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { Streams, Subjects, topicConsumerName } from "../core/subjects.js";
import type { JobRequest } from "../gen/cortex/v1/bus.js";
import { JobLifecycle } from "../jobs/index.js";
import { AttemptRunner, type Settled } from "./attempt.js";
import { JobAbortError } from "./attempt-outcome.js";
import { HeartbeatSender } from "./heartbeat.js";
import { ackQuietly, Requeue, retryDelay, settle, within } from "./message-settle.js";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_DELIVER,
  DEFAULT_TIMEOUT_MS,
  defaultWorkerId,
  MAX_ACK_WAIT_MS,
  type TopicSettings,
  type WorkerRuntimeOptions,
} from "./runtime-options.js";
import { Slots } from "./slots.js";

export {
  defaultWorkerId,
  type TopicSettings,
  topicSettingsFromTimeout,
  type WorkerRuntimeOptions,
} from "./runtime-options.js";

/** Extra wait for handlers after a timed-out drain aborted them. */
const DRAIN_ABORT_GRACE_MS = 5_000;
/**
 * Deliveries unlimited (see TopicSettings.maxDeliver), a message failing for a reason other
 * than an outage (a bug, a bad record) is terminated after this many; the reconciler then
 * repairs its job.
 */
export const MAX_FAILED_DELIVERIES = 20;

export class WorkerRuntime {
  readonly workerId: string;
  readonly kind: string;
  readonly pool: string;
  readonly topics: readonly string[];
  readonly concurrency: number;
  private readonly bus: Bus;
  private readonly log: Logger;
  private readonly settings: ReadonlyMap<string, TopicSettings>;
  private readonly slots: Slots;
  private readonly heartbeat: HeartbeatSender;
  private readonly attempts: AttemptRunner;
  private readonly jobs: JobLifecycle;
  private readonly ownJobs: boolean;
  private readonly drainTimeoutMs: number;
  private readonly consumers: WorkConsumer[] = [];
  /** Abort controllers of attempts in progress, by job id (a job may be here twice after a redelivery). */
  private readonly running = new Map<string, Set<AbortController>>();
  /**
   * How each delivery in progress ends, by job id and attempt: a redelivery of one (its
   * working() lost in an outage past the ack wait) waits for it instead of running the job again.
   */
  private readonly deliveries = new Map<string, Promise<Settled>>();
  private readonly inFlight = new Set<Promise<void>>();
  private cancelSub: Subscription | undefined;
  private started = false;
  private draining = false;
  private drained: Promise<void> | undefined;

  constructor(opts: WorkerRuntimeOptions) {
    if (opts.topics.length === 0) {
      throw new CortexError(ErrorCode.InvalidArgument, `worker ${opts.kind} has no topics to consume`, {
        hint: "Give the worker at least one job topic (see config/pools.yaml).",
      });
    }
    this.bus = opts.bus;
    this.kind = opts.kind;
    this.pool = opts.pool;
    this.topics = [...opts.topics];
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
    this.workerId = opts.workerId ?? defaultWorkerId(opts.kind);
    this.drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.log = (opts.logger ?? pino({ level: "silent" })).child({
      component: "worker",
      kind: this.kind,
      workerId: this.workerId,
    });
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const defaults: TopicSettings = {
      timeoutMs,
      ackWaitMs: opts.ackWaitMs ?? Math.min(timeoutMs, MAX_ACK_WAIT_MS),
      maxDeliver: opts.maxDeliver ?? DEFAULT_MAX_DELIVER,
    };
    this.settings = new Map(this.topics.map((t) => [t, { ...defaults, ...opts.topicSettings?.[t] }]));
    this.slots = new Slots(this.concurrency);
    this.ownJobs = opts.jobs === undefined;
    this.jobs =
      opts.jobs ??
      new JobLifecycle({
        bus: opts.bus,
        store: opts.store,
        logger: this.log,
        pools: { topics: {} },
        timeouts: opts.timeouts ?? NO_RETRY_TIMEOUTS,
        senderId: this.workerId,
      });
    this.attempts = new AttemptRunner({
      bus: this.bus,
      jobs: this.jobs,
      handler: opts.handler,
      workerId: this.workerId,
      logger: this.log,
      ...(opts.runningMarkMs === undefined ? {} : { runningMarkMs: opts.runningMarkMs }),
    });
    this.heartbeat = new HeartbeatSender({
      bus: this.bus,
      pool: this.pool,
      workerId: this.workerId,
      intervalMs: opts.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      logger: this.log,
      describe: () => ({
        workerId: this.workerId,
        region: "",
        type: this.kind,
        gpuUtilization: 0,
        activeJobs: this.slots.active,
        capabilities: [...this.topics],
        pool: this.pool,
        maxParallelJobs: this.concurrency,
      }),
    });
  }

  /** Jobs holding a slot right now. */
  activeJobs(): number {
    return this.slots.active;
  }

  async start(): Promise<void> {
    if (this.draining) {
      throw new CortexError(ErrorCode.InvalidArgument, `worker ${this.workerId} was stopped`, {
        hint: "Create a new WorkerRuntime to start consuming again.",
      });
    }
    if (this.started) return;
    this.started = true;
    await this.bus.provision();
    this.cancelSub = await this.bus.subscribe(Subjects.jobCancel, (packet) => {
      if (packet.payload?.$case !== "jobCancel") return;
      const { jobId, reason } = packet.payload.jobCancel;
      this.abortJob(jobId, new JobAbortError("cancel", reason || `job ${jobId} was cancelled`));
    });
    for (const topic of this.topics) {
      const s = this.topicSettings(topic);
      const consumer = await this.bus.consume(
        {
          stream: Streams.jobs,
          consumer: topicConsumerName(topic),
          filterSubject: topic,
          ackWaitMs: s.ackWaitMs,
          maxDeliver: s.maxDeliver,
          // One topic can fill every slot; the shared Slots bound the total.
          maxInFlight: this.concurrency,
        },
        (msg) => this.track(this.onMessage(msg, s)),
      );
      this.consumers.push(consumer);
    }
    await this.heartbeat.start();
    this.log.info({ pool: this.pool, topics: this.topics, concurrency: this.concurrency }, "worker started");
  }

  /**
   * Stops taking jobs, lets the ones in flight finish (aborting and handing back those
   * still running after `timeoutMs`), sends a last heartbeat with no active jobs.
   * Idempotent: every call returns the same promise.
   */
  drain(timeoutMs = this.drainTimeoutMs): Promise<void> {
    this.drained ??= this.runDrain(timeoutMs);
    return this.drained;
  }

  stop(): Promise<void> {
    return this.drain();
  }

  private async runDrain(timeoutMs: number): Promise<void> {
    this.draining = true;
    this.slots.rejectWaiters();
    this.log.info({ inFlight: this.inFlight.size }, "worker draining");
    const settled = Promise.allSettled([
      ...this.consumers.map((c) => c.stop()),
      ...[...this.inFlight].map((p) => p),
    ]);
    if (!(await within(settled, timeoutMs))) {
      this.log.warn({ timeoutMs, running: this.running.size }, "drain timed out: aborting jobs in flight");
      for (const jobId of [...this.running.keys()]) {
        this.abortJob(jobId, new JobAbortError("drain", "worker is shutting down"));
      }
      if (!(await within(settled, DRAIN_ABORT_GRACE_MS))) this.log.error("jobs still in flight after abort");
    }
    try {
      await this.cancelSub?.unsubscribe();
    } catch (err) {
      this.log.debug({ err }, "cancel subscription not removed");
    }
    this.heartbeat.stop();
    if (this.ownJobs) await this.jobs.drain();
    if (this.started) await this.heartbeat.beat({ activeJobs: 0 });
    this.log.info("worker stopped");
  }

  private topicSettings(topic: string): TopicSettings {
    const s = this.settings.get(topic);
    if (!s) throw new CortexError(ErrorCode.Internal, `no settings for topic ${topic}`);
    return s;
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  private abortJob(jobId: string, reason: JobAbortError): void {
    for (const controller of this.running.get(jobId) ?? []) controller.abort(reason);
  }

  /** Never rejects: one bad job must not stop the consumer. */
  private async onMessage(msg: WorkMessage, settings: TopicSettings): Promise<void> {
    const payload = msg.packet.payload;
    if (payload?.$case !== "jobRequest" || payload.jobRequest.jobId === "") {
      this.log.warn({ subject: msg.subject, payload: payload?.$case }, "not a job request: dropped");
      settle(() => msg.term(), this.log);
      return;
    }
    const req = payload.jobRequest;
    if (this.draining) {
      settle(() => msg.nak(), this.log);
      return;
    }
    // Keep the message ours from delivery to ack: waiting for a slot and writing results count too.
    const keepAlive = setInterval(
      () => settle(() => msg.working(), this.log),
      Math.max(100, Math.floor(settings.ackWaitMs / 3)),
    );
    const key = `${req.jobId}:${req.attempt}`;
    const first = this.deliveries.get(key);
    if (first) {
      try {
        await this.holdRedelivery(msg, req.jobId, first);
      } finally {
        clearInterval(keepAlive);
      }
      return;
    }
    let settledAs: Settled = "handed-back";
    let report: (s: Settled) => void = () => undefined;
    this.deliveries.set(key, new Promise<Settled>((resolve) => (report = resolve)));
    try {
      if (!(await this.slots.acquire())) {
        settle(() => msg.nak(), this.log);
        return;
      }
      try {
        settledAs = await this.processJob(req, msg, settings);
      } finally {
        this.slots.release();
      }
    } catch (err) {
      settledAs = this.handBack(msg, req.jobId, err);
    } finally {
      clearInterval(keepAlive);
      this.deliveries.delete(key);
      report(settledAs);
    }
  }

  /** Settles a redelivery of a delivery still in progress here as that one ends up settled. */
  private async holdRedelivery(msg: WorkMessage, jobId: string, first: Promise<Settled>): Promise<void> {
    this.log.info(
      { jobId, deliveries: msg.deliveryCount },
      "redelivery of a job running here: held until it ends",
    );
    const settled = await first;
    if (settled === "acked") await ackQuietly(msg, this.log);
    else if (settled === "dropped") settle(() => msg.term(), this.log);
    else settle(() => msg.nak(retryDelay(msg.deliveryCount, true)), this.log);
  }

  /** A failed store or bus step: back to the queue, soon during an outage; a persistent other failure ends. */
  private handBack(msg: WorkMessage, jobId: string, err: unknown): Settled {
    const outage = err instanceof Requeue && err.outage;
    const cause = err instanceof Requeue ? err.cause : err;
    if (!outage && msg.deliveryCount >= MAX_FAILED_DELIVERIES) {
      this.log.error(
        { err: cause, jobId, deliveries: msg.deliveryCount },
        "job message dropped after failing",
      );
      settle(() => msg.term(), this.log);
      return "dropped";
    }
    const delay = retryDelay(msg.deliveryCount, outage);
    // An outage is expected and handled: one line, no stack trace.
    const said = cause instanceof Error ? cause.message : String(cause);
    if (outage)
      this.log.warn({ jobId, delayMs: delay, cause: said }, "store or bus unavailable: job handed back");
    else if (err instanceof Requeue) this.log.warn({ err: cause, jobId, delayMs: delay }, "job handed back");
    else this.log.error({ err, jobId, delayMs: delay }, "job handed back");
    settle(() => msg.nak(delay), this.log);
    return "handed-back";
  }

  private async processJob(req: JobRequest, msg: WorkMessage, settings: TopicSettings): Promise<Settled> {
    const controller = new AbortController();
    // Registered before the RUNNING transition so a cancel racing with it is not missed.
    const controllers = this.running.get(req.jobId) ?? new Set<AbortController>();
    controllers.add(controller);
    this.running.set(req.jobId, controllers);
    try {
      return await this.attempts.run(req, msg, settings, controller);
    } finally {
      controllers.delete(controller);
      if (controllers.size === 0) this.running.delete(req.jobId);
    }
  }
}
