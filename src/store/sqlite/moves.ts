/**
 * State moves on a job row, in memory: the store checks them, applies them to a copy of the
 * row and writes the row and the events back in the same transaction.
 */
import { CortexError, ErrorCode } from "../../core/errors.js";
import { canTransition, isJobState, isTerminal, type JobState, REASON_REQUIRED } from "../../core/states.js";
import { timestampField } from "../job-codec.js";
import type { MoveStep, TransitionRequest } from "../job-store.js";
import type { JobRow } from "./job-row.js";

export interface Move {
  to: JobState;
  reason?: string;
  workerId?: string;
  incrementAttempts?: boolean;
}

/** A state event as stored, before the store gives it its seq. */
export interface StateEventBody {
  at: number;
  kind: "state";
  jobId: string;
  traceId: string;
  topic: string;
  tenant: string;
  from?: JobState;
  to: JobState;
  attempt: number;
  workerId?: string;
  reason?: string;
}

export function invalid(message: string): CortexError {
  return new CortexError(ErrorCode.InvalidArgument, message);
}

export function rowState(row: JobRow): JobState {
  if (!isJobState(row.state)) {
    throw new CortexError(ErrorCode.DecodeFailed, `job record ${row.job_id} has an invalid state`, {
      hint: "The store file was changed outside cortex; move it aside and run cortex up again.",
      details: { jobId: row.job_id, state: row.state },
    });
  }
  return row.state;
}

/** INVALID_ARGUMENT for an unknown state or a missing reason: a caller's bug, checked before any write. */
export function checkSteps(jobId: string, steps: readonly MoveStep[]): void {
  for (const s of steps) {
    if (!isJobState(s.to)) throw invalid(`unknown job state "${String(s.to)}"`);
    if (s.onlyFrom !== undefined && !isJobState(s.onlyFrom)) {
      throw invalid(`unknown job state "${String(s.onlyFrom)}"`);
    }
    if (REASON_REQUIRED.has(s.to) && !s.reason)
      throw invalid(`moving job ${jobId} to ${s.to} needs a reason`);
  }
}

export type StepPlan =
  | { ok: true; moves: Move[]; state: JobState; attempts: number }
  /** A step the table does not allow from the state at that point. */
  | { ok: false; at: JobState; to: JobState };

/** The steps taken from `state` (an `onlyFrom` step is skipped elsewhere), checked against the table. */
export function planSteps(state: JobState, attempts: number, steps: readonly MoveStep[]): StepPlan {
  const moves: Move[] = [];
  let at = state;
  let n = attempts;
  for (const s of steps) {
    if (s.onlyFrom !== undefined && s.onlyFrom !== at) continue;
    if (!canTransition(at, s.to)) return { ok: false, at, to: s.to };
    const move: Move = { to: s.to };
    if (s.reason) move.reason = s.reason;
    if (s.incrementAttempts) {
      move.incrementAttempts = true;
      n += 1;
    }
    moves.push(move);
    at = s.to;
  }
  return { ok: true, moves, state: at, attempts: n };
}

/**
 * The row after `moves` (not checked here) and one event per move. A terminal end state
 * sets the retention expiry.
 */
export function applyMoves(
  row: JobRow,
  moves: readonly Move[],
  now: number,
  retentionMs: number,
): { row: JobRow; events: StateEventBody[] } {
  const next = { ...row };
  const events: StateEventBody[] = [];
  for (const m of moves) {
    const from = rowState(next);
    if (m.incrementAttempts) next.attempts += 1;
    if (m.workerId) next.worker_id = m.workerId;
    if (m.reason) next.reason = m.reason;
    next.state = m.to;
    const field = timestampField(m.to);
    if (field) (next as unknown as Record<string, number>)[field] = now;
    const event: StateEventBody = {
      at: now,
      kind: "state",
      jobId: next.job_id,
      traceId: next.trace_id,
      topic: next.topic,
      tenant: next.tenant,
      from,
      to: m.to,
      attempt: next.attempts,
    };
    if (next.worker_id) event.workerId = next.worker_id;
    if (m.reason) event.reason = m.reason;
    events.push(event);
  }
  if (moves.length > 0) next.updated_at = now;
  if (isTerminal(rowState(next)) && next.expires_at === null) next.expires_at = now + retentionMs;
  return { row: next, events };
}

/** The event of a new job entering PENDING. */
export function pendingEvent(row: JobRow, now: number): StateEventBody {
  return {
    at: now,
    kind: "state",
    jobId: row.job_id,
    traceId: row.trace_id,
    topic: row.topic,
    tenant: row.tenant,
    to: "PENDING",
    attempt: 0,
  };
}

/** A transition's one or two moves; INVALID_ARGUMENT when they cannot be valid from any state. */
export function transitionMoves(req: TransitionRequest): Move[] {
  const { jobId, to, andThen: then } = req;
  if (!isJobState(to)) throw invalid(`unknown job state "${String(to)}"`);
  if (REASON_REQUIRED.has(to) && !req.reason) throw invalid(`moving job ${jobId} to ${to} needs a reason`);
  if (then !== undefined && !(isJobState(then) && canTransition(to, then) && !REASON_REQUIRED.has(then))) {
    throw invalid(`job ${jobId} cannot move on from ${to} to ${String(then)} in the same step`);
  }
  const first: Move = { to };
  if (req.reason) first.reason = req.reason;
  if (req.workerId) first.workerId = req.workerId;
  if (req.incrementAttempts) first.incrementAttempts = true;
  return then === undefined ? [first] : [first, { to: then }];
}
