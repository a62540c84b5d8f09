/**
 * HTTP query strings and bodies -> the API's request messages. Only the shape is checked
 * here (types, unknown body fields); what the values mean is checked once, by the shared
 * submit/query functions, so gRPC and HTTP reject the same inputs with the same words.
 */
import { z } from "zod";
import {
  CancelJobRequest,
  DecideApprovalRequest,
  GetJobRequest,
  type ListApprovalsRequest,
  type ListDeadLettersRequest,
  ListJobsRequest,
  SubmitJobRequest,
  WatchEventsRequest,
} from "../../../gen/cortex/v1/api.js";
import { invalidArgument } from "../grpc-errors.js";

/** The first problem as "field: what is wrong" (the gRPC API's message style). */
function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : where;
  const message = issue?.message ?? "invalid";
  throw invalidArgument(field, message.replace(/^Invalid input: /, ""));
}

const count = (name: string) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, { error: `expected a non-negative integer for ${name}` })
    .transform(Number)
    .optional();

const flag = z.enum(["true", "false", "1", "0"], { error: "expected true or false" }).optional();
const isSet = (v: string | undefined) => v === "true" || v === "1";

const text = z.string({ error: "expected a single string" }).optional();

/** `topics=a&topics=b` and `topics=a,b` both work. */
const list = z
  .union([z.string(), z.array(z.string())], { error: "expected a string or a repeated parameter" })
  .optional()
  .transform((v) =>
    (v === undefined ? [] : Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(","))
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );

// Unknown query parameters are ignored (proxies and browsers add their own).
const listJobsQuery = z.object({
  state: text,
  topic: text,
  tenant: text,
  limit: count("limit"),
  cursor: text,
  id_prefix: text,
});

export function listJobsRequest(query: unknown): ListJobsRequest {
  const q = parse(listJobsQuery, query ?? {}, "query");
  return ListJobsRequest.fromPartial({
    state: q.state ?? "",
    topic: q.topic ?? "",
    tenant: q.tenant ?? "",
    limit: q.limit ?? 0,
    cursor: q.cursor ?? "",
    idPrefix: q.id_prefix ?? "",
  });
}

const deadLettersQuery = z.object({ limit: count("limit"), cursor: text });

export function listDeadLettersRequest(query: unknown): ListDeadLettersRequest {
  const q = parse(deadLettersQuery, query ?? {}, "query");
  return { limit: q.limit ?? 0, cursor: q.cursor ?? "" };
}

const getJobQuery = z.object({ include_context: flag });

export function getJobRequest(id: string, query: unknown): { req: GetJobRequest; withContext: boolean } {
  const q = parse(getJobQuery, query ?? {}, "query");
  const withContext = isSet(q.include_context);
  return {
    req: GetJobRequest.fromPartial({
      jobId: id,
      includeResult: true,
      includeEvents: true,
      includeContext: withContext,
    }),
    withContext,
  };
}

const submitBody = z.strictObject({
  topic: z.string({ error: "expected a string" }),
  prompt: z.string().optional(),
  context: z.record(z.string(), z.unknown(), { error: "expected a JSON object" }).optional(),
  priority: z.string().optional(),
  tenant: z.string().optional(),
  job_id: z.string().optional(),
  trace_id: z.string().optional(),
  adapter_id: z.string().optional(),
  parent_job_id: z.string().optional(),
  workflow_id: z.string().optional(),
  step_index: z.int().nonnegative().optional(),
  env_vars: z.record(z.string(), z.string(), { error: "expected an object of strings" }).optional(),
});

function requireObject(body: unknown, what: string): void {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidArgument("body", `expected a JSON object${what}`, "Send Content-Type: application/json.");
  }
}

export function submitRequest(body: unknown): SubmitJobRequest {
  requireObject(body, " with at least a topic");
  const b = parse(submitBody, body, "body");
  return SubmitJobRequest.fromPartial({
    topic: b.topic,
    prompt: b.prompt ?? "",
    // Text again so the shared validation measures and checks it exactly as for gRPC.
    contextJson: b.context === undefined ? "" : JSON.stringify(b.context),
    priority: b.priority ?? "",
    tenant: b.tenant ?? "",
    jobId: b.job_id ?? "",
    traceId: b.trace_id ?? "",
    adapterId: b.adapter_id ?? "",
    parentJobId: b.parent_job_id ?? "",
    workflowId: b.workflow_id ?? "",
    stepIndex: b.step_index ?? 0,
    envVars: b.env_vars ?? {},
  });
}

const cancelBody = z.strictObject({ reason: z.string().optional() });

/** The body is optional: a bare POST cancels with the default reason. */
export function cancelRequest(id: string, body: unknown): CancelJobRequest {
  if (body === undefined || body === null) return CancelJobRequest.fromPartial({ jobId: id });
  requireObject(body, "");
  const b = parse(cancelBody, body, "body");
  return CancelJobRequest.fromPartial({ jobId: id, reason: b.reason ?? "" });
}

const approvalsQuery = z.object({ tenant: text, limit: count("limit"), cursor: text });

export function listApprovalsRequest(query: unknown): ListApprovalsRequest {
  const q = parse(approvalsQuery, query ?? {}, "query");
  return { tenant: q.tenant ?? "", limit: q.limit ?? 0, cursor: q.cursor ?? "" };
}

const decideBody = z.strictObject({ reason: z.string().optional(), content_hash: z.string().optional() });

/** The body is optional for an approval; a rejection needs its reason (checked by the shared code). */
export function decideApprovalRequest(id: string, approve: boolean, body: unknown): DecideApprovalRequest {
  if (body === undefined || body === null) return DecideApprovalRequest.fromPartial({ jobId: id, approve });
  requireObject(body, "");
  const b = parse(decideBody, body, "body");
  return DecideApprovalRequest.fromPartial({
    jobId: id,
    approve,
    reason: b.reason ?? "",
    contentHash: b.content_hash ?? "",
  });
}

const workersQuery = z.object({ pool: text });

export function workersPool(query: unknown): string {
  return parse(workersQuery, query ?? {}, "query").pool ?? "";
}

const streamQuery = z.object({
  topics: list,
  states: list,
  job_id: text,
  trace_id: text,
  tenant: text,
  backfill: count("backfill"),
  until_terminal: flag,
});

/** WebSocket /api/v1/stream filters, the WatchEvents request fields as query parameters. */
export function streamRequest(query: unknown): WatchEventsRequest {
  const q = parse(streamQuery, query ?? {}, "query");
  return WatchEventsRequest.fromPartial({
    topics: q.topics,
    states: q.states,
    jobId: q.job_id ?? "",
    traceId: q.trace_id ?? "",
    tenant: q.tenant ?? "",
    backfill: q.backfill ?? 0,
    untilTerminal: isSet(q.until_terminal),
  });
}
