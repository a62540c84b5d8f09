import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";
import { sqliteCode, toSqliteStoreError } from "../../../src/store/sqlite/errors.js";

const PATH = "/home/u/.cortex/data/cortex.db";
const sqliteError = (code: string) => new Database.SqliteError(`failed: ${code}`, code);

describe("toSqliteStoreError", () => {
  it.each([
    ["SQLITE_CORRUPT", ErrorCode.StoreCorrupt, /move the file aside/],
    ["SQLITE_CORRUPT_INDEX", ErrorCode.StoreCorrupt, /move the file aside/],
    ["SQLITE_NOTADB", ErrorCode.StoreCorrupt, /cortex up again/],
    ["SQLITE_BUSY", ErrorCode.StoreLocked, /cortex down/],
    ["SQLITE_BUSY_SNAPSHOT", ErrorCode.StoreLocked, /cortex down/],
    ["SQLITE_FULL", ErrorCode.StoreUnavailable, /already accepted are kept/],
    ["SQLITE_CANTOPEN", ErrorCode.StoreUnavailable, /CORTEX_HOME/],
    ["SQLITE_IOERR_WRITE", ErrorCode.StoreUnavailable, /already accepted are kept/],
    ["SQLITE_CONSTRAINT_PRIMARYKEY", ErrorCode.Internal, /bug/],
  ])("maps %s to %s, naming the file and what to do", (code, expected, hint) => {
    const cause = sqliteError(code);
    const err = toSqliteStoreError(PATH, cause);
    expect(err.code).toBe(expected);
    expect(err.message).toContain(PATH);
    expect(err.hint).toMatch(hint);
    expect(err.cause).toBe(cause);
  });

  it("passes CortexErrors through and reads result codes", () => {
    const own = new CortexError(ErrorCode.JobExists, "taken");
    expect(toSqliteStoreError(PATH, own)).toBe(own);
    expect(sqliteCode(sqliteError("SQLITE_FULL"))).toBe("SQLITE_FULL");
    expect(sqliteCode(new Error("x"))).toBe("");
  });
});
