/**
 * Job state, context, results and history. The Redis adapter keeps the key layout of
 * DESIGN.md so users can read it with redis-cli; a second adapter (embedded) comes later
 * and must pass the same contract suite.
 */
import type { ApprovalRecord } from "../core/approval.js";
import type { DeadLetter, DeadLetterPage, DeadLetterQuery } from "../core/dead-letter.js";
import type { JobEventRecord } from "../core/job-event.js";
import type { JobState } from "../core/states.js";

export type JobPriorityName = "BATCH" | "INTERACTIVE" | "CRITICAL";

export interface NewJob {
  jobId: string;
  traceId: string;
  topic: string;
  tenant: string;
  priority: JobPriorityName;
  context: Record<string, unknown>;
  adapterId?: string;
  parentJobId?: string;
  workflowId?: string;
  stepIndex?: number;
  envVars?: Record<string, string>;
}

export interface JobRecord {
  jobId: string;
  traceId: string;
  topic: string;
  tenant: string;
  priority: JobPriorityName;
  state: JobState;
  /** Dispatch attempts so far (0 before the first dispatch). */
  attempts: number;
  adapterId?: string;
  parentJobId?: string;
  workflowId?: string;
  stepIndex?: number;
  envVars?: Record<string, string>;
  workerId?: string;
  /** Why the job is where it is (deny reason, failure, timeout). */
  reason?: string;
  resultPtr?: string;
  contextPtr: string;
  /** Unix ms timestamps; undefined = not reached. */
  createdAt: number;
  updatedAt: number;
  scheduledAt?: number;
  dispatchedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  /** Set when results arrived after the job was terminal. */
  lateResults?: number;
  /** Set once a require_approval rule held the job (kept after the decision). */
  approval?: ApprovalRecord;
}

export type { JobEventRecord } from "../core/job-event.js";

export interface TransitionRequest {
  jobId: string;
  to: JobState;
  /** Only move when the current state is one of these (also checked against the table). */
  from?: readonly JobState[];
  reason?: string;
  workerId?: string;
  /** Add one to attempts (a dispatch). */
  incrementAttempts?: boolean;
  /** Only move when attempts equals this (a stale worker cannot move a retried job). */
  expectAttempt?: number;
  /** A machine-readable code stored with the reason (e.g. NOT_QUEUED), for code that must tell reasons apart. */
  reasonCode?: string;
  resultPtr?: string;
  /**
   * A second move right after `to`, in the same atomic step (e.g. SCHEDULED then DISPATCHED):
   * it gets its own event. Must be allowed from `to` and need no reason.
   */
  andThen?: JobState;
  /** Also return the job's context (ctx:<id>), saving the worker a read. */
  withContext?: boolean;
  /** Also return the result document's JSON (res:<id>) as stored. */
  withResult?: boolean;
  /** Replaces the stored approval record, in the same atomic step as the move. */
  approval?: ApprovalRecord;
}

export type TransitionOutcome =
  | {
      ok: true;
      job: JobRecord;
      /** The state before the first move. */
      from: JobState;
      /** The last move's event. */
      event: JobEventRecord;
      /** Every move's event, in order (two with `andThen`). */
      events: JobEventRecord[];
      /** With `withContext`: the context, undefined when ctx:<id> is missing. */
      context?: Record<string, unknown>;
      /** With `withResult`: res:<id> as stored (JSON text), undefined when there is none. */
      resultJson?: string;
    }
  | { ok: false; code: "not_found" }
  | { ok: false; code: "not_allowed"; current: JobState; attempts: number };

export interface ResultWrite {
  jobId: string;
  attempt: number;
  workerId: string;
  /** JSON-serialisable result document, stored at res:<id>. */
  result: unknown;
}

export type ResultOutcome =
  /** First result for this job and attempt: stored at res:<id>. */
  | { stored: true; resultPtr: string }
  /** The same attempt already wrote a result (a redelivery): nothing changed. */
  | { stored: false; duplicate: true; resultPtr: string }
  /** The job is terminal: recorded as late under job:late:<id>, res:<id> untouched. */
  | { stored: false; late: true; resultPtr: string };

/** One move of a multi-step change (admission, an attempt's finish). */
export interface MoveStep {
  to: JobState;
  /** Required for FAILED, DENIED and TIMEOUT. */
  reason?: string;
  /** Take this step only when the job is in this state at that point; otherwise skip it (no event). */
  onlyFrom?: JobState;
  /** Add one to attempts with this step (an attempt starts). */
  incrementAttempts?: boolean;
}

export interface AdmitRequest {
  /** Written as PENDING with ctx:<id>, then moved through `steps`, all in one atomic step. */
  job: NewJob;
  /** Moves after PENDING, e.g. SCHEDULED then DISPATCHED, or DENIED with its reason. May be empty. */
  steps: readonly MoveStep[];
  /** ctx:<id> is already stored (a CortexOS v1 sender wrote it): leave it as it is. */
  contextStored?: boolean;
  /** Stored with the record in the same step (a job held for approval). */
  approval?: ApprovalRecord;
}

export type AdmitOutcome =
  | {
      ok: true;
      job: JobRecord;
      /** PENDING's event, then one per step taken, in order. */
      events: JobEventRecord[];
    }
  /**
   * The id is taken: nothing was written. `job` is the existing record; `fingerprint` what it
   * was submitted with (undefined for jobs admitted before fingerprints), so admission can
   * tell a resubmit of the same job from a conflict.
   */
  | { ok: false; code: "exists"; current: JobState; attempts: number; job: JobRecord; fingerprint?: string };

export interface FinishRequest {
  jobId: string;
  /**
   * The attempt that is finishing. The move happens only when the job's attempts, after the
   * steps' increments, equal this: a superseded attempt cannot move a retried job.
   */
  attempt: number;
  workerId: string;
  /** Moves in order, e.g. RUNNING (onlyFrom DISPATCHED, incrementAttempts) then SUCCEEDED. */
  steps: readonly MoveStep[];
  /** Only move from one of these (also checked against the table). Default: SCHEDULED, DISPATCHED, RUNNING. */
  from?: readonly JobState[];
  /**
   * Stored at res:<id> with the move, and the job's result_ptr set. When the job is already
   * terminal it is recorded as late instead (job:late:<id>), res:<id> untouched.
   */
  result?: unknown;
}

export type FinishOutcome =
  | {
      ok: true;
      job: JobRecord;
      from: JobState;
      /** One per step taken, in order. */
      events: JobEventRecord[];
      /** Set when `result` was stored. */
      resultPtr?: string;
    }
  | { ok: false; code: "not_found" }
  /** Not moved; `late` when a result was recorded as late because the job was terminal. */
  | { ok: false; code: "not_allowed"; current: JobState; attempts: number; late: boolean };

export interface ListJobsQuery {
  state?: JobState;
  topic?: string;
  tenant?: string;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /**
   * Only ids starting with this, ordered by id (bytewise, ascending) instead of by time: how
   * short ids are resolved. The other filters still apply.
   */
  idPrefix?: string;
}

export interface JobPage {
  jobs: JobRecord[];
  nextCursor?: string;
}

/** What a store counts about itself (metrics, tests). */
export interface StoreStats {
  /** Records (jobs, events) left out of reads because they cannot be decoded. */
  decodeFailures: number;
}

export interface JobStore {
  /** Writes ctx:<id>, the job record (PENDING), indexes, trace and first event atomically. */
  createJob(job: NewJob): Promise<JobRecord>;
  /**
   * Admission in one atomic step: ctx:<id> (unless contextStored), the record (PENDING),
   * indexes, trace, then each of `steps` with its event. A job FAILED with reason code
   * NOT_QUEUED (it never ran) submitted again by the same tenant with the same fingerprint is
   * replaced in the same step: that is how a failed submit is retried.
   */
  admitJob(req: AdmitRequest): Promise<AdmitOutcome>;
  /** An attempt's end in one atomic step: res:<id>, the guarded moves and their events. */
  finishAttempt(req: FinishRequest): Promise<FinishOutcome>;
  /** Throws DECODE_FAILED (job id, field, hint) for a record that cannot be decoded. */
  getJob(jobId: string): Promise<JobRecord | undefined>;
  /** undefined for missing ids and for records that cannot be decoded (those are counted). */
  getJobs(jobIds: readonly string[]): Promise<(JobRecord | undefined)[]>;
  getContext(jobId: string): Promise<Record<string, unknown> | undefined>;
  /** Guarded atomic transition; under concurrency exactly one caller wins. */
  transition(req: TransitionRequest): Promise<TransitionOutcome>;
  /** First result per job and attempt wins; results for terminal jobs are recorded as late. */
  putResult(write: ResultWrite): Promise<ResultOutcome>;
  getResult(jobId: string): Promise<unknown | undefined>;
  /** Records that cannot be decoded are skipped and counted, never fail the page. */
  listJobs(query: ListJobsQuery): Promise<JobPage>;
  /** The job's event history, oldest first; entries that cannot be decoded are skipped and counted. */
  events(jobId: string): Promise<JobEventRecord[]>;
  /** Last `count` events across all jobs (capped stream), oldest first. */
  recentEvents(count: number): Promise<JobEventRecord[]>;
  /** Appends an event that is not a state change (progress, worker join/leave). */
  appendEvent(event: Omit<JobEventRecord, "seq" | "at"> & { at?: number }): Promise<JobEventRecord>;
  /** Job ids of a trace, in submit order. */
  traceJobs(traceId: string): Promise<string[]>;
  /** Keeps a dead letter for the retention period; beyond the cap the oldest are dropped. */
  putDeadLetter(letter: DeadLetter): Promise<void>;
  /** Newest first; bodies that cannot be decoded are skipped. Bad cursor: INVALID_ARGUMENT. */
  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterPage>;
  getDeadLetter(id: string): Promise<DeadLetter | undefined>;
  /** true when it existed. */
  deleteDeadLetter(id: string): Promise<boolean>;
  /** Throws STORE_UNAVAILABLE when the store does not answer. */
  ping(): Promise<void>;
  /** Optional so test doubles need not count. */
  stats?(): StoreStats;
  close(): Promise<void>;
}

export interface JobStoreOptions {
  /** Key prefix (tests use one per test). */
  prefix?: string;
  /** Seconds terminal jobs are kept (ctx, res, meta, events). Default 7 days. */
  retentionSeconds?: number;
  /** Events kept in the capped global stream. Default 10,000. */
  eventStreamMax?: number;
  /** Dead letters kept (newest); default 1,000. They expire after retentionSeconds too. */
  deadLetterMax?: number;
}
