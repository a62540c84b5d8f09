/**
 * SubmitAndWatchMany: SubmitAndWatch for many jobs over one stream. A busy client (a
 * service, the benchmark) pays for one call instead of one per job; each job runs exactly as
 * a SubmitAndWatch would, and its events go out on the shared stream, interleaved.
 */
import type { Logger } from "pino";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { EventKind } from "../../core/event-kinds.js";
import type { JobEvent, SubmitJobRequest } from "../../gen/cortex/v1/api.js";
import type { Principal } from "./auth.js";
import { invalidArgument } from "./grpc-errors.js";
import { toJobEvent } from "./job-info.js";
import { ADMIT_BUDGET_BYTES } from "./stream-budget.js";
import { type SubmitAndWatchDeps, submitAndWatch } from "./submit-and-watch.js";
import type { WatchSession } from "./watch-session.js";

/** Jobs one stream may follow at once; with the byte budgets, bounds what one client holds. */
export const MAX_JOBS_PER_STREAM = 10_000;

/** The shared stream, whatever carries it. */
export interface ManySink {
  /** false = the client is behind; wait for a drain before writing more. */
  write(ev: JobEvent): boolean;
  /** Called once, at the next drain of the stream. */
  onDrain(listener: () => void): void;
  /** Every job has ended and the client sent its last request. */
  end(): void;
  /** The stream is cut off (STREAM_BEHIND): end it with this error. */
  fail?(err: unknown): void;
  /**
   * true = stop reading requests (HTTP/2 flow control then slows the client's writes);
   * false = read again.
   */
  pauseInput?(paused: boolean): void;
}

/** What a request costs to hold until its job is enqueued. */
function requestBytes(req: SubmitJobRequest): number {
  let n = req.prompt.length + req.contextJson.length;
  for (const [k, v] of Object.entries(req.envVars)) n += k.length + v.length;
  return n;
}

export interface ManyDeps extends SubmitAndWatchDeps {
  logger: Logger;
}

export class SubmitAndWatchMany {
  private readonly sessions = new Map<string, WatchSession>();
  private readonly drainListeners: (() => void)[] = [];
  private inputDone = false;
  private closed = false;
  /** Request bytes of jobs not yet enqueued. */
  private admitting = 0;
  private outputBlocked = false;
  private waitingForDrain = false;
  private inputPaused = false;

  constructor(
    private readonly deps: ManyDeps,
    private readonly principal: Principal,
    private readonly sink: ManySink,
    private readonly maxJobs = MAX_JOBS_PER_STREAM,
    private readonly admitBudget = ADMIT_BUDGET_BYTES,
  ) {}

  /** Number of jobs being followed. */
  active(): number {
    return this.sessions.size;
  }

  submit(req: SubmitJobRequest): void {
    if (this.closed) return;
    const jobId = req.jobId;
    if (jobId === "") {
      this.reject("", invalidArgument("job_id", "is required on SubmitAndWatchMany", JOB_ID_HINT));
      return;
    }
    if (this.sessions.size >= this.maxJobs) {
      this.reject(
        jobId,
        new CortexError(ErrorCode.TooManyInFlight, `this stream already follows ${this.maxJobs} jobs`, {
          hint: "Wait for some of its jobs to end before submitting more, or open another stream.",
          details: { jobId },
        }),
      );
      return;
    }
    if (this.sessions.has(jobId)) {
      this.reject(jobId, invalidArgument("job_id", `${jobId} is already being followed on this stream`));
      return;
    }
    let cost = requestBytes(req);
    const admitted = () => {
      this.admitting -= cost;
      cost = 0;
      this.updateInput();
    };
    const done = () => {
      admitted();
      this.sessions.delete(jobId);
      this.endIfDone();
    };
    this.admitting += cost;
    try {
      const session = submitAndWatch(this.deps, req, this.principal, {
        write: (ev) => this.write(ev),
        onDrain: (listener) => this.waitForDrain(listener),
        ready: admitted,
        end: done,
        fail: (err) => {
          this.reject(jobId, err);
          done();
        },
      });
      this.sessions.set(jobId, session);
    } catch (err) {
      admitted();
      this.reject(jobId, err);
    }
    this.updateInput();
  }

  /** Ends the stream with err (its client is too far behind); every watch stops. */
  cutOff(err: unknown): void {
    if (this.closed) return;
    this.close();
    this.sink.fail?.(err);
  }

  /** The client sent its last request: the stream ends once every job has. */
  endOfInput(): void {
    this.inputDone = true;
    this.endIfDone();
  }

  /** The client went away: stop every watch. */
  close(): void {
    this.closed = true;
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
    this.drainListeners.length = 0;
  }

  private write(ev: JobEvent): boolean {
    const ok = this.sink.write(ev);
    if (!ok) {
      this.outputBlocked = true;
      this.armDrain();
      this.updateInput();
    }
    return ok;
  }

  private waitForDrain(listener: () => void): void {
    this.drainListeners.push(listener);
    this.armDrain();
  }

  private armDrain(): void {
    if (this.waitingForDrain || this.closed) return;
    this.waitingForDrain = true;
    this.sink.onDrain(() => {
      this.waitingForDrain = false;
      this.outputBlocked = false;
      // Watchers paused on a full stream all resume at its drain.
      for (const l of this.drainListeners.splice(0)) l();
      this.updateInput();
    });
  }

  /** Reads requests only while the client reads its events and admissions keep up. */
  private updateInput(): void {
    if (this.closed) return;
    const pause = this.outputBlocked || this.admitting > this.admitBudget;
    if (pause === this.inputPaused) return;
    this.inputPaused = pause;
    this.sink.pauseInput?.(pause);
  }

  private endIfDone(): void {
    if (this.inputDone && this.sessions.size === 0 && !this.closed) {
      this.closed = true;
      this.sink.end();
    }
  }

  private reject(jobId: string, err: unknown): void {
    if (this.closed) return;
    const known = err instanceof CortexError;
    if (!known) this.deps.logger.error({ err, jobId }, "SubmitAndWatchMany: a job could not be submitted");
    this.sink.write(rejectedEvent(jobId, err));
  }
}

const JOB_ID_HINT = "Give every request its own job_id; the job's events carry it back.";

export function rejectedEvent(jobId: string, err: unknown): JobEvent {
  const known = err instanceof CortexError ? err : undefined;
  return {
    ...toJobEvent({ seq: 0, at: Date.now(), kind: EventKind.Rejected, jobId }),
    reason: known?.message ?? "internal error",
    errorCode: known?.code ?? ErrorCode.Internal,
    hint: known?.hint ?? "",
  };
}
