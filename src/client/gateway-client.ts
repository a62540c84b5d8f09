/**
 * Typed client of the gateway's CortexApi, shared by the CLI commands and the TUI. It
 * never imports daemon code, and nothing connects until the first call (grpc-js channels
 * are lazy), so commands can import it cheaply. Every failure is a CortexError.
 */
import {
  type CallOptions,
  type ClientReadableStream,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { API_KEY_METADATA, SUBMIT_ATTEMPT_METADATA } from "../core/grpc-metadata.js";
import {
  CancelJobRequest,
  CortexApiClient,
  DecideApprovalRequest,
  GetJobRequest,
  type JobEvent,
  ListApprovalsRequest,
  ListDeadLettersRequest,
  ListJobsRequest,
  SubmitJobRequest,
  WatchEventsRequest,
} from "../gen/cortex/v1/api.js";
import type { EventStream, GatewayClient } from "./gateway-types.js";
import { isServiceError, toCortexError } from "./grpc-error.js";
import { createSubmitMany } from "./submit-many.js";
import { type SubmitRetryOptions, submitWithRetry } from "./submit-retry.js";

export type {
  DecideApprovalInput,
  EventStream,
  GatewayClient,
  GetJobOptions,
  ListApprovalsInput,
  ListDeadLettersInput,
  ListJobsInput,
  SubmitJobInput,
  SubmitMany,
  WatchEventsInput,
  WatchOptions,
} from "./gateway-types.js";
export { type SubmitAndWaitOptions, submitAndWait } from "./submit-and-wait.js";
export { type WaitForJobOptions, type WaitForJobResult, waitForJob } from "./wait-for-job.js";

export const GATEWAY_ADDR_ENV = "CORTEX_GATEWAY_ADDR";
export const DEFAULT_GATEWAY_ADDR = "127.0.0.1:8080";
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** Results (GetJob include_result) may be large LLM outputs. */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

export interface GatewayClientOptions {
  /** host:port; default $CORTEX_GATEWAY_ADDR or 127.0.0.1:8080. */
  address?: string;
  /** Sent as `x-api-key`; default $CORTEX_API_KEY, else $API_KEY (the daemon's own key). */
  apiKey?: string;
  /** Deadline of each unary call. */
  timeoutMs?: number;
  /** How SubmitJob retries UNAVAILABLE / DEADLINE_EXCEEDED; `{ attempts: 1 }` turns it off. */
  submitRetry?: SubmitRetryOptions;
}

type Callback<Res> = (err: ServiceError | null, res: Res) => void;

export function createGatewayClient(opts: GatewayClientOptions = {}): GatewayClient {
  const address = opts.address || process.env[GATEWAY_ADDR_ENV] || DEFAULT_GATEWAY_ADDR;
  const apiKey = opts.apiKey ?? (process.env.CORTEX_API_KEY || process.env.API_KEY);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const raw = new CortexApiClient(address, credentials.createInsecure(), {
    "grpc.max_receive_message_length": MAX_RECEIVE_BYTES,
  });

  const metadata = (): Metadata => {
    const md = new Metadata();
    if (apiKey) md.set(API_KEY_METADATA, apiKey);
    return md;
  };

  const unary = <Res>(
    invoke: (md: Metadata, o: Partial<CallOptions>, cb: Callback<Res>) => void,
  ): Promise<Res> =>
    new Promise<Res>((resolve, reject) => {
      invoke(metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(toCortexError(err, address)) : resolve(res),
      );
    });

  return {
    address,
    // retried with client-made ids: see submit-retry.ts
    submitJob: (req) =>
      submitWithRetry(
        (r, attempt) =>
          unary((md, o, cb) => {
            if (attempt > 1) md.set(SUBMIT_ATTEMPT_METADATA, String(attempt));
            raw.submitJob(SubmitJobRequest.fromPartial(r), md, o, cb);
          }),
        req,
        opts.submitRetry,
      ),
    getJobStatus: (jobId) => unary((md, o, cb) => raw.getJobStatus({ jobId }, md, o, cb)),
    getJob: (jobId, g = {}) =>
      unary((md, o, cb) => raw.getJob(GetJobRequest.fromPartial({ jobId, ...g }), md, o, cb)),
    listJobs: (query = {}) =>
      unary((md, o, cb) => raw.listJobs(ListJobsRequest.fromPartial(query), md, o, cb)),
    cancelJob: (jobId, reason = "") =>
      unary((md, o, cb) => raw.cancelJob(CancelJobRequest.fromPartial({ jobId, reason }), md, o, cb)),
    listWorkers: (pool = "") => unary((md, o, cb) => raw.listWorkers({ pool }, md, o, cb)),
    getStatus: () => unary((md, o, cb) => raw.getStatus({}, md, o, cb)),
    listDeadLetters: (query = {}) =>
      unary((md, o, cb) => raw.listDeadLetters(ListDeadLettersRequest.fromPartial(query), md, o, cb)),
    retryDeadLetter: (id) => unary((md, o, cb) => raw.retryDeadLetter({ id }, md, o, cb)),
    // approvals (issue 17)
    listApprovals: (query = {}) =>
      unary((md, o, cb) => raw.listApprovals(ListApprovalsRequest.fromPartial(query), md, o, cb)),
    decideApproval: (input) =>
      unary((md, o, cb) => raw.decideApproval(DecideApprovalRequest.fromPartial(input), md, o, cb)),
    explainPolicy: ({ topic, tenant = "" }) =>
      unary((md, o, cb) => raw.explainPolicy({ topic, tenant }, md, o, cb)),
    watchEvents: (req = {}, w = {}) =>
      eventStream(raw.watchEvents(WatchEventsRequest.fromPartial(req), metadata()), address, w.signal),
    submitAndWatch: (req, w = {}) =>
      eventStream(raw.submitAndWatch(SubmitJobRequest.fromPartial(req), metadata()), address, w.signal),
    submitMany: () => createSubmitMany(() => raw.submitAndWatchMany(metadata()), address),
    close: () => raw.close(),
  };
}

function eventStream(
  call: ClientReadableStream<JobEvent>,
  address: string,
  signal?: AbortSignal,
): EventStream {
  let cancelled = false;
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    call.cancel();
  };
  if (signal?.aborted) cancel();
  else signal?.addEventListener("abort", cancel, { once: true });

  const ready = new Promise<void>((resolve, reject) => {
    call.once("metadata", () => resolve());
    call.once("error", (err) => reject(toCortexError(err, address)));
    call.once("end", () => resolve());
  });
  // Callers that never look at `ready` must not see an unhandled rejection.
  ready.catch(() => undefined);

  async function* events(): AsyncGenerator<JobEvent> {
    try {
      for await (const ev of call) yield ev as JobEvent;
    } catch (err) {
      if (cancelled && isServiceError(err) && err.code === status.CANCELLED) return;
      throw toCortexError(err, address);
    } finally {
      cancel();
      signal?.removeEventListener("abort", cancel);
    }
  }

  return { ready, cancel, [Symbol.asyncIterator]: events };
}
