/** Checks WorkQueueOptions once, the same way for every Bus adapter. */
import { CortexError, ErrorCode } from "../core/errors.js";
import type { WorkQueueOptions } from "./bus.js";

export function validateWorkQueueOptions(opts: WorkQueueOptions): void {
  const bad = (what: string) =>
    new CortexError(ErrorCode.InvalidArgument, `invalid work queue options for ${opts.consumer}: ${what}`, {
      hint: "maxInFlight must be an integer >= 1, ackWaitMs > 0 and maxDeliver -1 or >= 1.",
    });
  if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1)
    throw bad(`maxInFlight=${opts.maxInFlight}`);
  if (!(opts.ackWaitMs > 0)) throw bad(`ackWaitMs=${opts.ackWaitMs}`);
  if (!Number.isInteger(opts.maxDeliver) || opts.maxDeliver === 0 || opts.maxDeliver < -1) {
    throw bad(`maxDeliver=${opts.maxDeliver}`);
  }
}
