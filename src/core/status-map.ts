/** JobStatus on the bus (JobResult.status) <-> the terminal JobState in the store. */
import { JobStatus } from "../gen/cortex/v1/bus.js";
import { CortexError, ErrorCode } from "./errors.js";
import { JobState } from "./states.js";

export type ResultState =
  | typeof JobState.Succeeded
  | typeof JobState.Failed
  | typeof JobState.Timeout
  | typeof JobState.Denied
  | typeof JobState.Cancelled;

const STATUS_TO_STATE: ReadonlyMap<JobStatus, ResultState> = new Map<JobStatus, ResultState>([
  [JobStatus.JOB_STATUS_COMPLETED, JobState.Succeeded],
  [JobStatus.JOB_STATUS_FAILED, JobState.Failed],
  [JobStatus.JOB_STATUS_TIMEOUT, JobState.Timeout],
  [JobStatus.JOB_STATUS_DENIED, JobState.Denied],
  [JobStatus.JOB_STATUS_CANCELLED, JobState.Cancelled],
]);

const STATE_TO_STATUS: ReadonlyMap<JobState, JobStatus> = new Map(
  [...STATUS_TO_STATE].map(([status, state]) => [state, status]),
);

/** The terminal state a result's status leads to; UNSPECIFIED or unknown is DECODE_FAILED. */
export function stateFromJobStatus(status: JobStatus): ResultState {
  const state = STATUS_TO_STATE.get(status);
  if (state === undefined) {
    throw new CortexError(ErrorCode.DecodeFailed, `job result has no usable status (${status})`, {
      hint: "The worker must set JobResult.status to COMPLETED, FAILED, TIMEOUT, DENIED or CANCELLED.",
      details: { field: "status", value: status },
    });
  }
  return state;
}

/** The bus status that reports `state`; only terminal states have one. */
export function jobStatusFromState(state: JobState): JobStatus {
  const status = STATE_TO_STATUS.get(state);
  if (status === undefined) {
    throw new CortexError(
      ErrorCode.InvalidArgument,
      `job state ${state} is not terminal and has no result status`,
      {
        hint: "Only SUCCEEDED, FAILED, TIMEOUT, DENIED and CANCELLED map to a JobResult status.",
        details: { field: "state", value: state },
      },
    );
  }
  return status;
}
