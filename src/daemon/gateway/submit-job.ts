/**
 * SubmitJob: validate, write the job (PENDING) and ctx, publish `sys.job.submit`, and only
 * then answer. Once the answer is sent the job is never lost: the submit stream holds it
 * until the scheduler acks it.
 */
import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import { newPacket } from "../../bus/codec.js";
import { ErrorCode, isCortexError } from "../../core/errors.js";
import { isValidJobId, isValidTraceId, newJobId, newTraceId } from "../../core/ids.js";
import { PRIORITY_NAMES, parsePriority, priorityName } from "../../core/priority.js";
import { JobState } from "../../core/states.js";
import { isValidTopic, Subjects } from "../../core/subjects.js";
import type { SubmitJobRequest, SubmitJobResponse } from "../../gen/cortex/v1/api.js";
import type { JobPriority } from "../../gen/cortex/v1/bus.js";
import type { JobStore, NewJob } from "../../store/job-store.js";
import { invalidArgument } from "./grpc-errors.js";

export const SENDER_ID = "gateway";
/** v1 clients carry the tenant in env_vars; cortex keeps it there for workers too. */
export const TENANT_ENV_VAR = "tenant_id";

export interface SubmitLimits {
  maxContextBytes: number;
  defaultTenant: string;
}

export interface ValidatedSubmit {
  job: NewJob;
  priority: JobPriority;
}

/** Pure: every rejection is INVALID_ARGUMENT with a message that starts with the field. */
export function validateSubmit(req: SubmitJobRequest, limits: SubmitLimits): ValidatedSubmit {
  if (req.topic === "")
    throw invalidArgument("topic", "must not be empty", "Pass a job topic such as job.echo.");
  if (!isValidTopic(req.topic)) {
    throw invalidArgument(
      "topic",
      `"${req.topic}" is not a valid topic`,
      "Use dot-separated tokens of letters, digits, _ and - (no wildcards), e.g. job.chat.simple.",
    );
  }

  // Size first: a 50 MiB payload should be refused before it is parsed.
  const size = Buffer.byteLength(req.prompt, "utf8") + Buffer.byteLength(req.contextJson, "utf8");
  if (size > limits.maxContextBytes) {
    throw invalidArgument(
      req.contextJson === "" ? "prompt" : "context_json",
      `prompt + context is ${size} bytes, over the limit of ${limits.maxContextBytes} bytes`,
      "Send a smaller input, or raise CORTEX_MAX_CONTEXT_BYTES on the daemon.",
    );
  }

  const context = parseContext(req.contextJson);
  if (req.prompt !== "") context.prompt = req.prompt;

  let priority: JobPriority;
  try {
    priority = parsePriority(req.priority);
  } catch (err) {
    if (isCortexError(err, ErrorCode.InvalidArgument)) {
      throw invalidArgument(
        "priority",
        `"${req.priority}" is not one of ${PRIORITY_NAMES.join(", ")}`,
        err.hint,
      );
    }
    throw err;
  }

  const jobId = req.jobId === "" ? newJobId() : req.jobId;
  if (!isValidJobId(jobId)) {
    throw invalidArgument(
      "job_id",
      `"${req.jobId}" is not a valid job id`,
      "Use 1-128 letters, digits, _ or - starting with a letter or digit, or leave it empty.",
    );
  }
  if (req.parentJobId !== "" && !isValidJobId(req.parentJobId)) {
    throw invalidArgument("parent_job_id", `"${req.parentJobId}" is not a valid job id`);
  }
  const traceId = req.traceId === "" ? newTraceId() : req.traceId;
  if (!isValidTraceId(traceId)) {
    throw invalidArgument(
      "trace_id",
      `"${req.traceId}" is not a valid trace id`,
      "Use 32 lowercase hex digits (W3C trace-context), or leave it empty.",
    );
  }

  const tenant = req.tenant || req.envVars[TENANT_ENV_VAR] || limits.defaultTenant;
  const job: NewJob = {
    jobId,
    traceId,
    topic: req.topic,
    tenant,
    priority: priorityName(priority),
    context,
    envVars: { ...req.envVars, [TENANT_ENV_VAR]: tenant },
  };
  if (req.adapterId !== "") job.adapterId = req.adapterId;
  if (req.parentJobId !== "") job.parentJobId = req.parentJobId;
  if (req.workflowId !== "") job.workflowId = req.workflowId;
  if (req.workflowId !== "" || req.parentJobId !== "" || req.stepIndex !== 0) job.stepIndex = req.stepIndex;
  return { job, priority };
}

function parseContext(json: string): Record<string, unknown> {
  if (json === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw invalidArgument("context_json", "must be a JSON object", "The text is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(
      "context_json",
      "must be a JSON object",
      'Wrap the value in an object, e.g. {"input": ...}.',
    );
  }
  return value as Record<string, unknown>;
}

export interface SubmitDeps {
  bus: Bus;
  store: JobStore;
  logger: Logger;
  limits: SubmitLimits;
}

export async function submitJob(deps: SubmitDeps, req: SubmitJobRequest): Promise<SubmitJobResponse> {
  const { job, priority } = validateSubmit(req, deps.limits);
  const record = await deps.store.createJob(job);
  const packet = newPacket(
    {
      $case: "jobRequest",
      jobRequest: {
        jobId: record.jobId,
        topic: record.topic,
        priority,
        contextPtr: record.contextPtr,
        adapterId: job.adapterId ?? "",
        envVars: job.envVars ?? {},
        parentJobId: job.parentJobId ?? "",
        workflowId: job.workflowId ?? "",
        stepIndex: job.stepIndex ?? 0,
        attempt: 0,
        timeoutMs: 0,
      },
    },
    { traceId: record.traceId, senderId: SENDER_ID },
  );
  try {
    await deps.bus.publishDurable(Subjects.jobSubmit, packet, { msgId: record.jobId });
  } catch (err) {
    await failUnqueued(deps, record.jobId, err);
    throw err;
  }
  deps.logger.info({ jobId: record.jobId, traceId: record.traceId, topic: record.topic }, "job submitted");
  return { jobId: record.jobId, traceId: record.traceId };
}

/**
 * The client is told the submit failed, so the stored job must not look accepted: mark it
 * FAILED (best effort) rather than leave it PENDING forever. If the publish did reach the
 * stream after all, the scheduler finds a terminal job and skips it.
 */
async function failUnqueued(deps: SubmitDeps, jobId: string, cause: unknown): Promise<void> {
  try {
    await deps.store.transition({
      jobId,
      to: JobState.Failed,
      from: [JobState.Pending],
      reason: "not queued: the bus was unavailable at submit",
    });
  } catch (err) {
    deps.logger.warn({ jobId, err, cause }, "could not mark an unqueued job FAILED");
  }
}
