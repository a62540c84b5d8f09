/**
 * How the unary client learns that a job is done, whatever carries the news: each job waits
 * for its own completion, and a completion may arrive before SubmitJob has answered with
 * its job_id, so it is kept until then. The first completion of a job wins.
 */
import { CortexError, ErrorCode } from "../src/core/errors.js";

export interface Completion {
  ok: boolean;
  /** The outcome in words, for the error when a job did not succeed. */
  detail: string;
}

export interface CompletionSource {
  /** What carries completions, reported as `completion_via`. */
  readonly via: string;
  wait(jobId: string): Promise<Completion>;
  /** Forgets completions of jobs this client did not submit (other clients' jobs). */
  endRun(): void;
  close(): Promise<void>;
}

const WAIT_MS = 60_000;

export class CompletionWaiter {
  private readonly waiting = new Map<string, { resolve(c: Completion): void; reject(e: Error): void }>();
  private readonly early = new Map<string, Completion>();

  constructor(private readonly via: string) {}

  settle(jobId: string, c: Completion): void {
    const w = this.waiting.get(jobId);
    if (w) {
      this.waiting.delete(jobId);
      w.resolve(c);
    } else if (!this.early.has(jobId)) this.early.set(jobId, c);
  }

  /** The source broke: every job still waiting fails with `err`. */
  failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  wait(jobId: string): Promise<Completion> {
    const got = this.early.get(jobId);
    if (got) {
      this.early.delete(jobId);
      return Promise.resolve(got);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(jobId);
        reject(new CortexError(ErrorCode.WaitTimeout, `no completion for ${jobId} via ${this.via}`));
      }, WAIT_MS);
      this.waiting.set(jobId, {
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  forgetEarly(): void {
    this.early.clear();
  }
}
