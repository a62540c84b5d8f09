/** Validation and flat script arguments of MoveSteps, shared by the store adapters. */
import { CortexError, ErrorCode } from "../core/errors.js";
import { ALL_STATES, canTransition, isJobState, type JobState, REASON_REQUIRED } from "../core/states.js";
import { timestampField } from "./job-codec.js";
import type { MoveStep } from "./job-store.js";

/** ",A,B," lists of the states a move may start from, built once per (to, from) pair: every hot-path move needs one. */
const allowedFromCache = new Map<string, string>();

/** The states `to` may be entered from by the transition table, narrowed to `from` when given. */
export function allowedFromList(to: JobState, from?: readonly JobState[]): string {
  const key = from === undefined ? to : `${to}<${from.join(",")}`;
  let list = allowedFromCache.get(key);
  if (list === undefined) {
    const states = ALL_STATES.filter((s) => canTransition(s, to) && (!from || from.includes(s)));
    list = `,${states.join(",")},`;
    allowedFromCache.set(key, list);
  }
  return list;
}

/** Throws INVALID_ARGUMENT for an unknown state or a missing reason. */
export function checkSteps(jobId: string, steps: readonly MoveStep[]): void {
  for (const step of steps) {
    if (!isJobState(step.to)) {
      throw new CortexError(ErrorCode.InvalidArgument, `unknown job state "${String(step.to)}"`);
    }
    if (REASON_REQUIRED.has(step.to) && !step.reason) {
      throw new CortexError(ErrorCode.InvalidArgument, `moving job ${jobId} to ${step.to} needs a reason`);
    }
  }
}

/** Six script arguments per step: to, timestampField, reason, onlyFrom, increment, allowedFrom. */
export function stepArgs(steps: readonly MoveStep[]): (string | number)[] {
  const args: (string | number)[] = [steps.length];
  for (const s of steps) {
    args.push(
      s.to,
      timestampField(s.to),
      s.reason ?? "",
      s.onlyFrom ?? "",
      s.incrementAttempts ? 1 : 0,
      allowedFromList(s.to),
    );
  }
  return args;
}
