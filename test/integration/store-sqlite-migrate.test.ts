/**
 * Schema migration of the embedded store: a version 1 file (no fingerprint or reason_code
 * columns) opens, gets the columns, and its old jobs stay readable; idempotent submit works on it.
 * A version 3 file (no approval column) gets it, and held jobs can be stored in it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { jobFingerprint, NOT_QUEUED } from "../../src/core/job-fingerprint.js";
import { SCHEMA, SCHEMA_VERSION } from "../../src/store/sqlite/schema.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import { newJob } from "../support/store-contract.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The version 1 schema: today's without the columns version 2 added. */
const V1_SCHEMA = SCHEMA.replace(/^\s*(fingerprint|reason_code)\s+TEXT,\n/gm, "").replace(
  /^\s*-- what the submit asked for.*\n/m,
  "",
);

describe("embedded store schema migration", () => {
  it("adds the version 2 columns to a version 1 file and keeps its jobs", async () => {
    expect(V1_SCHEMA).not.toMatch(/fingerprint|reason_code/);
    const dir = mkdtempSync(join(tmpdir(), "cortex-migrate-"));
    dirs.push(dir);
    const path = join(dir, "store.db");
    const old = newJob();
    const db = new Database(path);
    db.exec(V1_SCHEMA);
    db.prepare(
      `INSERT INTO jobs (job_id, trace_id, topic, tenant, priority, state, attempts, context_ptr, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'PENDING', 0, 'redis://ctx:x', 1, 1)`,
    ).run(old.jobId, old.traceId, old.topic, old.tenant, old.priority);
    db.pragma("user_version = 1");
    db.close();

    const store = await createSqliteStore({ path });
    try {
      expect(await store.getJob(old.jobId)).toMatchObject({ jobId: old.jobId, state: "PENDING" });
      // a job from before fingerprints is never taken for a resubmit
      expect(await store.admitJob({ job: old, steps: [] })).toMatchObject({ ok: false, code: "exists" });
      const job = newJob();
      await store.admitJob({ job, steps: [] });
      await store.transition({
        jobId: job.jobId,
        to: "FAILED",
        reason: "not queued",
        reasonCode: NOT_QUEUED,
      });
      expect(await store.admitJob({ job, steps: [] })).toMatchObject({ ok: true, job: { state: "PENDING" } });
      expect(await store.admitJob({ job, steps: [] })).toMatchObject({ fingerprint: jobFingerprint(job) });
    } finally {
      await store.close();
    }
    const after = new Database(path, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    after.close();
  });

  it("adds the approval column to a version 3 file and stores approval records in it", async () => {
    const v3 = SCHEMA.replace(/^\s*approval\s+TEXT,\n/m, "").replace(
      /^\s*-- JSON of the approval record.*\n/m,
      "",
    );
    expect(v3).not.toMatch(/\bapproval\b/);
    const dir = mkdtempSync(join(tmpdir(), "cortex-migrate-"));
    dirs.push(dir);
    const path = join(dir, "store.db");
    const db = new Database(path);
    db.exec(v3);
    db.pragma("user_version = 3");
    db.close();

    const store = await createSqliteStore({ path });
    try {
      const job = newJob();
      const approval = {
        ruleId: "deploys",
        ruleReason: "",
        approvers: [],
        requestedAt: 1,
        expiresAt: 2,
        contentHash: "00",
      };
      await store.admitJob({ job, steps: [{ to: "AWAITING_APPROVAL", reason: "held" }], approval });
      expect(await store.getJob(job.jobId)).toMatchObject({ state: "AWAITING_APPROVAL", approval });
    } finally {
      await store.close();
    }
    const after = new Database(path, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    after.close();
  });
});
