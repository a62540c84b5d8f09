/**
 * SQLite failures as CortexErrors that name the store file and say what to do. Callers
 * branch on the code: STORE_CORRUPT and STORE_LOCKED need a person, STORE_UNAVAILABLE
 * (cannot open, disk full, I/O error) may pass once the cause is fixed.
 */
import Database from "better-sqlite3";
import { CortexError, ErrorCode } from "../../core/errors.js";

/** The SQLite result code (e.g. SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT), or "" when not from SQLite. */
export function sqliteCode(err: unknown): string {
  if (!(err instanceof Database.SqliteError)) return "";
  return /^SQLITE_[A-Z]+/.exec(err.code)?.[0] ?? err.code;
}

export function storeCorrupt(path: string, cause: unknown): CortexError {
  return new CortexError(
    ErrorCode.StoreCorrupt,
    `the store file ${path} is damaged or not a cortex database`,
    {
      hint: `Stop cortex (cortex down), move the file aside (mv ${path} ${path}.broken) and run cortex up again; jobs in the old file are not carried over.`,
      cause,
      details: { path },
    },
  );
}

export function storeLocked(path: string, cause: unknown): CortexError {
  return new CortexError(ErrorCode.StoreLocked, `the store file ${path} is in use by another process`, {
    hint: "Another cortex daemon holds it: stop it with cortex down (same CORTEX_HOME), or give this one its own CORTEX_HOME.",
    cause,
    details: { path },
  });
}

export function storeFull(path: string, cause: unknown): CortexError {
  return new CortexError(
    ErrorCode.StoreUnavailable,
    `cannot write to the store file ${path}: the disk is full`,
    {
      hint: "Jobs already accepted are kept. Free some disk space; cortex accepts new work again as soon as writes succeed.",
      cause,
      details: { path },
    },
  );
}

export function storeCannotOpen(path: string, cause: unknown): CortexError {
  return new CortexError(ErrorCode.StoreUnavailable, `cannot open the store file ${path}`, {
    hint: "Check that its directory exists and that you may write there, or set CORTEX_HOME to a directory you own.",
    cause,
    details: { path },
  });
}

export function storeIoError(path: string, cause: unknown): CortexError {
  return new CortexError(ErrorCode.StoreUnavailable, `cannot read or write the store file ${path}`, {
    hint: "Check that the file and its directory are writable and the disk is healthy; jobs already accepted are kept.",
    cause,
    details: { path },
  });
}

export function storeClosed(path: string): CortexError {
  return new CortexError(ErrorCode.StoreUnavailable, `the store on ${path} is closed`, {
    hint: "The daemon is shutting down; run cortex up to start it again.",
    details: { path },
  });
}

/** Maps any failure of a store call to a CortexError (CortexErrors pass unchanged). */
export function toSqliteStoreError(path: string, err: unknown): CortexError {
  if (err instanceof CortexError) return err;
  switch (sqliteCode(err)) {
    case "SQLITE_CORRUPT":
    case "SQLITE_NOTADB":
      return storeCorrupt(path, err);
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return storeLocked(path, err);
    case "SQLITE_FULL":
      return storeFull(path, err);
    case "SQLITE_CANTOPEN":
    case "SQLITE_PERM":
    case "SQLITE_AUTH":
      return storeCannotOpen(path, err);
    case "SQLITE_READONLY":
    case "SQLITE_IOERR":
      return storeIoError(path, err);
    default:
      return new CortexError(ErrorCode.Internal, `store: SQLite rejected a statement on ${path}`, {
        hint: "This is a cortex bug; please report it with the daemon log (cortex logs).",
        cause: err,
        details: { path },
      });
  }
}
