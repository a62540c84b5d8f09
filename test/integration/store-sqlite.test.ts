/** The JobStore contract against the embedded SQLite store, one database file per test. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import { runStoreContract } from "../support/store-contract.js";
import { DEAD_LETTER_TEST_MAX } from "../support/store-contract-dead-letters.js";

runStoreContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cortex-sqlite-"));
  const path = join(dir, "data", "cortex.db");
  const store = await createSqliteStore({
    path,
    retentionSeconds: 3_600,
    deadLetterMax: DEAD_LETTER_TEST_MAX,
  });
  // The store holds its file exclusively (no second connection, not even sqlite3), so raw
  // writes past the codec go through its own handle.
  const raw = (store as unknown as { db: Database.Database }).db;
  const COLUMNS = new Set((raw.pragma("table_info(jobs)") as { name: string }[]).map((c) => c.name));
  return {
    store,
    corrupt: {
      async setField(jobId, field, value) {
        if (!COLUMNS.has(field)) throw new Error(`no jobs column ${field}`);
        raw.prepare(`UPDATE jobs SET ${field} = ? WHERE job_id = ?`).run(value, jobId);
      },
      async addRawEvent(jobId, body) {
        raw.prepare("INSERT INTO events (history_of, body) VALUES (?, ?)").run(jobId, body);
      },
    },
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
