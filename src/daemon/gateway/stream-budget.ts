/**
 * Byte budgets for event streams. A client that stops reading must cost the gateway a bounded
 * number of bytes, whatever the size or count of its events: past the soft budget writers are
 * told to wait (write() returns false), past the hard limit the stream is cut off with
 * STREAM_BEHIND (gRPC RESOURCE_EXHAUSTED).
 */
import { CortexError, ErrorCode } from "../../core/errors.js";
import type { JobEvent } from "../../gen/cortex/v1/api.js";

/** Bytes a stream may have handed to its transport, unsent, before writers wait. */
export const STREAM_SOFT_BYTES = 1024 * 1024;
/** Bytes a stream may hold in all (unsent + queued in its watchers) before it is cut off. */
export const STREAM_HARD_BYTES = 32 * 1024 * 1024;
/** Bytes one watcher may queue; past it events are counted into its "dropped" marker. */
export const WATCHER_QUEUE_BYTES = 4 * 1024 * 1024;
/** Request bytes (prompts, contexts) one SubmitAndWatchMany stream may be admitting at once. */
export const ADMIT_BUDGET_BYTES = 8 * 1024 * 1024;

/** Fixed cost of an event besides its strings (protobuf framing, object overhead). */
const EVENT_OVERHEAD = 128;

/** An estimate of what an event costs to hold: its strings, one byte per UTF-16 unit. */
export function eventBytes(ev: JobEvent): number {
  return (
    EVENT_OVERHEAD +
    ev.kind.length +
    ev.jobId.length +
    ev.traceId.length +
    ev.topic.length +
    ev.from.length +
    ev.to.length +
    ev.workerId.length +
    ev.reason.length +
    ev.tenant.length +
    ev.text.length +
    ev.resultJson.length +
    ev.errorCode.length +
    ev.hint.length
  );
}

export function streamBehind(heldBytes: number): CortexError {
  return new CortexError(
    ErrorCode.StreamBehind,
    `the client read its stream too slowly: ${heldBytes} bytes of events were waiting for it`,
    {
      hint: "Read the stream as fast as events arrive (or open fewer jobs per stream); the jobs keep running, read their results with GetJob.",
      details: { heldBytes },
    },
  );
}

/** Bytes a stream holds, shared by everything that writes to it. */
export class ByteBudget {
  private held = 0;
  private tripped = false;

  constructor(
    private readonly hardBytes: number,
    /** Called once, when the hard limit is first passed. */
    private readonly onExceeded: (heldBytes: number) => void,
  ) {}

  add(n: number): void {
    this.held += n;
    if (!this.tripped && this.held > this.hardBytes) {
      this.tripped = true;
      this.onExceeded(this.held);
    }
  }

  release(n: number): void {
    this.held = Math.max(0, this.held - n);
  }

  bytes(): number {
    return this.held;
  }

  exceeded(): boolean {
    return this.tripped;
  }
}

/** What a stream writes to: a gRPC call (write(msg, cb) with 'drain'). */
export interface RawStream {
  write(ev: JobEvent, cb: () => void): boolean;
  once(event: "drain", listener: () => void): unknown;
}

/**
 * Counts the bytes handed to a transport until it reports them sent (the write callback):
 * with HTTP/2 flow control, a client that does not read never lets them go.
 */
export class BudgetedWriter {
  private unsent = 0;
  private waiters: (() => void)[] = [];
  private transportFull = false;

  constructor(
    private readonly raw: RawStream,
    private readonly budget: ByteBudget,
    private readonly softBytes = STREAM_SOFT_BYTES,
  ) {}

  /** false = wait for onDrain before writing more. */
  write(ev: JobEvent): boolean {
    if (this.budget.exceeded()) return false;
    const n = eventBytes(ev);
    this.unsent += n;
    this.budget.add(n);
    const ok = this.raw.write(ev, () => {
      this.unsent -= n;
      this.budget.release(n);
      this.maybeDrain();
    });
    if (!ok && !this.transportFull) {
      this.transportFull = true;
      this.raw.once("drain", () => {
        this.transportFull = false;
        this.maybeDrain();
      });
    }
    return ok && this.unsent < this.softBytes;
  }

  onDrain(listener: () => void): void {
    this.waiters.push(listener);
  }

  /** Writers wait while either the transport or the byte budget is full. */
  full(): boolean {
    return this.transportFull || this.unsent >= this.softBytes / 2;
  }

  private maybeDrain(): void {
    if (this.waiters.length === 0 || this.full() || this.budget.exceeded()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
