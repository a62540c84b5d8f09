/**
 * Reads that skip what cannot be decoded. One corrupt record must not fail a listing, a
 * scan or the reconciler: it is left out, counted (JobStore.stats, the
 * cortex_store_decode_failures_total metric) and logged as one line without a stack.
 */
import { ErrorCode, isCortexError } from "../core/errors.js";
import { decodeEvent } from "./job-codec.js";
import type { JobEventRecord, JobRecord } from "./job-store.js";
import type { StoreLogger } from "./redis-connection.js";

/** Job ids come from the store and may be anything; a log line stays short. */
const MAX_ID_CHARS = 128;
/** Each record is logged once (the reconciler meets it every scan); the set is bounded. */
const MAX_LOGGED = 10_000;

export class DecodeFailures {
  private count = 0;
  private readonly logged = new Set<string>();

  constructor(private readonly logger: StoreLogger | undefined) {}

  get total(): number {
    return this.count;
  }

  /** The decoded job; undefined (counted, logged) when `decode` throws DECODE_FAILED. */
  job(jobId: string, decode: () => JobRecord | undefined): JobRecord | undefined {
    try {
      return decode();
    } catch (err) {
      if (!isCortexError(err, ErrorCode.DecodeFailed)) throw err;
      this.record(jobId, String(err.details?.field ?? "record"));
      return undefined;
    }
  }

  /** The event; undefined (counted, logged) when `json` is not one. */
  event(jobId: string, json: string): JobEventRecord | undefined {
    try {
      return decodeEvent(json);
    } catch (err) {
      if (!isCortexError(err, ErrorCode.DecodeFailed)) throw err;
      this.record(jobId, "event");
      return undefined;
    }
  }

  /** The events that decode, in order; the others are counted and logged. */
  events(jobId: string, lines: readonly string[]): JobEventRecord[] {
    const out: JobEventRecord[] = [];
    for (const line of lines) {
      const event = this.event(jobId, line);
      if (event) out.push(event);
    }
    return out;
  }

  private record(jobId: string, field: string): void {
    this.count++;
    const id = jobId.slice(0, MAX_ID_CHARS);
    const key = `${id}\u0000${field}`;
    if (this.logged.has(key)) return;
    if (this.logged.size >= MAX_LOGGED) this.logged.clear();
    this.logged.add(key);
    this.logger?.warn(
      { jobId: id, field, code: ErrorCode.DecodeFailed },
      "store: skipped a job record that cannot be decoded; fix or delete it",
    );
  }
}
