/**
 * JobStore on an embedded SQLite file (better-sqlite3, WAL), with the behaviour of the Redis
 * adapter: the same records, events, guards and pointers (`redis://res:<id>`, which v1
 * consumers parse). Calls made in the same tick share one transaction (see write-batch.ts).
 */
import { resolve } from "node:path";
import type Database from "better-sqlite3";
import {
  checkDeadLetterQuery,
  DEAD_LETTER_DEFAULT_MAX,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterQuery,
} from "../core/dead-letter.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import type { JobState } from "../core/states.js";
import { DecodeFailures } from "./decode-failures.js";
import { parseJson, toJson } from "./job-codec.js";
import type {
  AdmitOutcome,
  AdmitRequest,
  FinishOutcome,
  FinishRequest,
  JobEventRecord,
  JobPage,
  JobRecord,
  JobStore,
  JobStoreOptions,
  ListJobsQuery,
  NewJob,
  ResultOutcome,
  ResultWrite,
  StoreStats,
  TransitionOutcome,
  TransitionRequest,
} from "./job-store.js";
import type { StoreLogger } from "./redis-connection.js";
import { SqliteDeadLetters } from "./sqlite/dead-letters.js";
import { storeClosed, toSqliteStoreError } from "./sqlite/errors.js";
import { rowToJob } from "./sqlite/job-row.js";
import { JobWrites } from "./sqlite/job-writes.js";
import { JobLister } from "./sqlite/list-jobs.js";
import { checkSteps, invalid, planSteps, transitionMoves } from "./sqlite/moves.js";
import { openDatabase } from "./sqlite/open-database.js";
import { deleteExpiredJobs, pruneEventStream } from "./sqlite/retention.js";
import { prepareStatements, type Statements } from "./sqlite/statements.js";
import { WriteBatcher } from "./sqlite/write-batch.js";

export type SqliteStoreOptions = Omit<JobStoreOptions, "prefix"> & {
  /** The database file (the daemon uses $CORTEX_HOME/data/cortex.db); its directory is created. */
  path: string;
  logger?: StoreLogger;
  /** How long to wait at open for another process to let go of the file. Default 5 s. */
  busyTimeoutMs?: number;
  /** How often expired jobs are deleted. Default 60 s, or the retention when shorter. */
  sweepIntervalMs?: number;
};

const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;
const DEFAULT_EVENT_STREAM_MAX = 10_000;
const SWEEP_BATCH = 500;
const DEFAULT_FINISH_FROM: readonly JobState[] = ["SCHEDULED", "DISPATCHED", "RUNNING"];

export function createSqliteStore(opts: SqliteStoreOptions): Promise<SqliteJobStore> {
  for (const [name, value] of [
    ["retentionSeconds", opts.retentionSeconds],
    ["eventStreamMax", opts.eventStreamMax],
    ["sweepIntervalMs", opts.sweepIntervalMs],
    ["deadLetterMax", opts.deadLetterMax],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      return Promise.reject(invalid(`store option ${name} must be a positive integer, got ${value}`));
    }
  }
  try {
    return Promise.resolve(new SqliteJobStore(openDatabase(opts), opts));
  } catch (err) {
    return Promise.reject(err);
  }
}

export class SqliteJobStore implements JobStore {
  readonly path: string;
  private readonly stmts: Statements;
  private readonly batcher: WriteBatcher;
  private readonly lister: JobLister;
  private readonly writes: JobWrites;
  private readonly retentionMs: number;
  private readonly streamMax: number;
  private readonly sweeper: NodeJS.Timeout;
  private readonly logger: StoreLogger | undefined;
  private readonly failures: DecodeFailures;
  private readonly deadLetters: SqliteDeadLetters;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    opts: SqliteStoreOptions,
  ) {
    this.path = resolve(opts.path);
    this.logger = opts.logger;
    this.retentionMs = (opts.retentionSeconds ?? DEFAULT_RETENTION_SECONDS) * 1000;
    this.streamMax = opts.eventStreamMax ?? DEFAULT_EVENT_STREAM_MAX;
    this.stmts = prepareStatements(db);
    this.batcher = new WriteBatcher(db, (err) => toSqliteStoreError(this.path, err));
    this.failures = new DecodeFailures(opts.logger);
    this.lister = new JobLister(db, this.failures);
    this.writes = new JobWrites(this.stmts, this.retentionMs, this.streamMax);
    this.deadLetters = new SqliteDeadLetters(
      db,
      this.retentionMs,
      opts.deadLetterMax ?? DEAD_LETTER_DEFAULT_MAX,
    );
    const every = opts.sweepIntervalMs ?? Math.min(60_000, this.retentionMs);
    this.sweeper = setInterval(() => {
      this.sweep().catch((err: unknown) => {
        if (!this.closed) this.logger?.warn({ err, path: this.path }, "store: deleting expired jobs failed");
      });
    }, every);
    this.sweeper.unref();
  }

  stats(): StoreStats {
    return { decodeFailures: this.failures.total };
  }

  private write<T>(run: () => T): Promise<T> {
    return this.closed ? Promise.reject(storeClosed(this.path)) : this.batcher.write(run);
  }

  private read<T>(run: () => T): Promise<T> {
    return this.closed ? Promise.reject(storeClosed(this.path)) : this.batcher.read(run);
  }

  async createJob(job: NewJob): Promise<JobRecord> {
    const out = await this.admitJob({ job, steps: [] });
    if (!out.ok) throw jobExists(job.jobId);
    return out.job;
  }

  async admitJob(req: AdmitRequest): Promise<AdmitOutcome> {
    const { job } = req;
    if (!job.jobId || !job.traceId) throw invalid("admitJob needs a jobId and a traceId");
    checkSteps(job.jobId, req.steps);
    const plan = planSteps("PENDING", 0, req.steps);
    if (!plan.ok) throw invalid(`a new job cannot move from ${plan.at} to ${plan.to}`);
    const ctxJson = req.contextStored ? undefined : toJson(job.context, "context");
    const approvalJson = req.approval ? toJson(req.approval, "approval") : undefined;
    return this.write(() => this.writes.admit(job, plan.moves, ctxJson, approvalJson));
  }

  async finishAttempt(req: FinishRequest): Promise<FinishOutcome> {
    const { jobId } = req;
    checkSteps(jobId, req.steps);
    const resultJson = req.result === undefined ? undefined : toJson(req.result, "result");
    const from = req.from ?? DEFAULT_FINISH_FROM;
    return this.write(() => this.writes.finish(req, resultJson, from));
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.read(() => {
      const row = this.stmts.getJob.get(jobId);
      return row && rowToJob(row);
    });
  }

  async getJobs(jobIds: readonly string[]): Promise<(JobRecord | undefined)[]> {
    return this.read(() =>
      jobIds.map((id) => {
        const row = this.stmts.getJob.get(id);
        return row && this.failures.job(id, () => rowToJob(row));
      }),
    );
  }

  async getContext(jobId: string): Promise<Record<string, unknown> | undefined> {
    const raw = await this.read(() => this.stmts.getContext.get(jobId)?.json);
    return raw === undefined ? undefined : (parseJson(raw, "context") as Record<string, unknown>);
  }

  async transition(req: TransitionRequest): Promise<TransitionOutcome> {
    const moves = transitionMoves(req);
    const approvalJson = req.approval ? toJson(req.approval, "approval") : undefined;
    return this.write(() => this.writes.transition(req, moves, approvalJson));
  }

  async putResult(write: ResultWrite): Promise<ResultOutcome> {
    const resultJson = toJson(write.result ?? null, "result");
    return this.write(() => this.writes.putResult(write, resultJson));
  }

  async getResult(jobId: string): Promise<unknown | undefined> {
    const raw = await this.read(() => this.stmts.getResult.get(jobId)?.json);
    return raw === undefined ? undefined : parseJson(raw, "result");
  }

  async listJobs(query: ListJobsQuery): Promise<JobPage> {
    return this.read(() => this.lister.list(query));
  }

  async events(jobId: string): Promise<JobEventRecord[]> {
    return this.read(() => this.toEvents(jobId, this.stmts.history.all(jobId)));
  }

  async recentEvents(count: number): Promise<JobEventRecord[]> {
    const n = Math.min(Math.floor(count), this.streamMax);
    if (!(n > 0)) return [];
    return this.read(() => {
      const newest = this.stmts.maxSeq.get()?.seq ?? 0;
      return this.toEvents(undefined, this.stmts.recent.all(newest - this.streamMax, n).reverse());
    });
  }

  async appendEvent(event: Omit<JobEventRecord, "seq" | "at"> & { at?: number }): Promise<JobEventRecord> {
    const { seq: _ignored, ...rest } = event as typeof event & { seq?: number };
    const body = { ...rest, at: event.at ?? Date.now() };
    return this.write(() => this.writes.appendEvent(body));
  }

  async traceJobs(traceId: string): Promise<string[]> {
    return this.read(() => this.stmts.trace.all(traceId).map((r) => r.job_id));
  }

  async putDeadLetter(letter: DeadLetter): Promise<void> {
    return this.write(() => this.deadLetters.put(letter));
  }

  async listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterPage> {
    checkDeadLetterQuery(query); // thrown as is, not as a store error
    return this.read(() => this.deadLetters.list(query));
  }

  async getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    return this.read(() => this.deadLetters.get(id));
  }

  async deleteDeadLetter(id: string): Promise<boolean> {
    return this.write(() => this.deadLetters.delete(id));
  }

  async ping(): Promise<void> {
    await this.read(() => this.stmts.maxSeq.get());
  }

  /** Deletes terminal jobs whose retention passed `now`; returns how many. Runs on a timer too. */
  async sweep(now = Date.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await this.write(() => deleteExpiredJobs(this.stmts, now, SWEEP_BATCH));
      total += removed;
      if (removed < SWEEP_BATCH) break;
    }
    await this.write(() => pruneEventStream(this.stmts, this.streamMax));
    await this.write(() => this.deadLetters.sweep(now));
    return total;
  }

  /** Rows that decode, with their seq; the others are skipped and counted (stream rows named by seq). */
  private toEvents(
    jobId: string | undefined,
    rows: readonly { seq: number; body: string }[],
  ): JobEventRecord[] {
    const out: JobEventRecord[] = [];
    for (const row of rows) {
      const event = this.failures.event(jobId ?? `event seq ${row.seq}`, row.body);
      if (event) out.push({ ...event, seq: row.seq });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    await this.batcher.drained();
    this.db.close();
  }
}

function jobExists(jobId: string): CortexError {
  return new CortexError(ErrorCode.JobExists, `job ${jobId} already exists`, {
    hint: "Job ids must be unique; submit again to get a new id.",
    details: { jobId },
  });
}
