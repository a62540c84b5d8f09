/**
 * Submits on sys.job.submit that can never be admitted (bad id, wildcard topic, out of range,
 * too large) become dead letters once (kept in the store, published on sys.job.dlq, see
 * src/jobs/dead-letters.ts) and are then terminated: retrying them cannot help.
 */
import type { CortexError } from "../../core/errors.js";
import type { BusPacket } from "../../gen/cortex/v1/bus.js";
import { deadLetter, type JobLifecycle } from "../../jobs/index.js";

export { busSubmitProblem } from "../../jobs/index.js";

/** Throws (-> the submit is retried) only when the store or the bus is down. */
export async function recordDeadLetter(
  jobs: JobLifecycle,
  packet: BusPacket,
  subject: string,
  problem: CortexError,
  at: number,
): Promise<void> {
  await jobs.deadLetters.record(deadLetter(packet, subject, problem, at));
}
