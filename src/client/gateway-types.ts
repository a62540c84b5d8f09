/**
 * The gateway client's types, apart from its implementation so that the helpers built on a
 * client (submitAndWait, waitForJob, submitMany) import them without importing
 * gateway-client.ts, which re-exports those helpers: no import cycle in src/client.
 */
import type {
  CancelJobResponse,
  DecideApprovalResponse,
  GetJobResponse,
  GetJobStatusResponse,
  GetStatusResponse,
  JobEvent,
  ListApprovalsResponse,
  ListDeadLettersRequest,
  ListDeadLettersResponse,
  ListJobsRequest,
  ListJobsResponse,
  ListWorkersResponse,
  RetryDeadLetterResponse,
  SubmitJobRequest,
  SubmitJobResponse,
  WatchEventsRequest,
} from "../gen/cortex/v1/api.js";
import type { PolicyExplainResponse } from "../gen/cortex/v1/safety.js";

export type SubmitJobInput = Partial<SubmitJobRequest> & { topic: string };
export type ListJobsInput = Partial<ListJobsRequest>;
export type WatchEventsInput = Partial<WatchEventsRequest>;
export type ListDeadLettersInput = Partial<ListDeadLettersRequest>;

export interface ListApprovalsInput {
  /** "" or unset = every tenant the key may see. */
  tenant?: string;
  limit?: number;
  cursor?: string;
}

export interface DecideApprovalInput {
  jobId: string;
  approve: boolean;
  /** Required to reject. */
  reason?: string;
  /** The content hash the approver looked at; unset = whatever is held now. */
  contentHash?: string;
}

export interface GetJobOptions {
  includeResult?: boolean;
  includeContext?: boolean;
  includeEvents?: boolean;
}

export interface WatchOptions {
  signal?: AbortSignal;
}

/** Events of a WatchEvents stream. Breaking out of the loop or cancel() ends the stream. */
export interface EventStream extends AsyncIterable<JobEvent> {
  /** Resolves once the gateway has registered the watch: later events will arrive. */
  readonly ready: Promise<void>;
  cancel(): void;
}

export interface GatewayClient {
  readonly address: string;
  submitJob(req: SubmitJobInput): Promise<SubmitJobResponse>;
  getJobStatus(jobId: string): Promise<GetJobStatusResponse>;
  getJob(jobId: string, opts?: GetJobOptions): Promise<GetJobResponse>;
  listJobs(query?: ListJobsInput): Promise<ListJobsResponse>;
  cancelJob(jobId: string, reason?: string): Promise<CancelJobResponse>;
  listWorkers(pool?: string): Promise<ListWorkersResponse>;
  getStatus(): Promise<GetStatusResponse>;
  /** Submits the scheduler could never admit, newest first. */
  listDeadLetters(query?: ListDeadLettersInput): Promise<ListDeadLettersResponse>;
  /** Re-submits a dead letter's original request; INVALID_ARGUMENT when it is still invalid. */
  retryDeadLetter(id: string): Promise<RetryDeadLetterResponse>;
  /** Jobs held by a require_approval rule that the key may see, oldest first. */
  listApprovals(query?: ListApprovalsInput): Promise<ListApprovalsResponse>;
  /** Approves (the job is scheduled) or rejects (DENIED with the reason) a held job. */
  decideApproval(input: DecideApprovalInput): Promise<DecideApprovalResponse>;
  /** The decision of the policy in force for a topic and tenant, with the rules checked (a tenant key: its own tenant). */
  explainPolicy(req: { topic: string; tenant?: string }): Promise<PolicyExplainResponse>;
  watchEvents(req?: WatchEventsInput, opts?: WatchOptions): EventStream;
  /** Submit and follow in one call (see submitAndWait); UNIMPLEMENTED on older gateways. */
  submitAndWatch(req: SubmitJobInput, opts?: WatchOptions): EventStream;
  /**
   * SubmitAndWatch for many jobs over one shared stream (SubmitAndWatchMany), for clients
   * that submit at a high rate; pass it to submitAndWait as `many`.
   */
  submitMany(): SubmitMany;
  close(): void;
}

export interface SubmitMany {
  /** Submits one job on the shared stream; its events end after the terminal one. */
  submit(req: SubmitJobInput, opts?: WatchOptions): EventStream;
  /** Half-closes the shared call (jobs in flight still finish); later submits open a new one. */
  close(): void;
}
