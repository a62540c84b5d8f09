/**
 * Periodic repair of jobs a lost message or a dead component left behind. Each rule acts
 * only through guarded transitions, so a scan racing the consumers changes nothing twice.
 */
import { timeoutFor } from "../../config/index.js";
import { isCortexError } from "../../core/errors.js";
import { isOutage } from "../../core/outage.js";
import { JobState } from "../../core/states.js";
import { Subjects } from "../../core/subjects.js";
import {
  type JobLifecycle,
  jobRequestPacket,
  maxAttempts,
  noPoolReason,
  SAFETY_UNAVAILABLE_REASON,
  submitMsgId,
} from "../../jobs/index.js";
import { listJobsInState } from "../../jobs/list-jobs.js";
import type { JobRecord } from "../../store/job-store.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SafetyHealth } from "./safety-health.js";
import type { SchedulerDeps } from "./types.js";

export interface ReconcilerOptions {
  runningGraceSeconds: number;
  /** No "no live worker" timeouts before this clock time (the registry is still filling). */
  warmupUntilMs: number;
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /**
   * When a scan last found the store or bus unreachable. Deadlines run from no earlier than
   * this: time spent in an outage is not a job's (its workers could record nothing).
   */
  private outageSeenAt = 0;

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly jobs: JobLifecycle,
    private readonly dispatcher: Dispatcher,
    private readonly safetyHealth: SafetyHealth,
    private readonly opts: ReconcilerOptions,
  ) {}

  /** Scans now and then every scan_interval_seconds after the previous scan ended. */
  start(): void {
    this.stopped = false;
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One full pass over PENDING, AWAITING_APPROVAL, SCHEDULED, DISPATCHED and RUNNING jobs. A
   * held job only ever expires: no dispatch timeout applies while a human decides.
   */
  async scan(): Promise<void> {
    for (const [state, rule] of [
      [JobState.Pending, this.pending],
      [JobState.AwaitingApproval, this.awaitingApproval],
      [JobState.Scheduled, this.scheduled],
      [JobState.Dispatched, this.dispatched],
      [JobState.Running, this.runningJob],
    ] as const) {
      // Stores skip records they cannot decode; should a listing still fail, the other states go on.
      let jobs: JobRecord[];
      try {
        jobs = await listJobsInState(this.deps.store, state);
      } catch (err) {
        this.noteOutage(err);
        // Unreachable store: the other states would fail too; the scan is retried next interval.
        if (isOutage(err)) throw err;
        this.deps.logger.warn(
          { code: isCortexError(err) ? err.code : undefined, error: (err as Error).message, state },
          "reconciler could not list jobs in a state; the other states go on",
        );
        continue;
      }
      for (const job of jobs) {
        if (this.stopped) return;
        try {
          await rule(job);
        } catch (err) {
          this.noteOutage(err);
          this.deps.logger.warn({ err, jobId: job.jobId, state }, "reconciler could not repair a job");
        }
      }
    }
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.scan()
      .catch((err: unknown) =>
        this.deps.logger.warn({ err }, "reconciler scan failed; retrying next interval"),
      )
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        this.timer = setTimeout(
          () => this.tick(),
          this.deps.timeouts.reconciler.scan_interval_seconds * 1000,
        );
      });
  }

  private get dispatchTimeoutS(): number {
    return this.deps.timeouts.reconciler.dispatch_timeout_seconds;
  }

  private noteOutage(err: unknown): void {
    if (isOutage(err)) this.outageSeenAt = this.deps.clock();
  }

  private overdue(since: number, seconds: number): boolean {
    return this.deps.clock() - Math.max(since, this.outageSeenAt) > seconds * 1000;
  }

  /** The gateway may have died between writing the job and publishing its submit. */
  private readonly pending = async (job: JobRecord): Promise<void> => {
    if (!this.overdue(job.createdAt, this.dispatchTimeoutS)) return;
    if (this.safetyHealth.isDown()) {
      await this.jobs.moves.apply({
        jobId: job.jobId,
        to: JobState.Failed,
        from: [JobState.Pending],
        reason: SAFETY_UNAVAILABLE_REASON,
      });
      return;
    }
    // msgId = job id: JetStream drops this while the original submit is in its duplicate window.
    const { bus, senderId } = this.deps;
    await bus.publishDurable(Subjects.jobSubmit, jobRequestPacket(job, 0, 0, senderId), {
      msgId: submitMsgId(job.jobId),
    });
  };

  private readonly awaitingApproval = async (job: JobRecord): Promise<void> => {
    await this.jobs.approvals.expireIfDue(job);
  };

  private readonly scheduled = async (job: JobRecord): Promise<void> => {
    const pool = this.dispatcher.poolOf(job.topic);
    if (pool === undefined) {
      // pools.yaml changed since the job was scheduled
      await this.jobs.moves.apply({
        jobId: job.jobId,
        to: JobState.Failed,
        from: [JobState.Scheduled],
        reason: noPoolReason(job.topic),
      });
      return;
    }
    if (await this.dispatcher.dispatchIfLive(job)) return;
    const waitingSince = job.scheduledAt ?? job.updatedAt;
    if (this.deps.clock() < this.opts.warmupUntilMs || !this.overdue(waitingSince, this.dispatchTimeoutS))
      return;
    await this.jobs.moves.apply({
      jobId: job.jobId,
      to: JobState.Timeout,
      from: [JobState.Scheduled],
      reason: `no live worker in pool ${pool} within ${this.dispatchTimeoutS}s`,
    });
  };

  /** Published, but no worker marked it RUNNING in time (its message was lost or no consumer took it). */
  private readonly dispatched = async (job: JobRecord): Promise<void> => {
    if (!this.overdue(job.dispatchedAt ?? job.updatedAt, this.dispatchTimeoutS)) return;
    // Queued behind busy workers (a burst on a slow LLM pool) is not lost: it waits its turn.
    if (this.dispatcher.poolSaturated(job.topic)) return;
    // The unstarted attempt counts against the budget, so the redispatch gets a new attempt number and msgId.
    if (job.attempts + 1 < maxAttempts(this.deps.timeouts, job.topic)) {
      const retry = await this.jobs.moves.apply({
        jobId: job.jobId,
        to: JobState.Scheduled,
        from: [JobState.Dispatched],
        incrementAttempts: true,
        reason: `not started by a worker within ${this.dispatchTimeoutS}s; redispatching`,
      });
      if (retry.ok) await this.dispatcher.dispatchIfLive(retry.job);
      return;
    }
    await this.jobs.moves.apply({
      jobId: job.jobId,
      to: JobState.Timeout,
      from: [JobState.Dispatched],
      reason: `not started by a worker within ${this.dispatchTimeoutS}s`,
    });
  };

  /**
   * Every attempt, plus a grace for redeliveries, has had its time since the last recorded
   * start (a redelivery re-records it): the worker is gone or stuck.
   */
  private readonly runningJob = async (job: JobRecord): Promise<void> => {
    const { timeoutSeconds, maxRetries } = timeoutFor(this.deps.timeouts, job.topic);
    const limitS = timeoutSeconds * (maxRetries + 1) + this.opts.runningGraceSeconds;
    if (!this.overdue(job.startedAt ?? job.updatedAt, limitS)) return;
    await this.jobs.moves.apply({
      jobId: job.jobId,
      to: JobState.Timeout,
      from: [JobState.Running],
      reason: `running longer than ${limitS}s`,
    });
  };
}
