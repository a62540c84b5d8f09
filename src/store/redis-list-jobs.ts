/**
 * listJobs on Redis: newest-first pages of job:recent / job:index:<state> (LIST_JOBS), and
 * id-prefix pages: `job:ids` is a sorted set of every job id at score 0, so
 * ZRANGE BYLEX walks just the ids in [prefix, upper bound). Admission adds the id in its
 * own script (no extra round trip); ids whose meta expired with the job retention are
 * dropped from the set when a lookup meets them, as LIST_JOBS does for job:recent.
 */
import type { Redis } from "ioredis";
import type { KeyNames } from "../core/keys.js";
import type { DecodeFailures } from "./decode-failures.js";
import { ID_PREFIX_CURSOR_SCORE, idPrefixUpperBound, requireAsciiPrefix } from "./id-prefix.js";
import { decodeJob, pairsToRecord } from "./job-codec.js";
import type { JobPage, JobRecord, ListJobsQuery } from "./job-store.js";
import { decodeCursor, encodeCursor } from "./list-cursor.js";
import { LIST_JOBS } from "./redis-scripts.js";

/**
 * KEYS: job:ids. ARGV: metaPrefix, limit, min ('[' prefix or '(' after), max ('(' upper),
 *       state, topic, tenant ("" = any), maxScan
 * -> {lastMember ("" = exhausted), {metaPairs, ...}}
 */
export const LIST_BY_ID_PREFIX = {
  numberOfKeys: 1,
  lua: `
local key, prefix, limit, maxScan = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[8])
local state, topic, tenant = ARGV[5], ARGV[6], ARGV[7]
local min, max = ARGV[3], ARGV[4]
local out, stale, last, scanned, more = {}, {}, '', 0, false
while true do
  local ids = redis.call('ZRANGE', key, min, max, 'BYLEX', 'LIMIT', 0, math.min(limit + 16, 512))
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    if #out >= limit or scanned >= maxScan then more = true; break end
    scanned = scanned + 1
    last = id
    local f = redis.call('HMGET', prefix .. id, 'job_id', 'state', 'topic', 'tenant')
    if not f[1] then
      table.insert(stale, id)
    elseif (state == '' or f[2] == state) and (topic == '' or f[3] == topic) and (tenant == '' or f[4] == tenant) then
      table.insert(out, redis.call('HGETALL', prefix .. id))
    end
  end
  if more then break end
  min = '(' .. ids[#ids]
end
for _, id in ipairs(stale) do redis.call('ZREM', key, id) end
if not more then last = '' end
return {last, out}
`,
};

export interface ListCommands {
  cortexListJobs(...args: (string | number)[]): Promise<[string, string, string[][]]>;
  cortexListByIdPrefix(...args: (string | number)[]): Promise<[string, string[][]]>;
}

export function defineListCommands(redis: Redis): void {
  redis.defineCommand("cortexListJobs", LIST_JOBS);
  redis.defineCommand("cortexListByIdPrefix", LIST_BY_ID_PREFIX);
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;

export async function listJobsOnRedis(
  redis: Redis & ListCommands,
  keys: KeyNames,
  query: ListJobsQuery,
  failures: DecodeFailures,
): Promise<JobPage> {
  const limit = Math.min(Math.max(Math.floor(query.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  if (query.idPrefix) return listByIdPrefix(redis, keys, query, limit, cursor, failures);
  const [score, member, metas] = await redis.cortexListJobs(
    query.state ? keys.index(query.state) : keys.recent(),
    keys.meta(""),
    limit,
    cursor?.[0] ?? "",
    cursor?.[1] ?? "",
    query.topic ?? "",
    query.tenant ?? "",
    Math.min(10_000, Math.max(1_000, limit * 10)),
  );
  return {
    jobs: decodeMetas(metas, failures),
    ...(score === "" ? {} : { nextCursor: encodeCursor(score, member) }),
  };
}

function decodeMetas(metas: readonly string[][], failures: DecodeFailures): JobRecord[] {
  const jobs: JobRecord[] = [];
  for (const m of metas) {
    const h = pairsToRecord(m);
    const job = failures.job(h.job_id ?? "", () => decodeJob(h));
    if (job) jobs.push(job);
  }
  return jobs;
}

async function listByIdPrefix(
  redis: Redis & ListCommands,
  keys: KeyNames,
  query: ListJobsQuery,
  limit: number,
  cursor: readonly [string, string] | undefined,
  failures: DecodeFailures,
): Promise<JobPage> {
  const prefix = query.idPrefix ?? "";
  const after = cursor?.[1];
  requireAsciiPrefix(prefix);
  const [last, metas] = await redis.cortexListByIdPrefix(
    keys.ids(),
    keys.meta(""),
    limit,
    after === undefined ? `[${prefix}` : `(${after}`,
    `(${idPrefixUpperBound(prefix)}`,
    query.state ?? "",
    query.topic ?? "",
    query.tenant ?? "",
    Math.min(10_000, Math.max(1_000, limit * 10)),
  );
  const jobs = decodeMetas(metas, failures);
  return last === "" ? { jobs } : { jobs, nextCursor: encodeCursor(ID_PREFIX_CURSOR_SCORE, last) };
}
