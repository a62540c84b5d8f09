/**
 * Checks a job's context against a handler's zod schema. A bad context is the caller's
 * mistake, so it fails the job with INVALID_ARGUMENT naming the field, and never reaches
 * the model.
 */
import type { z } from "zod";
import { CortexError, ErrorCode } from "../core/errors.js";
import type { JobInput } from "./handler.js";

export function parseJobContext<T>(schema: z.ZodType<T>, job: JobInput, example: string): T {
  const parsed = schema.safeParse(job.context);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join(".") || "context";
  const missing = issue?.code === "invalid_type" && job.context[field] === undefined;
  const problem = missing
    ? `has no "${field}"`
    : `has an invalid "${field}": ${issue?.message ?? "unexpected value"}`;
  throw new CortexError(ErrorCode.InvalidArgument, `job ${job.jobId}: the context ${problem}`, {
    hint: `Give the job a context like ${example}.`,
    details: { field },
  });
}
