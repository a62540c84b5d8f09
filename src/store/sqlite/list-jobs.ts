/**
 * Newest-first pages of jobs, all or of one state. The cursor is the last (time, id) a page
 * returned, so jobs added or removed between pages never shift what is left. Ties are
 * ordered by id, bytewise, as the Redis sorted sets order them. The cursor comes from the
 * rows read, so a skipped corrupt row does not end the listing early.
 */
import type Database from "better-sqlite3";
import type { DecodeFailures } from "../decode-failures.js";
import { ID_PREFIX_CURSOR_SCORE, idPrefixUpperBound, requireAsciiPrefix } from "../id-prefix.js";
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

interface PrefixParams {
  state: string | null;
  topic: string | null;
  tenant: string | null;
  lo: string;
  hi: string;
  after: string | null;
  limit: number;
}

export class JobLister {
  private readonly statements = new Map<string, Database.Statement<[ListParams], JobRow>>();
  private prefixStatement: Database.Statement<[PrefixParams], JobRow> | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly failures: DecodeFailures,
  ) {}

  list(query: ListJobsQuery): JobPage {
    const limit = Math.min(Math.max(Math.floor(query.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (query.idPrefix) return this.listByPrefix(query, query.idPrefix, limit, cursor?.[1]);
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
    const jobs = this.decode(page);
    const last = page.at(-1);
    if (!more || !last) return { jobs };
    const score = byState ? last.updated_at : last.created_at;
    return { jobs, nextCursor: encodeCursor(String(score), last.job_id) };
  }

  /** A range on the primary key: [prefix, upper bound), after the cursor's id. */
  private listByPrefix(
    query: ListJobsQuery,
    prefix: string,
    limit: number,
    after: string | undefined,
  ): JobPage {
    requireAsciiPrefix(prefix);
    this.prefixStatement ??= this.db.prepare<[PrefixParams], JobRow>(
      `SELECT * FROM jobs WHERE job_id >= @lo AND job_id < @hi AND (@after IS NULL OR job_id > @after)
         AND (@state IS NULL OR state = @state) AND (@topic IS NULL OR topic = @topic)
         AND (@tenant IS NULL OR tenant = @tenant) ORDER BY job_id LIMIT @limit`,
    );
    const rows = this.prefixStatement.all({
      state: query.state ?? null,
      topic: query.topic || null,
      tenant: query.tenant || null,
      lo: prefix,
      hi: idPrefixUpperBound(prefix),
      after: after ?? null,
      limit: limit + 1,
    });
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page.at(-1);
    const jobs = this.decode(page);
    if (!more || !last) return { jobs };
    return { jobs, nextCursor: encodeCursor(ID_PREFIX_CURSOR_SCORE, last.job_id) };
  }

  private decode(rows: readonly JobRow[]): JobRecord[] {
    const jobs: JobRecord[] = [];
    for (const row of rows) {
      const job = this.failures.job(row.job_id, () => rowToJob(row));
      if (job) jobs.push(job);
    }
    return jobs;
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
