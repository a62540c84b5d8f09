/**
 * JobStore on an embedded SQLite file (better-sqlite3, WAL), with the behaviour of the Redis
 * adapter: the same records, events, guards and pointers (`redis://res:<id>`, which v1
 * consumers parse). Calls made in the same tick share one transaction (see write-batch.ts).
 */
import { resolve } from "node:path";
import type Database from "better-sqlite3";
import { CortexError, ErrorCode } from "../core/errors.js";
import { keyNames, redisPointer } from "../core/keys.js";
import { isTerminal, type JobState } from "../core/states.js";
import { decodeEvent, parseJson, toJson } from "./job-codec.js";
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
  TransitionOutcome,
  TransitionRequest,
} from "./job-store.js";
import type { StoreLogger } from "./redis-connection.js";
import { storeClosed, toSqliteStoreError } from "./sqlite/errors.js";
import { newJobRow, rowToJob } from "./sqlite/job-row.js";
import { JobLister } from "./sqlite/list-jobs.js";
import {
  applyMoves,
  checkSteps,
  invalid,
  type Move,
  pendingEvent,
  planSteps,
  rowState,
  transitionMoves,
} from "./sqlite/moves.js";
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

/** Pointers keep the Redis key shape: v1 consumers parse `redis://res:<id>`. */
const KEYS = keyNames("");

export function createSqliteStore(opts: SqliteStoreOptions): Promise<SqliteJobStore> {
  for (const [name, value] of [
    ["retentionSeconds", opts.retentionSeconds],
    ["eventStreamMax", opts.eventStreamMax],
    ["sweepIntervalMs", opts.sweepIntervalMs],
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
  private readonly retentionMs: number;
  private readonly streamMax: number;
  private readonly sweeper: NodeJS.Timeout;
  private readonly logger: StoreLogger | undefined;
  private eventsSincePrune = 0;
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
    this.lister = new JobLister(db);
    const every = opts.sweepIntervalMs ?? Math.min(60_000, this.retentionMs);
    this.sweeper = setInterval(() => {
      this.sweep().catch((err: unknown) => {
        if (!this.closed) this.logger?.warn({ err, path: this.path }, "store: deleting expired jobs failed");
      });
    }, every);
    this.sweeper.unref();
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
    return this.write((): AdmitOutcome => {
      const taken = this.stmts.jobState.get(job.jobId);
      if (taken)
        return { ok: false, code: "exists", current: taken.state as JobState, attempts: taken.attempts };
      const now = Date.now();
      const created = newJobRow(job, now, redisPointer(KEYS.ctx(job.jobId)));
      const { row, events } = applyMoves(created, plan.moves, now, this.retentionMs);
      if (ctxJson !== undefined) this.stmts.putContext.run(job.jobId, ctxJson);
      this.stmts.insertJob.run(row);
      const stored = [pendingEvent(created, now), ...events].map((e) => this.addEvent(job.jobId, e));
      return { ok: true, job: rowToJob(row), events: stored };
    });
  }

  async finishAttempt(req: FinishRequest): Promise<FinishOutcome> {
    const { jobId } = req;
    checkSteps(jobId, req.steps);
    const resultJson = req.result === undefined ? undefined : toJson(req.result, "result");
    const from = req.from ?? DEFAULT_FINISH_FROM;
    return this.write((): FinishOutcome => {
      const current = this.stmts.getJob.get(jobId);
      if (!current) return { ok: false, code: "not_found" };
      const state = rowState(current);
      const refused = (late: boolean): FinishOutcome => ({
        ok: false,
        code: "not_allowed",
        current: state,
        attempts: current.attempts,
        late,
      });
      if (isTerminal(state)) {
        if (resultJson === undefined) return refused(false);
        this.recordLate(jobId, req.attempt, req.workerId, resultJson, true);
        return refused(true);
      }
      if (!from.includes(state)) return refused(false);
      const plan = planSteps(state, current.attempts, req.steps);
      if (!plan.ok || plan.attempts !== req.attempt) return refused(false);
      const now = Date.now();
      const moves: Move[] = plan.moves.map((m) => ({ ...m, workerId: req.workerId }));
      const { row, events } = applyMoves(current, moves, now, this.retentionMs);
      let resultPtr: string | undefined;
      if (resultJson !== undefined) {
        resultPtr = redisPointer(KEYS.res(jobId));
        this.stmts.putResult.run(jobId, resultJson);
        this.stmts.claimResult.run(jobId, req.attempt, req.workerId);
        row.result_ptr = resultPtr;
        row.updated_at = now;
      }
      this.stmts.updateJob.run(row);
      const stored = events.map((e) => this.addEvent(jobId, e));
      const outcome: FinishOutcome = { ok: true, job: rowToJob(row), from: state, events: stored };
      if (resultPtr !== undefined) outcome.resultPtr = resultPtr;
      return outcome;
    });
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
        return row && rowToJob(row);
      }),
    );
  }

  async getContext(jobId: string): Promise<Record<string, unknown> | undefined> {
    const raw = await this.read(() => this.stmts.getContext.get(jobId)?.json);
    return raw === undefined ? undefined : (parseJson(raw, "context") as Record<string, unknown>);
  }

  async transition(req: TransitionRequest): Promise<TransitionOutcome> {
    const moves = transitionMoves(req);
    return this.write((): TransitionOutcome => {
      const current = this.stmts.getJob.get(req.jobId);
      if (!current) return { ok: false, code: "not_found" };
      const state = rowState(current);
      const allowed = moves.allowedFrom(state) && (!req.from || req.from.includes(state));
      if (!allowed || (req.expectAttempt !== undefined && req.expectAttempt !== current.attempts)) {
        return { ok: false, code: "not_allowed", current: state, attempts: current.attempts };
      }
      const { row, events } = applyMoves(current, moves.moves, Date.now(), this.retentionMs);
      if (req.resultPtr) row.result_ptr = req.resultPtr;
      this.stmts.updateJob.run(row);
      const stored = events.map((e) => this.addEvent(req.jobId, e));
      const event = stored.at(-1) as JobEventRecord;
      const outcome: TransitionOutcome = { ok: true, job: rowToJob(row), from: state, event, events: stored };
      if (req.withContext) {
        const ctx = this.stmts.getContext.get(req.jobId);
        if (ctx) outcome.context = parseJson(ctx.json, "context") as Record<string, unknown>;
      }
      if (req.withResult) {
        const res = this.stmts.getResult.get(req.jobId);
        if (res) outcome.resultJson = res.json;
      }
      return outcome;
    });
  }

  async putResult(write: ResultWrite): Promise<ResultOutcome> {
    const { jobId, attempt, workerId } = write;
    const resultPtr = redisPointer(KEYS.res(jobId));
    const resultJson = toJson(write.result ?? null, "result");
    return this.write((): ResultOutcome => {
      const current = this.stmts.jobState.get(jobId);
      // A job that is gone expired after it finished, so its result is late as well.
      if (!current || isTerminal(current.state as JobState)) {
        this.recordLate(jobId, attempt, workerId, resultJson, current !== undefined);
        return { stored: false, late: true, resultPtr };
      }
      if (this.stmts.claimResult.run(jobId, attempt, workerId).changes === 0) {
        return { stored: false, duplicate: true, resultPtr };
      }
      this.stmts.putResult.run(jobId, resultJson);
      return { stored: true, resultPtr };
    });
  }

  async getResult(jobId: string): Promise<unknown | undefined> {
    const raw = await this.read(() => this.stmts.getResult.get(jobId)?.json);
    return raw === undefined ? undefined : parseJson(raw, "result");
  }

  async listJobs(query: ListJobsQuery): Promise<JobPage> {
    return this.read(() => this.lister.list(query));
  }

  async events(jobId: string): Promise<JobEventRecord[]> {
    return this.read(() => this.stmts.history.all(jobId).map(toEvent));
  }

  async recentEvents(count: number): Promise<JobEventRecord[]> {
    const n = Math.min(Math.floor(count), this.streamMax);
    if (!(n > 0)) return [];
    return this.read(() => {
      const newest = this.stmts.maxSeq.get()?.seq ?? 0;
      return this.stmts.recent
        .all(newest - this.streamMax, n)
        .reverse()
        .map(toEvent);
    });
  }

  async appendEvent(event: Omit<JobEventRecord, "seq" | "at"> & { at?: number }): Promise<JobEventRecord> {
    const { seq: _ignored, ...rest } = event as typeof event & { seq?: number };
    const body = { ...rest, at: event.at ?? Date.now() };
    // The per-job history is only kept while the job exists (no orphan histories).
    return this.write(() => this.addEvent(this.stmts.jobState.get(event.jobId) ? event.jobId : null, body));
  }

  async traceJobs(traceId: string): Promise<string[]> {
    return this.read(() => this.stmts.trace.all(traceId).map((r) => r.job_id));
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
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    await this.batcher.drained();
    this.db.close();
  }

  private addEvent(historyOf: string | null, body: Omit<JobEventRecord, "seq">): JobEventRecord {
    const { lastInsertRowid } = this.stmts.addEvent.run(historyOf, JSON.stringify(body));
    // Amortised: the stream is trimmed every half stream length, not on every event.
    if (++this.eventsSincePrune >= Math.max(this.streamMax / 2, 1)) {
      this.eventsSincePrune = 0;
      pruneEventStream(this.stmts, this.streamMax);
    }
    return { seq: Number(lastInsertRowid), ...body };
  }

  private recordLate(jobId: string, attempt: number, workerId: string, json: string, count: boolean): void {
    const now = Date.now();
    this.stmts.addLate.run(jobId, attempt, workerId, now, json, now + this.retentionMs);
    if (count) this.stmts.countLate.run(jobId);
  }
}

function toEvent(row: { seq: number; body: string }): JobEventRecord {
  return { ...decodeEvent(row.body), seq: row.seq };
}

function jobExists(jobId: string): CortexError {
  return new CortexError(ErrorCode.JobExists, `job ${jobId} already exists`, {
    hint: "Job ids must be unique; submit again to get a new id.",
    details: { jobId },
  });
}
