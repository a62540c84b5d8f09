/**
 * Opens (creating if needed) the store file and its schema. The connection runs in WAL mode
 * with EXCLUSIVE locking: the daemon is the file's only user (its bus lives in the same
 * process), so a second daemon on the same file is refused with STORE_LOCKED instead of
 * quietly sharing jobs it can never deliver.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { CortexError, ErrorCode } from "../../core/errors.js";
import { storeCannotOpen, toSqliteStoreError } from "./errors.js";
import { ADDED_JOB_COLUMNS, SCHEMA, SCHEMA_VERSION } from "./schema.js";

export interface OpenOptions {
  path: string;
  /** How long to wait for another process to let go of the file. Default 5 s. */
  busyTimeoutMs?: number;
}

/** WAL is truncated back to this size after a checkpoint, so it does not keep its peak size. */
const JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;

export function openDatabase(opts: OpenOptions): Database.Database {
  const path = resolve(opts.path);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (cause) {
    throw storeCannotOpen(path, cause);
  }
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5_000 });
  } catch (cause) {
    throw storeCannotOpen(path, cause);
  }
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw storeCannotOpen(path, new Error(`journal_mode is ${String(mode)}, not wal`));
    db.pragma("synchronous = NORMAL");
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    // The write takes the exclusive lock now, so a second daemon fails at start, not mid-job.
    db.transaction(() => migrate(db, path)).immediate();
  } catch (err) {
    db.close();
    throw toSqliteStoreError(path, err);
  }
  return db;
}

function migrate(db: Database.Database, path: string): void {
  const version = Number(db.pragma("user_version", { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new CortexError(ErrorCode.StoreCorrupt, `the store file ${path} was written by a newer cortex`, {
      hint: "Upgrade cortex, or move the file aside and run cortex up again to start with an empty store.",
      details: { path, version, supported: SCHEMA_VERSION },
    });
  }
  db.exec(SCHEMA);
  // CREATE TABLE IF NOT EXISTS leaves an older jobs table as it was
  const columns = db.pragma("table_info(jobs)") as { name: string }[];
  const have = new Set(columns.map((c) => c.name));
  for (const [name, type] of ADDED_JOB_COLUMNS) {
    if (!have.has(name)) db.exec(`ALTER TABLE jobs ADD COLUMN ${name} ${type}`);
  }
  if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
