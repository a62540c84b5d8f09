/**
 * SubmitJob: validate, then admit inline through the jobs layer (policy, route, the record and
 * ctx in one store step, the dispatch as one durable publish), and only then answer. Once the
 * answer is sent the job is never lost.
 */

import type { Logger } from "pino";
import { clip } from "../../core/clip.js";
import { ErrorCode, isCortexError } from "../../core/errors.js";
import { newJobId, newTraceId } from "../../core/ids.js";
import { validateJobFields } from "../../core/job-validation.js";
import { PRIORITY_NAMES, parsePriority, priorityName } from "../../core/priority.js";
import { TENANT_ENV_VAR } from "../../core/tenant.js";
import { parseTraceparent } from "../../core/traceparent.js";
import { activeTraceId, inSpan, jobParent, SpanKind, tracingEnabled } from "../../core/tracing.js";
import type { SubmitJobRequest, SubmitJobResponse } from "../../gen/cortex/v1/api.js";
import type { JobPriority } from "../../gen/cortex/v1/bus.js";
import type { JobLifecycle } from "../../jobs/index.js";
import type { JobRecord, NewJob } from "../../store/job-store.js";
import { OPEN_PRINCIPAL, type Principal, scopedTenant } from "./auth.js";
import { invalidArgument } from "./grpc-errors.js";
import { namespacedJob, shownError, shownId } from "./tenant-ids.js";

export const SENDER_ID = "gateway";

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
  const jobId = req.jobId === "" ? newJobId() : req.jobId;
  const traceId = req.traceId === "" ? newTraceId() : req.traceId;
  const tenant = req.tenant || req.envVars[TENANT_ENV_VAR] || limits.defaultTenant;
  // The shared checks (also run on sys.job.submit): syntax, ranges and the size limit.
  validateJobFields(
    {
      jobId,
      traceId,
      topic: req.topic,
      tenant,
      adapterId: req.adapterId,
      parentJobId: req.parentJobId,
      workflowId: req.workflowId,
      stepIndex: req.stepIndex,
      envVars: req.envVars,
      prompt: req.prompt,
      contextJson: req.contextJson,
    },
    limits,
  );

  const context = parseContext(req.contextJson);
  if (req.prompt !== "") context.prompt = req.prompt;

  let priority: JobPriority;
  try {
    priority = parsePriority(req.priority);
  } catch (err) {
    if (isCortexError(err, ErrorCode.InvalidArgument)) {
      throw invalidArgument(
        "priority",
        `"${clip(req.priority, 80)}" is not one of ${PRIORITY_NAMES.join(", ")}`,
        err.hint,
      );
    }
    throw err;
  }

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
  jobs: JobLifecycle;
  logger: Logger;
  limits: SubmitLimits;
  /** A worker of the topic's pool is live: the job is dispatched at once rather than left SCHEDULED. */
  liveTopic(topic: string): boolean;
}

/** A key bound to a tenant submits as that tenant, wherever the request names one. */
export function scopeSubmit(req: SubmitJobRequest, principal: Principal): SubmitJobRequest {
  if (principal.tenant === undefined) return req;
  const tenant = scopedTenant(principal, req.tenant);
  scopedTenant(principal, req.envVars[TENANT_ENV_VAR] ?? "", `env_vars.${TENANT_ENV_VAR}`);
  return { ...req, tenant };
}

/**
 * Scope to the caller and validate: the job, its id and trace id, before anything is written.
 * The ids are checked as the caller gave them, then put in a bound caller's namespace.
 */
export function prepareSubmit(
  deps: SubmitDeps,
  req: SubmitJobRequest,
  principal: Principal = OPEN_PRINCIPAL,
): NewJob {
  return namespacedJob(principal, validateSubmit(scopeSubmit(req, principal), deps.limits).job);
}

/** Admits a prepared job (see prepareSubmit): once this resolves it is never lost. */
export async function enqueuePrepared(
  deps: SubmitDeps,
  job: NewJob,
  principal: Principal = OPEN_PRINCIPAL,
  retry = false,
): Promise<JobRecord> {
  let record: JobRecord;
  try {
    ({ job: record } = await deps.jobs.admission.admit(job, {
      live: deps.liveTopic(job.topic),
      onSafetyDown: "defer",
      ...(retry ? { retry } : {}),
    }));
  } catch (err) {
    throw shownError(principal, err);
  }
  // Debug, not info: a line per job cost ~20 % of the daemon's CPU per job at the default level;
  // the job's own history (`cortex job <id>`) records its submit anyway.
  deps.logger.debug({ jobId: record.jobId, traceId: record.traceId, topic: record.topic }, "job submitted");
  return record;
}

/**
 * A W3C traceparent on the request (gRPC metadata, HTTP header) is adopted: the job's trace is
 * the caller's, its submit span a child of the caller's span. A trace_id field that names
 * another trace wins, and the traceparent is ignored.
 */
export function adoptTraceparent(req: SubmitJobRequest, traceparent: string | undefined): SubmitJobRequest {
  const parent = parseTraceparent(traceparent);
  if (parent === undefined || (req.traceId !== "" && req.traceId !== parent.traceId)) return req;
  return { ...req, traceId: parent.traceId };
}

export async function submitJob(
  deps: SubmitDeps,
  req: SubmitJobRequest,
  principal: Principal = OPEN_PRINCIPAL,
  retry = false,
  traceparent = "",
): Promise<SubmitJobResponse> {
  const adopted = adoptTraceparent(req, traceparent);
  if (!tracingEnabled()) {
    const record = await enqueuePrepared(deps, prepareSubmit(deps, adopted, principal), principal, retry);
    return { jobId: shownId(principal, record.jobId), traceId: record.traceId };
  }
  // Without a trace from the caller, the submit span is a root and its trace id the job's.
  const parent = adopted.traceId === "" ? undefined : jobParent(adopted.traceId, traceparent);
  return inSpan("submit", { kind: SpanKind.SERVER, ...(parent ? { parent } : {}) }, async (span) => {
    const job = prepareSubmit(
      deps,
      adopted.traceId === "" ? { ...adopted, traceId: activeTraceId() } : adopted,
      principal,
    );
    span?.setAttributes({ "cortex.job.id": job.jobId, "cortex.job.topic": job.topic });
    const record = await enqueuePrepared(deps, job, principal, retry);
    return { jobId: shownId(principal, record.jobId), traceId: record.traceId };
  });
}

/** A prepared job's admission inside a submit span (SubmitAndWatch); just the admission when tracing is off. */
export function tracedEnqueue(
  deps: SubmitDeps,
  job: NewJob,
  principal: Principal,
  traceparent: string,
): Promise<JobRecord> {
  if (!tracingEnabled()) return enqueuePrepared(deps, job, principal);
  const attributes = { "cortex.job.id": job.jobId, "cortex.job.topic": job.topic };
  return inSpan(
    "submit",
    { kind: SpanKind.SERVER, parent: jobParent(job.traceId, traceparent), attributes },
    () => enqueuePrepared(deps, job, principal),
  );
}
