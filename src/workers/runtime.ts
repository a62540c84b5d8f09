/**
 * The worker runtime: consumes a pool's job topics from the CORTEX_JOBS work queue, runs
 * a handler per job with at most `concurrency` jobs at once, writes and publishes the
 * result, and only then acks — so a job whose worker dies is redelivered, never lost.
 * Every worker kind (echo, chat, LLM, orchestrator) is this runtime plus a handler.
 */
import { type Logger, pino } from "pino";
import type { Bus, Subscription, WorkConsumer, WorkMessage } from "../bus/bus.js";
import { newPacket } from "../bus/codec.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { isTerminal, JobState } from "../core/states.js";
import { Streams, Subjects, topicConsumerName } from "../core/subjects.js";
import type { JobRequest } from "../gen/cortex/v1/bus.js";
import type { JobEventRecord, JobRecord, JobStore } from "../store/job-store.js";
import {
  type AttemptOutcome,
  errorMessageOf,
  JobAbortError,
  outcomeOfAbort,
  outcomeOfError,
  ResultErrorCode,
  resultDocument,
  statusOf,
} from "./attempt-outcome.js";
import type { JobHandler, JobInput } from "./handler.js";
import { HeartbeatSender } from "./heartbeat.js";
import { ackQuietly, guard, Requeue, retryDelay, settle, within } from "./message-settle.js";
import { ProgressPublisher } from "./progress.js";
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

export class WorkerRuntime {
  readonly workerId: string;
  readonly kind: string;
  readonly pool: string;
  readonly topics: readonly string[];
  readonly concurrency: number;
  private readonly bus: Bus;
  private readonly store: JobStore;
  private readonly handler: JobHandler;
  private readonly log: Logger;
  private readonly settings: ReadonlyMap<string, TopicSettings>;
  private readonly slots: Slots;
  private readonly heartbeat: HeartbeatSender;
  private readonly drainTimeoutMs: number;
  private readonly consumers: WorkConsumer[] = [];
  /** Abort controllers of attempts in progress, by job id (a job may be here twice after a redelivery). */
  private readonly running = new Map<string, Set<AbortController>>();
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
    this.store = opts.store;
    this.kind = opts.kind;
    this.pool = opts.pool;
    this.topics = [...opts.topics];
    this.handler = opts.handler;
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
    try {
      if (!(await this.slots.acquire())) {
        settle(() => msg.nak(), this.log);
        return;
      }
      try {
        await this.processJob(req, msg, settings);
      } finally {
        this.slots.release();
      }
    } catch (err) {
      const delay = retryDelay(msg.deliveryCount);
      const log = err instanceof Requeue ? this.log.warn.bind(this.log) : this.log.error.bind(this.log);
      log(
        { err: err instanceof Requeue ? err.cause : err, jobId: req.jobId, delayMs: delay },
        "job handed back",
      );
      settle(() => msg.nak(delay), this.log);
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async processJob(req: JobRequest, msg: WorkMessage, settings: TopicSettings): Promise<void> {
    const controller = new AbortController();
    // Registered before the RUNNING transition so a cancel racing with it is not missed.
    const controllers = this.running.get(req.jobId) ?? new Set<AbortController>();
    controllers.add(controller);
    this.running.set(req.jobId, controllers);
    try {
      // The context read overlaps the RUNNING transition: one round trip of latency, not two.
      const contextRead = guard("read context", () => this.store.getContext(req.jobId));
      contextRead.catch(() => undefined);
      const job = await this.markRunning(req, msg);
      if (!job) return;
      const attempt = job.attempts;
      const log = this.log.child({ jobId: job.jobId, attempt });
      const context = await contextRead;
      const startedAt = Date.now();
      const outcome: AttemptOutcome =
        context === undefined
          ? {
              kind: "failed",
              code: ResultErrorCode.ContextMissing,
              message: `context of job ${job.jobId} is missing (expired or never written)`,
            }
          : await this.execute(
              this.jobInput(job, req, attempt, context),
              controller,
              req.timeoutMs > 0 ? req.timeoutMs : settings.timeoutMs,
            );
      if (outcome.kind === "drained") {
        log.info("attempt aborted by drain: handed back");
        settle(() => msg.nak(), this.log);
        return;
      }
      const executionMs = Date.now() - startedAt;
      const written = await guard("write result", () =>
        this.store.putResult({
          jobId: job.jobId,
          attempt,
          workerId: this.workerId,
          result: resultDocument(outcome, job.jobId, this.workerId) ?? null,
        }),
      );
      const packet = newPacket(
        {
          $case: "jobResult",
          jobResult: {
            jobId: job.jobId,
            status: statusOf(outcome),
            resultPtr: written.resultPtr,
            workerId: this.workerId,
            executionMs,
            attempt,
            errorMessage: errorMessageOf(outcome),
          },
        },
        { traceId: job.traceId || msg.packet.traceId, senderId: this.workerId },
      );
      await guard("publish result", () =>
        this.bus.publishDurable(Subjects.jobResult, packet, { msgId: `${job.jobId}:${attempt}:result` }),
      );
      await ackQuietly(msg, this.log);
      log.debug({ outcome: outcome.kind, executionMs, stored: written.stored }, "attempt finished");
    } finally {
      controllers.delete(controller);
      if (controllers.size === 0) this.running.delete(req.jobId);
    }
  }

  /**
   * Tells watchers (`--wait`, `cortex watch`, a workflow's orchestrator) that the job started,
   * as the scheduler does for its transitions. Fire-and-forget: the store already holds the event.
   */
  private announce(event: JobEventRecord): void {
    this.bus
      .publishRaw(Subjects.jobEvent, new TextEncoder().encode(JSON.stringify(event)))
      .catch((err: unknown) => this.log.warn({ err, jobId: event.jobId }, "could not publish job event"));
  }

  /** RUNNING with attempts + 1; undefined when the job must be skipped (already acked). */
  private async markRunning(req: JobRequest, msg: WorkMessage): Promise<JobRecord | undefined> {
    const outcome = await guard("mark running", () =>
      this.store.transition({
        jobId: req.jobId,
        to: JobState.Running,
        from: [JobState.Scheduled, JobState.Dispatched, JobState.Running],
        incrementAttempts: true,
        workerId: this.workerId,
      }),
    );
    if (outcome.ok) {
      this.announce(outcome.event);
      return outcome.job;
    }
    if (outcome.code === "not_found") {
      this.log.warn({ jobId: req.jobId }, "job record not found (expired or never created): dropped");
      await ackQuietly(msg, this.log);
      return undefined;
    }
    if (isTerminal(outcome.current)) {
      this.log.info({ jobId: req.jobId, state: outcome.current }, "job already finished: skipped");
      await ackQuietly(msg, this.log);
      return undefined;
    }
    // Not dispatched yet (PENDING): the scheduler's write is behind its publish; try again shortly.
    throw new Requeue(`job ${req.jobId} is ${outcome.current}, not dispatched`);
  }

  private jobInput(
    job: JobRecord,
    req: JobRequest,
    attempt: number,
    context: Record<string, unknown>,
  ): Omit<JobInput, "progress"> {
    return {
      jobId: job.jobId,
      traceId: job.traceId,
      topic: job.topic,
      attempt,
      context,
      envVars: { ...job.envVars, ...req.envVars },
      tenant: job.tenant,
      workerId: this.workerId,
    };
  }

  /** Runs the handler until it settles or its signal aborts (a handler ignoring the signal is abandoned). */
  private async execute(
    job: Omit<JobInput, "progress">,
    controller: AbortController,
    timeoutMs: number,
  ): Promise<AttemptOutcome> {
    const progress = new ProgressPublisher({ bus: this.bus, logger: this.log, job });
    const input: JobInput = { ...job, progress: progress.push };
    const { signal } = controller;
    const timer = setTimeout(
      () =>
        controller.abort(
          new JobAbortError("timeout", `attempt ${input.attempt} exceeded its ${timeoutMs} ms timeout`),
        ),
      timeoutMs,
    );
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    try {
      const value = await Promise.race([Promise.resolve().then(() => this.handler(input, signal)), aborted]);
      return { kind: "completed", value };
    } catch (err) {
      return signal.aborted ? outcomeOfAbort(signal.reason) : outcomeOfError(err);
    } finally {
      clearTimeout(timer);
      // Queued tokens go out before the result is published, so watchers see them first.
      progress.close();
    }
  }
}
