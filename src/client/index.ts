/**
 * The package's public entry (`import { … } from "cortex"`): a small facade over the gateway
 * client that keeps its shape stable while src/client's internals change. Only what is
 * exported here is reachable from outside; package.json `exports` blocks deep imports.
 */

import type { PolicyExplanation } from "../core/policy.js";
import { explanationFromWire } from "../core/policy-wire.js";
import type {
  CancelJobResponse,
  DecideApprovalResponse,
  GetJobResponse,
  ListApprovalsResponse,
  ListJobsResponse,
  SubmitJobResponse,
} from "../gen/cortex/v1/api.js";
import { createGatewayClient, type GatewayClient } from "./gateway-client.js";
import type {
  DecideApprovalInput,
  EventStream,
  GetJobOptions,
  ListApprovalsInput,
  ListJobsInput,
  SubmitJobInput,
  WatchEventsInput,
} from "./gateway-types.js";
import { type SubmitAndWaitOptions, submitAndWait as submitAndWaitWith } from "./submit-and-wait.js";
import type { SubmitRetryOptions } from "./submit-retry.js";
import type { WaitForJobResult } from "./wait-for-job.js";

export { CortexError, ErrorCode, isCortexError } from "../core/errors.js";
export type { PolicyExplanation } from "../core/policy.js";
export type {
  ApprovalInfo,
  ApprovalItem,
  CancelJobResponse,
  DecideApprovalResponse,
  GetJobResponse,
  JobEvent,
  JobInfo,
  ListApprovalsResponse,
  ListJobsResponse,
  SubmitJobResponse,
} from "../gen/cortex/v1/api.js";
export type {
  DecideApprovalInput,
  EventStream,
  GetJobOptions,
  ListApprovalsInput,
  ListJobsInput,
  SubmitJobInput,
  SubmitRetryOptions,
  WaitForJobResult,
  WatchEventsInput,
};

export interface ClientOptions {
  /** host:port of the gateway's gRPC API; default as the CLI: $CORTEX_GATEWAY_ADDR, else 127.0.0.1:$CORTEX_GRPC_PORT (8080). */
  address?: string;
  /** Sent as `x-api-key`; default $CORTEX_API_KEY (as the CLI), else $API_KEY. */
  apiKey?: string;
  /** Deadline of each unary call; default 10 s. */
  timeoutMs?: number;
  /** How submits retry UNAVAILABLE / DEADLINE_EXCEEDED (with the same job id); `{ attempts: 1 }` turns it off. */
  submitRetry?: SubmitRetryOptions;
}

/** submitAndWait's options; `many` is the client's own business (see submitMany). */
export type WaitOptions = Omit<SubmitAndWaitOptions, "many">;

export interface CortexClient {
  readonly address: string;
  /** Submits a job and returns its ids once the gateway accepted it. */
  submit(req: SubmitJobInput): Promise<SubmitJobResponse>;
  /** Submits a job and resolves at its end (SUCCEEDED, FAILED, …) with its info and parsed result. */
  submitAndWait(req: SubmitJobInput, opts?: WaitOptions): Promise<WaitForJobResult>;
  /**
   * submitAndWait for many jobs over one shared stream (what a busy client should use); one
   * outcome per request, in order, so one refused job does not hide the others' results.
   */
  submitMany(
    reqs: readonly SubmitJobInput[],
    opts?: WaitOptions,
  ): Promise<PromiseSettledResult<WaitForJobResult>[]>;
  get(jobId: string, opts?: GetJobOptions): Promise<GetJobResponse>;
  list(query?: ListJobsInput): Promise<ListJobsResponse>;
  cancel(jobId: string, reason?: string): Promise<CancelJobResponse>;
  /** Jobs held by a require_approval rule that the key may see, oldest first. */
  listApprovals(query?: ListApprovalsInput): Promise<ListApprovalsResponse>;
  /** Approves or rejects (a reason is required) a held job; answers the job as it is now. */
  decideApproval(input: DecideApprovalInput): Promise<DecideApprovalResponse>;
  /** Job events as they happen; break out of the loop, or cancel(), to stop. */
  watch(req?: WatchEventsInput, opts?: { signal?: AbortSignal }): EventStream;
  /** The decision of the policy in force for a topic (and tenant: a tenant key's own by default), with the rules checked. */
  explainPolicy(req: { topic: string; tenant?: string }): Promise<PolicyExplanation>;
  /** Closes the connection; calls made afterwards fail. */
  close(): void;
}

const DEFAULT_GRPC_PORT = "8080";

/** The address the CLI would use (src/cli/gateway.ts), without its validation. */
function addressFromEnv(env: NodeJS.ProcessEnv): string {
  return env.CORTEX_GATEWAY_ADDR || `127.0.0.1:${env.CORTEX_GRPC_PORT || DEFAULT_GRPC_PORT}`;
}

export function createClient(opts: ClientOptions = {}): CortexClient {
  const gateway: GatewayClient = createGatewayClient({
    address: opts.address || addressFromEnv(process.env),
    ...(opts.apiKey === undefined ? {} : { apiKey: opts.apiKey }),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ...(opts.submitRetry === undefined ? {} : { submitRetry: opts.submitRetry }),
  });
  return {
    address: gateway.address,
    submit: (req) => gateway.submitJob(req),
    submitAndWait: (req, o = {}) => submitAndWaitWith(gateway, req, o),
    submitMany: async (reqs, o = {}) => {
      const many = gateway.submitMany();
      try {
        return await Promise.allSettled(reqs.map((req) => submitAndWaitWith(gateway, req, { ...o, many })));
      } finally {
        many.close();
      }
    },
    get: (jobId, o) => gateway.getJob(jobId, o),
    list: (query) => gateway.listJobs(query),
    cancel: (jobId, reason) => gateway.cancelJob(jobId, reason),
    listApprovals: (query) => gateway.listApprovals(query),
    decideApproval: (input) => gateway.decideApproval(input),
    watch: (req, o) => gateway.watchEvents(req, o),
    explainPolicy: async (req) => explanationFromWire(await gateway.explainPolicy(req)),
    close: () => gateway.close(),
  };
}

let shared: CortexClient | undefined;

/** The client the top-level functions use: made from the environment on first use. */
function sharedClient(): CortexClient {
  shared ??= createClient();
  return shared;
}

/** The functions below are those of one client made from the environment (see ClientOptions). */
export const submit: CortexClient["submit"] = (req) => sharedClient().submit(req);
export const submitAndWait: CortexClient["submitAndWait"] = (req, opts) =>
  sharedClient().submitAndWait(req, opts);
export const submitMany: CortexClient["submitMany"] = (reqs, opts) => sharedClient().submitMany(reqs, opts);
export const get: CortexClient["get"] = (jobId, opts) => sharedClient().get(jobId, opts);
export const list: CortexClient["list"] = (query) => sharedClient().list(query);
export const cancel: CortexClient["cancel"] = (jobId, reason) => sharedClient().cancel(jobId, reason);
export const listApprovals: CortexClient["listApprovals"] = (query) => sharedClient().listApprovals(query);
export const decideApproval: CortexClient["decideApproval"] = (input) => sharedClient().decideApproval(input);
export const watch: CortexClient["watch"] = (req, opts) => sharedClient().watch(req, opts);
