/**
 * One attempt of one job, from the RUNNING transition to the ack: mark the job running,
 * run the handler under its timeout, write the result document, publish the JobResult,
 * and only then ack. Store and bus failures throw Requeue (see message-settle.ts) so the
 * runtime hands the message back; the runtime owns slots, cancels and drains.
 */
import type { Logger } from "pino";
import type { Bus, WorkMessage } from "../bus/bus.js";
import { newPacket } from "../bus/codec.js";
import { isTerminal, JobState } from "../core/states.js";
import { Subjects } from "../core/subjects.js";
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
import { ackQuietly, guard, Requeue, settle } from "./message-settle.js";
import { ProgressPublisher } from "./progress.js";
import type { TopicSettings } from "./runtime-options.js";

export interface AttemptRunnerOptions {
  bus: Bus;
  store: JobStore;
  handler: JobHandler;
  workerId: string;
  logger: Logger;
}

export class AttemptRunner {
  private readonly bus: Bus;
  private readonly store: JobStore;
  private readonly handler: JobHandler;
  private readonly workerId: string;
  private readonly log: Logger;

  constructor(opts: AttemptRunnerOptions) {
    this.bus = opts.bus;
    this.store = opts.store;
    this.handler = opts.handler;
    this.workerId = opts.workerId;
    this.log = opts.logger;
  }

  /**
   * Runs one delivery of `req`; `controller` aborts it (cancel, drain). Resolves once the
   * message is settled; throws Requeue when the store or bus failed and it must go back.
   */
  async run(
    req: JobRequest,
    msg: WorkMessage,
    settings: TopicSettings,
    controller: AbortController,
  ): Promise<void> {
    // The RUNNING transition returns the context too: one store call, not two.
    const running = await this.markRunning(req, msg);
    if (!running) return;
    const { job, context } = running;
    const attempt = job.attempts;
    // Bindings per call, not a child logger per attempt (pino serialises a child's bindings up front).
    const at = { jobId: job.jobId, attempt };
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
      this.log.info(at, "attempt aborted by drain: handed back");
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
    this.log.debug({ ...at, outcome: outcome.kind, executionMs, stored: written.stored }, "attempt finished");
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

  /** RUNNING with attempts + 1, and the context; undefined when the job must be skipped (already acked). */
  private async markRunning(
    req: JobRequest,
    msg: WorkMessage,
  ): Promise<{ job: JobRecord; context: Record<string, unknown> | undefined } | undefined> {
    const outcome = await guard("mark running", () =>
      this.store.transition({
        jobId: req.jobId,
        to: JobState.Running,
        from: [JobState.Scheduled, JobState.Dispatched, JobState.Running],
        incrementAttempts: true,
        workerId: this.workerId,
        withContext: true,
      }),
    );
    if (outcome.ok) {
      this.announce(outcome.event);
      return { job: outcome.job, context: outcome.context };
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
