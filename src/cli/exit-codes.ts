import { type CortexError, ErrorCode } from "../core/errors.js";

/** DESIGN.md exit codes: 0 ok; 1 job failed/denied/timed out; 2 usage; 3 stack not reachable. */
export const ExitCode = {
  Ok: 0,
  JobFailed: 1,
  Usage: 2,
  StackDown: 3,
} as const;

export function exitCodeFor(err: CortexError): number {
  switch (err.code) {
    case ErrorCode.StackUnreachable:
    case ErrorCode.BusUnavailable:
    case ErrorCode.StoreUnavailable:
    case ErrorCode.BusAuthFailed:
    case ErrorCode.StoreAuthFailed:
    case ErrorCode.StoreTlsFailed:
      return ExitCode.StackDown;
    case ErrorCode.InvalidArgument:
    case ErrorCode.AmbiguousJobId:
    case ErrorCode.ConfigInvalid:
    case ErrorCode.ConfigNotFound:
      return ExitCode.Usage;
    default:
      return ExitCode.JobFailed;
  }
}
