/** Every statement the embedded store runs, prepared once per connection. */
import type Database from "better-sqlite3";
import type { JobRow } from "./job-row.js";

const JOB_COLUMNS = [
  "job_id",
  "trace_id",
  "topic",
  "tenant",
  "priority",
  "state",
  "attempts",
  "context_ptr",
  "created_at",
  "updated_at",
  "adapter_id",
  "parent_job_id",
  "workflow_id",
  "step_index",
  "env_vars",
  "worker_id",
  "reason",
  "result_ptr",
  "scheduled_at",
  "dispatched_at",
  "started_at",
  "finished_at",
  "late_results",
  "fingerprint",
  "reason_code",
  "approval",
  "expires_at",
] as const satisfies readonly (keyof JobRow)[];

/** Columns a move may change. */
const MUTABLE_COLUMNS = [
  "state",
  "attempts",
  "updated_at",
  "worker_id",
  "reason",
  "result_ptr",
  "scheduled_at",
  "dispatched_at",
  "started_at",
  "finished_at",
  "late_results",
  "reason_code",
  "approval",
  "expires_at",
] as const satisfies readonly (keyof JobRow)[];

export interface EventRow {
  seq: number;
  body: string;
}

export function prepareStatements(db: Database.Database) {
  return {
    insertJob: db.prepare<[JobRow]>(
      `INSERT INTO jobs (${JOB_COLUMNS.join(", ")}) VALUES (${JOB_COLUMNS.map((c) => `@${c}`).join(", ")})`,
    ),
    updateJob: db.prepare<[JobRow]>(
      `UPDATE jobs SET ${MUTABLE_COLUMNS.map((c) => `${c} = @${c}`).join(", ")} WHERE job_id = @job_id`,
    ),
    getJob: db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE job_id = ?"),
    jobState: db.prepare<[string], { state: string; attempts: number }>(
      "SELECT state, attempts FROM jobs WHERE job_id = ?",
    ),
    countLate: db.prepare<[string]>(
      "UPDATE jobs SET late_results = COALESCE(late_results, 0) + 1 WHERE job_id = ?",
    ),
    putContext: db.prepare<[string, string]>("INSERT OR REPLACE INTO contexts (job_id, json) VALUES (?, ?)"),
    getContext: db.prepare<[string], { json: string }>("SELECT json FROM contexts WHERE job_id = ?"),
    putResult: db.prepare<[string, string]>("INSERT OR REPLACE INTO results (job_id, json) VALUES (?, ?)"),
    getResult: db.prepare<[string], { json: string }>("SELECT json FROM results WHERE job_id = ?"),
    /** changes = 0 when this attempt already has a result. */
    claimResult: db.prepare<[string, number, string]>(
      "INSERT OR IGNORE INTO result_guards (job_id, attempt, worker_id) VALUES (?, ?, ?)",
    ),
    addLate: db.prepare<[string, number, string, number, string, number]>(
      "INSERT INTO late_results (job_id, attempt, worker_id, at, json, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    addEvent: db.prepare<[string | null, string]>("INSERT INTO events (history_of, body) VALUES (?, ?)"),
    history: db.prepare<[string], EventRow>("SELECT seq, body FROM events WHERE history_of = ? ORDER BY seq"),
    /** Newest first, within the capped stream's window. */
    recent: db.prepare<[number, number], EventRow>(
      "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq DESC LIMIT ?",
    ),
    maxSeq: db.prepare<[], { seq: number | null }>("SELECT max(seq) AS seq FROM events"),
    trace: db.prepare<[string], { job_id: string }>(
      "SELECT job_id FROM jobs WHERE trace_id = ? ORDER BY rowid",
    ),

    expiredJobs: db.prepare<[number, number], { job_id: string }>(
      "SELECT job_id FROM jobs WHERE expires_at <= ? LIMIT ?",
    ),
    deleteContext: db.prepare<[string]>("DELETE FROM contexts WHERE job_id = ?"),
    deleteResult: db.prepare<[string]>("DELETE FROM results WHERE job_id = ?"),
    deleteGuards: db.prepare<[string]>("DELETE FROM result_guards WHERE job_id = ?"),
    deleteLateOf: db.prepare<[string]>("DELETE FROM late_results WHERE job_id = ?"),
    /** The events stay in the global stream until they fall out of its window. */
    releaseHistory: db.prepare<[string]>("UPDATE events SET history_of = NULL WHERE history_of = ?"),
    deleteJob: db.prepare<[string]>("DELETE FROM jobs WHERE job_id = ?"),
    deleteExpiredLate: db.prepare<[number]>("DELETE FROM late_results WHERE expires_at <= ?"),
    pruneStream: db.prepare<[number]>("DELETE FROM events WHERE history_of IS NULL AND seq <= ?"),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
