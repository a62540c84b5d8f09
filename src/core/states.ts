/** Job states and the transition table (DESIGN.md "States"). Pure. */
export const JobState = {
  Pending: "PENDING",
  /** Held by a `require_approval` policy rule until a human decides; never dispatched while here. */
  AwaitingApproval: "AWAITING_APPROVAL",
  Scheduled: "SCHEDULED",
  Dispatched: "DISPATCHED",
  Running: "RUNNING",
  Succeeded: "SUCCEEDED",
  Failed: "FAILED",
  Timeout: "TIMEOUT",
  Cancelled: "CANCELLED",
  Denied: "DENIED",
} as const;

export type JobState = (typeof JobState)[keyof typeof JobState];

export const ALL_STATES: readonly JobState[] = Object.values(JobState);

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set<JobState>([
  JobState.Succeeded,
  JobState.Failed,
  JobState.Timeout,
  JobState.Cancelled,
  JobState.Denied,
]);

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}

export function isJobState(value: string): value is JobState {
  return (ALL_STATES as readonly string[]).includes(value);
}

const S = JobState;

/**
 * Allowed moves. Every non-terminal state may go to FAILED (with a reason) and CANCELLED.
 * SCHEDULED -> SCHEDULED and DISPATCHED -> SCHEDULED are retries (redispatch, attempt+1);
 * RUNNING -> SCHEDULED is a retry after a failed attempt; RUNNING -> RUNNING is a redelivery
 * of the same job to another worker after the first one died (attempts + 1).
 * PENDING/SCHEDULED/DISPATCHED -> TIMEOUT: nothing took the job within the dispatch timeout.
 * AWAITING_APPROVAL -> SCHEDULED is an approval, -> DENIED a rejection or expiry; it never
 * times out by the dispatch timeout (a human may take a day).
 */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  PENDING: [S.AwaitingApproval, S.Scheduled, S.Denied, S.Failed, S.Cancelled, S.Timeout],
  AWAITING_APPROVAL: [S.Scheduled, S.Denied, S.Failed, S.Cancelled],
  SCHEDULED: [S.Dispatched, S.Running, S.Scheduled, S.Denied, S.Failed, S.Cancelled, S.Timeout],
  DISPATCHED: [S.Running, S.Scheduled, S.Succeeded, S.Failed, S.Cancelled, S.Timeout],
  RUNNING: [S.Running, S.Succeeded, S.Failed, S.Timeout, S.Cancelled, S.Scheduled],
  SUCCEEDED: [],
  FAILED: [],
  TIMEOUT: [],
  CANCELLED: [],
  DENIED: [],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States that must carry a reason when entered. */
export const REASON_REQUIRED: ReadonlySet<JobState> = new Set<JobState>([S.Failed, S.Denied, S.Timeout]);
