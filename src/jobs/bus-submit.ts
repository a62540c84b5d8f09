/**
 * The shared job validation applied to a JobRequest from sys.job.submit (the scheduler's
 * consumer, and a dead letter's retry), and the job it asks for.
 */
import { type CortexError, ErrorCode, isCortexError } from "../core/errors.js";
import { newTraceId } from "../core/ids.js";
import { invalidField, type JobLimits, validateJobFields } from "../core/job-validation.js";
import { priorityName } from "../core/priority.js";
import { TENANT_ENV_VAR } from "../core/tenant.js";
import type { JobRequest } from "../gen/cortex/v1/bus.js";
import type { NewJob } from "../store/job-store.js";

/** The first problem of a bus JobRequest, or undefined. */
export function busSubmitProblem(
  traceId: string,
  req: JobRequest,
  maxContextBytes: number,
): CortexError | undefined {
  const limits: JobLimits = { maxContextBytes, v1TraceIds: true };
  try {
    validateJobFields(
      {
        jobId: req.jobId,
        // Empty means "make one" on adoption, as for the gateway.
        traceId: traceId === "" ? newTraceId() : traceId,
        topic: req.topic,
        tenant: "", // carried in env_vars, counted there
        adapterId: req.adapterId,
        parentJobId: req.parentJobId,
        workflowId: req.workflowId,
        stepIndex: req.stepIndex,
        envVars: req.envVars,
        prompt: "",
        contextJson: req.contextJson,
      },
      limits,
    );
    // Set by the scheduler on dispatch; a sender's value is ignored, but never a negative one.
    if (req.attempt < 0) return invalidField("attempt", `${req.attempt} is out of range`, "Leave it 0.");
    if (req.timeoutMs < 0)
      return invalidField("timeout_ms", `${req.timeoutMs} is out of range`, "Use 0 or more.");
    return undefined;
  } catch (err) {
    if (isCortexError(err, ErrorCode.InvalidArgument)) return err;
    throw err;
  }
}

/** The tenant a bus request names ("" = none). */
export function busTenant(req: JobRequest): string {
  return req.envVars[TENANT_ENV_VAR] ?? "";
}

/** The job a valid bus request asks for (see busSubmitProblem), with this context. */
export function busJob(traceId: string, req: JobRequest, context: Record<string, unknown>): NewJob {
  return {
    jobId: req.jobId,
    traceId: traceId || newTraceId(),
    topic: req.topic,
    tenant: busTenant(req) || "default",
    priority: priorityName(req.priority),
    context,
    ...(req.adapterId ? { adapterId: req.adapterId } : {}),
    ...(req.parentJobId ? { parentJobId: req.parentJobId } : {}),
    ...(req.workflowId ? { workflowId: req.workflowId } : {}),
    ...(req.stepIndex ? { stepIndex: req.stepIndex } : {}),
    envVars: req.envVars,
  };
}

/** context_json as an object; INVALID_ARGUMENT when it is not one. */
export function busContext(contextJson: string): Record<string, unknown> | undefined {
  if (contextJson === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(contextJson);
  } catch {
    throw invalidField("context_json", "must be a JSON object", "The text is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalidField(
      "context_json",
      "must be a JSON object",
      'Wrap the value in an object, e.g. {"input": ...}.',
    );
  return value as Record<string, unknown>;
}
