/**
 * Job progress from a running handler (LLM tokens, step notes) as JobProgress packets on
 * sys.job.progress. Core publish, fire-and-forget: progress is a live view for watchers,
 * never stored, and a lost packet costs a few characters of a preview, not the result.
 *
 * Tokens are batched so a 2,000-token answer is tens of packets, not thousands: the first
 * piece goes out at once (a watcher sees the model start), later pieces of the same kind
 * are joined and sent every `flushMs` or once `maxPieces` have queued up.
 */
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { newPacket } from "../bus/codec.js";
import { Subjects } from "../core/subjects.js";

/** What handlers call: `progress("tok")` streams a token, `progress("step 2/5", "progress")` a note. */
export type ProgressFn = (text: string, kind?: string) => void;

export const ProgressKind = {
  Token: "token",
  Progress: "progress",
} as const;

export const DEFAULT_PROGRESS_FLUSH_MS = 30;
export const DEFAULT_PROGRESS_MAX_PIECES = 64;

/** The job fields every progress packet carries, so watchers can filter like state events. */
export interface ProgressJob {
  jobId: string;
  traceId: string;
  topic: string;
  tenant: string;
  attempt: number;
  workerId: string;
}

export interface ProgressPublisherOptions {
  bus: Bus;
  job: ProgressJob;
  logger?: Logger;
  flushMs?: number;
  maxPieces?: number;
}

export class ProgressPublisher {
  private seq = 0;
  private pending: string[] = [];
  private pendingKind = "";
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private warned = false;
  private readonly flushMs: number;
  private readonly maxPieces: number;

  constructor(private readonly opts: ProgressPublisherOptions) {
    this.flushMs = opts.flushMs ?? DEFAULT_PROGRESS_FLUSH_MS;
    this.maxPieces = Math.max(1, opts.maxPieces ?? DEFAULT_PROGRESS_MAX_PIECES);
  }

  /** The function handed to handlers; calls after close() are ignored (an abandoned handler). */
  readonly push: ProgressFn = (text, kind = ProgressKind.Token) => {
    if (this.closed || text === "") return;
    if (this.pending.length > 0 && kind !== this.pendingKind) this.flush();
    // Nothing sent yet and nothing waiting: this is the first piece, send it at once.
    if (this.seq === 0 && this.pending.length === 0) {
      this.send(kind, text);
      return;
    }
    this.pending.push(text);
    this.pendingKind = kind;
    if (this.pending.length >= this.maxPieces) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  };

  /** Sends whatever is queued now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    this.send(this.pendingKind, text);
  }

  /** Flushes and stops: the attempt is over, later pushes are dropped. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  /** Packets sent so far (the last seq). */
  sent(): number {
    return this.seq;
  }

  private send(kind: string, text: string): void {
    const { job, bus } = this.opts;
    this.seq += 1;
    const packet = newPacket(
      {
        $case: "jobProgress",
        jobProgress: {
          jobId: job.jobId,
          seq: this.seq,
          kind,
          text,
          dataJson: "",
          workerId: job.workerId,
          topic: job.topic,
          traceId: job.traceId,
          tenant: job.tenant,
          attempt: job.attempt,
        },
      },
      { traceId: job.traceId, senderId: job.workerId },
    );
    bus.publish(Subjects.jobProgress, packet).catch((err: unknown) => {
      // Once per attempt: a bus outage must not flood the log with one line per token.
      if (this.warned) return;
      this.warned = true;
      this.opts.logger?.warn({ err, jobId: job.jobId }, "job progress not published");
    });
  }
}
