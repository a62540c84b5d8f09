/**
 * Many SubmitAndWatch calls over one SubmitAndWatchMany stream: a client that submits jobs
 * at a high rate pays for one gRPC call instead of one per job. Each submit gets the same
 * event stream a SubmitAndWatch call would give; the shared call is opened on the first
 * submit and half-closed shortly after the last job ends, so an idle client holds nothing.
 */
import type { ClientDuplexStream } from "@grpc/grpc-js";
import { CortexError, ErrorCode, isErrorCode } from "../core/errors.js";
import { EventKind } from "../core/event-kinds.js";
import { newJobId } from "../core/ids.js";
import { isJobState, isTerminal } from "../core/states.js";
import { type JobEvent, SubmitJobRequest } from "../gen/cortex/v1/api.js";
import type { SubmitMany } from "./gateway-types.js";
import { toCortexError } from "./grpc-error.js";

/** How long the shared call stays open with no job in flight. */
const IDLE_CLOSE_MS = 200;

type ManyCall = ClientDuplexStream<SubmitJobRequest, JobEvent>;

/** One job's events, pushed by the shared call and pulled by the caller's loop. */
class JobEvents {
  private readonly queue: JobEvent[] = [];
  private error: unknown;
  private done = false;
  private wake: (() => void) | undefined;

  push(ev: JobEvent): void {
    this.queue.push(ev);
    this.notify();
  }

  finish(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.notify();
  }

  async *drain(): AsyncGenerator<JobEvent> {
    for (;;) {
      const ev = this.queue.shift();
      if (ev !== undefined) {
        yield ev;
        continue;
      }
      if (this.done) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export function createSubmitMany(open: () => ManyCall, address: string): SubmitMany {
  let call: ManyCall | undefined;
  const jobs = new Map<string, JobEvents>();
  let idleTimer: NodeJS.Timeout | undefined;

  const endCall = () => {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    call?.end();
    call = undefined;
  };

  const settle = (jobId: string, error?: unknown) => {
    jobs.get(jobId)?.finish(error);
    jobs.delete(jobId);
    if (jobs.size === 0 && call !== undefined && idleTimer === undefined) {
      idleTimer = setTimeout(endCall, IDLE_CLOSE_MS);
      idleTimer.unref();
    }
  };

  const ensureCall = (): ManyCall => {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (call !== undefined) return call;
    const c = open();
    call = c;
    c.on("data", (ev: JobEvent) => {
      const job = jobs.get(ev.jobId);
      if (job === undefined) return; // a job its caller stopped following
      if (ev.kind === EventKind.Rejected) {
        settle(ev.jobId, rejection(ev));
        return;
      }
      job.push(ev);
      if (isJobState(ev.to) && isTerminal(ev.to)) settle(ev.jobId);
    });
    // The call broke (gateway gone, UNIMPLEMENTED on an older one): every job in it fails
    // alike, and the next submit opens a new call.
    const broken = (err: unknown) => {
      if (call === c) call = undefined;
      const error = toCortexError(err, address);
      for (const id of [...jobs.keys()]) settle(id, error);
    };
    c.on("error", broken);
    c.on("end", () => {
      if (call === c) call = undefined;
      const error = new CortexError(ErrorCode.Internal, "the gateway ended SubmitAndWatchMany early", {
        hint: "Retry; if it persists, see the daemon log (`cortex logs`).",
      });
      for (const id of [...jobs.keys()]) settle(id, error);
    });
    return c;
  };

  return {
    submit(input, opts = {}) {
      const req = SubmitJobRequest.fromPartial({ ...input, jobId: input.jobId || newJobId() });
      const events = new JobEvents();
      jobs.set(req.jobId, events);
      ensureCall().write(req);
      const stop = () => settle(req.jobId);
      if (opts.signal?.aborted) stop();
      else opts.signal?.addEventListener("abort", stop, { once: true });
      let readyResolve: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => {
        readyResolve = resolve;
      });
      async function* iterate(): AsyncGenerator<JobEvent> {
        try {
          for await (const ev of events.drain()) {
            readyResolve();
            yield ev;
          }
        } finally {
          readyResolve();
          opts.signal?.removeEventListener("abort", stop);
          stop();
        }
      }
      return { ready, cancel: stop, [Symbol.asyncIterator]: iterate };
    },
    close: endCall,
  };
}

function rejection(ev: JobEvent): CortexError {
  const code = isErrorCode(ev.errorCode) ? ev.errorCode : ErrorCode.Internal;
  return new CortexError(code, ev.reason || `job ${ev.jobId} was rejected`, {
    ...(ev.hint ? { hint: ev.hint } : {}),
    details: { jobId: ev.jobId },
  });
}
