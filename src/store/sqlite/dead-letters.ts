/**
 * Dead letters in the embedded store: one row per letter, the JSON as published. Ids sort by
 * time, so the primary key orders the listing; the cap and the expiry are kept by deletes.
 */
import type Database from "better-sqlite3";
import {
  checkDeadLetterQuery,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterQuery,
  parseDeadLetter,
} from "../../core/dead-letter.js";

interface Row {
  id: string;
  body: string;
}

export class SqliteDeadLetters {
  private readonly insert: Database.Statement<[string, string, string, number]>;
  private readonly trim: Database.Statement<[number]>;
  private readonly page: Database.Statement<[string, number, number], Row>;
  private readonly pageOfTenant: Database.Statement<[string, number, string, number], Row>;
  private readonly one: Database.Statement<[string, number], Row>;
  private readonly remove: Database.Statement<[string]>;
  private readonly expire: Database.Statement<[number]>;

  constructor(
    db: Database.Database,
    private readonly retentionMs: number,
    private readonly max: number,
  ) {
    this.insert = db.prepare(
      "INSERT OR REPLACE INTO dead_letters (id, tenant, body, expires_at) VALUES (?, ?, ?, ?)",
    );
    this.trim = db.prepare(
      "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters ORDER BY id DESC LIMIT -1 OFFSET ?)",
    );
    // "~" sorts after every id ("dl-…"): no cursor = from the newest
    this.page = db.prepare(
      "SELECT id, body FROM dead_letters WHERE id < ? AND expires_at > ? ORDER BY id DESC LIMIT ?",
    );
    this.pageOfTenant = db.prepare(
      "SELECT id, body FROM dead_letters WHERE id < ? AND expires_at > ? AND tenant = ? ORDER BY id DESC LIMIT ?",
    );
    this.one = db.prepare("SELECT id, body FROM dead_letters WHERE id = ? AND expires_at > ?");
    this.remove = db.prepare("DELETE FROM dead_letters WHERE id = ?");
    this.expire = db.prepare("DELETE FROM dead_letters WHERE expires_at <= ?");
  }

  put(letter: DeadLetter, now = Date.now()): void {
    this.insert.run(letter.id, letter.tenant, JSON.stringify(letter), now + this.retentionMs);
    this.trim.run(this.max);
  }

  list(query: DeadLetterQuery, now = Date.now()): DeadLetterPage {
    const { limit, cursor } = checkDeadLetterQuery(query);
    const before = cursor ?? "~";
    // One more than asked tells whether there is a next page.
    const rows =
      query.tenant === undefined
        ? this.page.all(before, now, limit + 1)
        : this.pageOfTenant.all(before, now, query.tenant, limit + 1);
    const more = rows.length > limit;
    const letters: DeadLetter[] = [];
    for (const row of rows.slice(0, limit)) {
      const letter = parseDeadLetter(row.body);
      if (letter) letters.push(letter);
    }
    const last = rows[limit - 1];
    return more && last ? { letters, nextCursor: last.id } : { letters };
  }

  get(id: string, now = Date.now()): DeadLetter | undefined {
    const row = this.one.get(id, now);
    return row && parseDeadLetter(row.body);
  }

  delete(id: string): boolean {
    return this.remove.run(id).changes > 0;
  }

  sweep(now: number): void {
    this.expire.run(now);
  }
}
