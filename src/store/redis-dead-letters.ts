/**
 * Dead letters on Redis: `dlq:<id>` holds the JSON (expiring with the job retention) and the
 * sorted set `dlq` their ids, all at score 0 so ids (time-sortable) list newest first with
 * ZREVRANGEBYLEX. The put is one script, so the cap holds under concurrent writers.
 */
import type { Redis } from "ioredis";
import {
  checkDeadLetterQuery,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterQuery,
  parseDeadLetter,
} from "../core/dead-letter.js";
import type { KeyNames } from "../core/keys.js";

/** KEYS: dlq, dlq:<id>. ARGV: id, body, ttl seconds, max kept, "dlq:" key prefix. */
export const PUT_DEAD_LETTER = {
  numberOfKeys: 2,
  lua: `
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[1], 0, extra - 1)
  for _, id in ipairs(old) do redis.call('DEL', ARGV[5] .. id) end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1)
end
return 1`,
};

export interface DeadLetterCommands {
  cortexPutDeadLetter(...args: (string | number)[]): Promise<number>;
}

/** Ids read per round trip while filling a page (a tenant filter may skip many). */
const SCAN_BATCH = 200;

export class RedisDeadLetters {
  constructor(
    private readonly redis: Redis & DeadLetterCommands,
    private readonly keys: KeyNames,
    private readonly retentionSeconds: number,
    private readonly max: number,
    private readonly call: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  async put(letter: DeadLetter): Promise<void> {
    const body = JSON.stringify(letter);
    const k = this.keys;
    await this.call(() =>
      this.redis.cortexPutDeadLetter(
        k.deadLetters(),
        k.deadLetter(letter.id),
        letter.id,
        body,
        this.retentionSeconds,
        this.max,
        k.deadLetter(""),
      ),
    );
  }

  async list(query: DeadLetterQuery): Promise<DeadLetterPage> {
    const { limit, cursor } = checkDeadLetterQuery(query);
    const letters: DeadLetter[] = [];
    let from = cursor === undefined ? "+" : `(${cursor}`;
    for (;;) {
      const ids = await this.call(() =>
        this.redis.zrevrangebylex(this.keys.deadLetters(), from, "-", "LIMIT", 0, SCAN_BATCH),
      );
      if (ids.length === 0) return { letters };
      const bodies = await this.call(() => this.redis.mget(...ids.map((id) => this.keys.deadLetter(id))));
      const gone: string[] = [];
      for (const [i, id] of ids.entries()) {
        const body = bodies[i];
        if (body === null || body === undefined) {
          gone.push(id);
          continue;
        }
        const letter = parseDeadLetter(body);
        if (letter === undefined || (query.tenant !== undefined && letter.tenant !== query.tenant)) continue;
        letters.push(letter);
        if (letters.length === limit) {
          await this.forget(gone);
          // Only a page that stopped early may have more.
          return i < ids.length - 1 || ids.length === SCAN_BATCH ? { letters, nextCursor: id } : { letters };
        }
      }
      await this.forget(gone);
      if (ids.length < SCAN_BATCH) return { letters };
      from = `(${ids[ids.length - 1]}`;
    }
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const body = await this.call(() => this.redis.get(this.keys.deadLetter(id)));
    return body === null ? undefined : parseDeadLetter(body);
  }

  async delete(id: string): Promise<boolean> {
    const [deleted] = await this.call(() =>
      this.redis
        .multi()
        .del(this.keys.deadLetter(id))
        .zrem(this.keys.deadLetters(), id)
        .exec()
        .then((r) => (r ?? []).map(([, v]) => Number(v))),
    );
    return (deleted ?? 0) > 0;
  }

  /** Ids whose body expired: drop them from the set. */
  private async forget(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.call(() => this.redis.zrem(this.keys.deadLetters(), ...ids));
  }
}
