/**
 * The embedded store's tables. Job columns carry the `job:meta:<id>` field names, so a row
 * decodes with the same codec as the Redis hash. `user_version` records the schema version.
 */
export const SCHEMA_VERSION = 4;

/** Columns added after version 1, with their types: a migration adds the missing ones. */
export const ADDED_JOB_COLUMNS = [
  ["fingerprint", "TEXT"],
  ["reason_code", "TEXT"],
  ["approval", "TEXT"],
] as const;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  job_id        TEXT PRIMARY KEY,
  trace_id      TEXT NOT NULL,
  topic         TEXT NOT NULL,
  tenant        TEXT NOT NULL,
  priority      TEXT NOT NULL,
  state         TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  context_ptr   TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  adapter_id    TEXT,
  parent_job_id TEXT,
  workflow_id   TEXT,
  step_index    INTEGER,
  env_vars      TEXT,
  worker_id     TEXT,
  reason        TEXT,
  result_ptr    TEXT,
  scheduled_at  INTEGER,
  dispatched_at INTEGER,
  started_at    INTEGER,
  finished_at   INTEGER,
  late_results  INTEGER,
  -- what the submit asked for (idempotent resubmits), and a code for the reason
  fingerprint   TEXT,
  reason_code   TEXT,
  -- JSON of the approval record, once a require_approval rule held the job
  approval      TEXT,
  -- set when the job becomes terminal: the sweep deletes it and its data after this
  expires_at    INTEGER
);
-- newest first, ties by id descending, as the Redis sorted sets order them
CREATE INDEX IF NOT EXISTS jobs_recent ON jobs (created_at DESC, job_id DESC);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, updated_at DESC, job_id DESC);
-- rowid follows insertion, so a trace lists in submit order
CREATE INDEX IF NOT EXISTS jobs_by_trace ON jobs (trace_id);
CREATE INDEX IF NOT EXISTS jobs_expiry ON jobs (expires_at) WHERE expires_at IS NOT NULL;

-- apart from jobs: a CortexOS v1 sender may store a context before the job is admitted
CREATE TABLE IF NOT EXISTS contexts (job_id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (job_id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
-- first result per job and attempt wins
CREATE TABLE IF NOT EXISTS result_guards (
  job_id    TEXT NOT NULL,
  attempt   INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  PRIMARY KEY (job_id, attempt)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS late_results (
  id         INTEGER PRIMARY KEY,
  job_id     TEXT NOT NULL,
  attempt    INTEGER NOT NULL,
  worker_id  TEXT NOT NULL,
  at         INTEGER NOT NULL,
  json       TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS late_results_by_job ON late_results (job_id);
CREATE INDEX IF NOT EXISTS late_results_expiry ON late_results (expires_at);

-- One row per event, serving both the per-job history (history_of = the job while it
-- exists) and the capped global stream (the newest eventStreamMax seqs). AUTOINCREMENT
-- keeps seq increasing even after the newest rows are deleted.
CREATE TABLE IF NOT EXISTS events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  history_of TEXT,
  body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_history ON events (history_of, seq) WHERE history_of IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_loose ON events (seq) WHERE history_of IS NULL;

-- version 3: submits that could never be admitted, as published on sys.job.dlq
CREATE TABLE IF NOT EXISTS dead_letters (
  id         TEXT PRIMARY KEY,
  tenant     TEXT NOT NULL,
  body       TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dead_letters_expiry ON dead_letters (expires_at);
`;
