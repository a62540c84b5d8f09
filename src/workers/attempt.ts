/**
 * One delivery of one job, from its start to the ack: the jobs layer starts the attempt
 * (no store call on a first delivery), the handler runs under its timeout, a job still
 * running after RUNNING_MARK_MS is marked RUNNING, and the jobs layer records the end (or the
 * retry) in one store step before the message is acked. An end that cannot be written during
 * an outage is retried in place; other store and bus failures throw Requeue (see
 * message-settle.ts) so the runtime hands the message back; the runtime owns slots, cancels
 * and drains.
 */
import type { Logger } from "pino";
import type { Bus, WorkMessage } from "../bus/bus.js";
import { JobState } from "../core/states.js";
import { annotate, inSpan, jobParent, SpanKind, tracingEnabled } from "../core/tracing.js";
import type { JobRequest } from "../gen/cortex/v1/bus.js";
import type { AttemptEnd, Begin, EndState, JobLifecycle } from "../jobs/index.js";
import {
  type AttemptOutcome,
  errorMessageOf,
  JobAbortError,
  outcomeOfAbort,
  outcomeOfError,
  ResultErrorCode,
  resultDocument,
} from "./attempt-outcome.js";
import type { JobHandler, JobInput } from "./handler.js";
import { ackQuietly, guard, Requeue, retryDelay, settle } from "./message-settle.js";
import { ProgressPublisher } from "./progress.js";
import type { TopicSettings } from "./runtime-options.js";

/** How long a finished attempt's end is retried in place during an outage before the message goes back. */
export const FINISH_RETRY_MS = 30_000;

/** Longest wait for a job's last progress to cross the bus before its end is recorded. */
const PROGRESS_SETTLE_MS = 500;

/** A job that ends sooner records RUNNING together with its end (one store step, not two). */
export const RUNNING_MARK_MS = 250;

export interface AttemptRunnerOptions {
  bus: Bus;
  jobs: JobLifecycle;
  handler: JobHandler;
  workerId: string;
  logger: Logger;
  runningMarkMs?: number;
}

type Begun = Extract<Begin, { kind: "run" }>;

type Reported = Exclude<AttemptOutcome, { kind: "drained" }>;

/** How a delivery's message was settled: a redelivery of it held meanwhile is settled alike. */
export type Settled = "acked" | "handed-back" | "dropped";

export class AttemptRunner {
  private readonly bus: Bus;
  private readonly jobs: JobLifecycle;
  private readonly handler: JobHandler;
  private readonly workerId: string;
  private readonly log: Logger;
  private readonly runningMarkMs: number;

  constructor(opts: AttemptRunnerOptions) {
    this.bus = opts.bus;
    this.jobs = opts.jobs;
    this.handler = opts.handler;
    this.workerId = opts.workerId;
    this.log = opts.logger;
    this.runningMarkMs = opts.runningMarkMs ?? RUNNING_MARK_MS;
  }

  /**
   * Runs one delivery of `req`; `controller` aborts it (cancel, drain). Resolves once the
   * message is settled, with how; throws Requeue when the store or bus failed and it must go back.
   */
  async run(
    req: JobRequest,
    msg: WorkMessage,
    settings: TopicSettings,
    controller: AbortController,
  ): Promise<Settled> {
    const begin = await guard("start attempt", () =>
      this.jobs.attempts.begin(req, msg.deliveryCount, this.workerId),
    );
    if (begin.kind === "skip") {
      this.log.info({ jobId: req.jobId, reason: begin.reason }, "job skipped");
      await ackQuietly(msg, this.log);
      return "acked";
    }
    if (begin.kind === "requeue") throw new Requeue(begin.reason);
    if (!tracingEnabled()) return this.runBegun(req, msg, settings, controller, begin);
    const attributes = {
      "cortex.job.id": req.jobId,
      "cortex.job.topic": req.topic,
      "cortex.job.attempt": begin.attempt,
      "cortex.worker.id": this.workerId,
    };
    // The handler runs inside the span: jobs it submits (a workflow's children) are its children.
    const parent = jobParent(msg.packet.traceId, msg.packet.traceparent);
    return inSpan("run", { parent, kind: SpanKind.CONSUMER, attributes }, () =>
      this.runBegun(req, msg, settings, controller, begin),
    );
  }

  private async runBegun(
    req: JobRequest,
    msg: WorkMessage,
    settings: TopicSettings,
    controller: AbortController,
    begin: Begun,
  ): Promise<Settled> {
    const { attempt, context } = begin;
    // Bindings per call, not a child logger per attempt (pino serialises a child's bindings up front).
    const at = { jobId: req.jobId, attempt };
    const mark = begin.running
      ? undefined
      : setTimeout(() => this.markRunning(req.jobId, attempt, controller), this.runningMarkMs);
    const startedAt = Date.now();
    let outcome: AttemptOutcome;
    try {
      outcome =
        context === undefined
          ? {
              kind: "failed",
              code: ResultErrorCode.ContextMissing,
              message: `context of job ${req.jobId} is missing (expired or never written)`,
            }
          : await this.execute(
              this.jobInput(req, msg, attempt, context),
              controller,
              req.timeoutMs > 0 ? req.timeoutMs : settings.timeoutMs,
            );
    } finally {
      clearTimeout(mark);
    }
    annotate({ "cortex.job.outcome": outcome.kind });
    if (outcome.kind === "drained") {
      this.log.info(at, "attempt aborted by drain: handed back");
      settle(() => msg.nak(), this.log);
      return "handed-back";
    }
    const end = this.endOf(req, msg, attempt, outcome, Date.now() - startedAt, context);
    const ended = await this.finishInPlace(end, msg);
    await ackQuietly(msg, this.log);
    this.log.debug({ ...at, outcome: outcome.kind, executionMs: end.executionMs, ended }, "attempt finished");
    return "acked";
  }

  /**
   * The end is recorded here, retried while the store or bus is out (the message kept in
   * progress), so a handler that already ran is not run again on a redelivery. Past
   * FINISH_RETRY_MS, or for another failure, the message goes back as before.
   */
  private async finishInPlace(end: AttemptEnd, msg: WorkMessage): Promise<unknown> {
    const giveUpAt = Date.now() + FINISH_RETRY_MS;
    for (let n = 1; ; n++) {
      try {
        return await guard("finish attempt", () => this.jobs.attempts.finish(end));
      } catch (err) {
        if (!(err instanceof Requeue) || !err.outage || Date.now() >= giveUpAt) throw err;
        if (n === 1)
          this.log.warn(
            { jobId: end.jobId, attempt: end.attempt },
            "store or bus out: the end is kept and retried",
          );
        settle(() => msg.working(), this.log);
        await new Promise((resolve) => setTimeout(resolve, retryDelay(n, true)));
      }
    }
  }

  /** Past the threshold: RUNNING. A job that ended meanwhile (cancelled while queued) stops the handler. */
  private markRunning(jobId: string, attempt: number, controller: AbortController): void {
    this.jobs.attempts
      .markRunning(jobId, attempt, this.workerId)
      .then((current) => {
        if (!current)
          controller.abort(new JobAbortError("cancel", `job ${jobId} is no longer this attempt's`));
      })
      .catch((err: unknown) => this.log.warn({ err, jobId }, "could not mark the job RUNNING"));
  }

  private endOf(
    req: JobRequest,
    msg: WorkMessage,
    attempt: number,
    outcome: Reported,
    executionMs: number,
    context: Record<string, unknown> | undefined,
  ): AttemptEnd {
    const message = errorMessageOf(outcome);
    return {
      jobId: req.jobId,
      topic: req.topic,
      traceId: msg.packet.traceId,
      attempt,
      workerId: this.workerId,
      to: endState(outcome),
      ...(message ? { reason: message } : {}),
      ...(outcome.kind === "failed" ? { errorCode: outcome.code } : {}),
      result: resultDocument(outcome, req.jobId, this.workerId) ?? null,
      executionMs,
      ...(context === undefined ? {} : { context }),
    };
  }

  private jobInput(
    req: JobRequest,
    msg: WorkMessage,
    attempt: number,
    context: Record<string, unknown>,
  ): Omit<JobInput, "progress"> {
    return {
      jobId: req.jobId,
      traceId: msg.packet.traceId,
      topic: req.topic,
      attempt,
      context,
      envVars: { ...req.envVars },
      tenant: req.envVars.tenant_id ?? "",
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
      // A gateway in this process hears the end at once but the tokens only back from the
      // bus: one round trip lets them arrive first. Bounded, and skipped without progress.
      if (progress.sent() > 0) await this.bus.ping(PROGRESS_SETTLE_MS).catch(() => undefined);
    }
  }
}

function endState(outcome: Reported): EndState {
  switch (outcome.kind) {
    case "completed":
      return JobState.Succeeded;
    case "failed":
      return JobState.Failed;
    case "timeout":
      return JobState.Timeout;
    case "cancelled":
      return JobState.Cancelled;
  }
}
