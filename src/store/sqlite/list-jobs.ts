/**
 * Newest-first pages of jobs, all or of one state. The cursor is the last (time, id) a page
 * returned, so jobs added or removed between pages never shift what is left. Ties are
 * ordered by id, bytewise, as the Redis sorted sets order them. The cursor comes from the
 * rows read, so a skipped corrupt row does not end the listing early.
 */
import type Database from "better-sqlite3";
import type { DecodeFailures } from "../decode-failures.js";
import type { JobPage, JobRecord, ListJobsQuery } from "../job-store.js";
import { decodeCursor, encodeCursor } from "../list-cursor.js";
import type { JobRow } from "./job-row.js";
import { rowToJob } from "./job-row.js";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;

interface ListParams {
  state: string | null;
  topic: string | null;
  tenant: string | null;
  score: number | null;
  member: string | null;
  limit: number;
}

export class JobLister {
  private readonly statements = new Map<string, Database.Statement<[ListParams], JobRow>>();

  constructor(
    private readonly db: Database.Database,
    private readonly failures: DecodeFailures,
  ) {}

  list(query: ListJobsQuery): JobPage {
    const limit = Math.min(Math.max(Math.floor(query.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    const byState = query.state !== undefined;
    const rows = this.statement(byState, cursor !== undefined).all({
      state: query.state ?? null,
      topic: query.topic || null,
      tenant: query.tenant || null,
      score: cursor ? Number(cursor[0]) : null,
      member: cursor ? cursor[1] : null,
      limit: limit + 1,
    });
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const jobs: JobRecord[] = [];
    for (const row of page) {
      const job = this.failures.job(row.job_id, () => rowToJob(row));
      if (job) jobs.push(job);
    }
    const last = page.at(-1);
    if (!more || !last) return { jobs };
    const score = byState ? last.updated_at : last.created_at;
    return { jobs, nextCursor: encodeCursor(String(score), last.job_id) };
  }

  private statement(byState: boolean, withCursor: boolean): Database.Statement<[ListParams], JobRow> {
    const key = `${byState}:${withCursor}`;
    let stmt = this.statements.get(key);
    if (!stmt) {
      // A job's time in its state's list is when it entered that state (updated_at).
      const time = byState ? "updated_at" : "created_at";
      const where = [
        byState ? "state = @state" : "",
        "(@topic IS NULL OR topic = @topic)",
        "(@tenant IS NULL OR tenant = @tenant)",
        withCursor ? `(${time}, job_id) < (@score, @member)` : "",
      ].filter(Boolean);
      stmt = this.db.prepare<[ListParams], JobRow>(
        `SELECT * FROM jobs WHERE ${where.join(" AND ")} ORDER BY ${time} DESC, job_id DESC LIMIT @limit`,
      );
      this.statements.set(key, stmt);
    }
    return stmt;
  }
}
