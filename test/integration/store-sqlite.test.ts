/** The JobStore contract against the embedded SQLite store, one database file per test. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import { runStoreContract } from "../support/store-contract.js";

runStoreContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cortex-sqlite-"));
  const store = await createSqliteStore({ path: join(dir, "data", "cortex.db"), retentionSeconds: 3_600 });
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
