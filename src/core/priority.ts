/** The API's priority strings and the bus's JobPriority enum. */
import { JobPriority } from "../gen/cortex/v1/bus.js";
import { CortexError, ErrorCode } from "./errors.js";

export const PRIORITY_NAMES = ["BATCH", "INTERACTIVE", "CRITICAL"] as const;
export type PriorityName = (typeof PRIORITY_NAMES)[number];

export const DEFAULT_PRIORITY: PriorityName = "INTERACTIVE";

const TO_ENUM: Readonly<Record<PriorityName, JobPriority>> = {
  BATCH: JobPriority.JOB_PRIORITY_BATCH,
  INTERACTIVE: JobPriority.JOB_PRIORITY_INTERACTIVE,
  CRITICAL: JobPriority.JOB_PRIORITY_CRITICAL,
};

function isPriorityName(value: string): value is PriorityName {
  return (PRIORITY_NAMES as readonly string[]).includes(value);
}

/** Case-insensitive; "" means the default (INTERACTIVE). Anything else is INVALID_ARGUMENT. */
export function parsePriority(value: string): JobPriority {
  if (value === "") return TO_ENUM[DEFAULT_PRIORITY];
  const upper = value.toUpperCase();
  if (!isPriorityName(upper)) {
    throw new CortexError(ErrorCode.InvalidArgument, `invalid priority "${value}"`, {
      hint: `Use one of ${PRIORITY_NAMES.join(", ")} (or leave it empty for ${DEFAULT_PRIORITY}).`,
      details: { field: "priority", value },
    });
  }
  return TO_ENUM[upper];
}

/**
 * The API name of a bus priority. UNSPECIFIED (and values this build does not know,
 * from newer senders) read as the default, as a v1 worker would treat them.
 */
export function priorityName(priority: JobPriority): PriorityName {
  switch (priority) {
    case JobPriority.JOB_PRIORITY_BATCH:
      return "BATCH";
    case JobPriority.JOB_PRIORITY_CRITICAL:
      return "CRITICAL";
    default:
      return "INTERACTIVE";
  }
}
