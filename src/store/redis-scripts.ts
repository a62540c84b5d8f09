/**
 * The Lua behind every multi-key store operation: each runs atomically in one round trip
 * (ioredis sends EVAL once per connection, then EVALSHA). Redis does not roll a script
 * back on error, so every script checks first and only then writes.
 *
 * Nothing about the transition table lives here: callers pass the states a move is
 * allowed from, computed from TRANSITIONS in TypeScript.
 */
/** Byte-wise `a < b`: Redis orders equal-score members by memcmp, Lua's `<` uses strcoll. */
const LUA_BYTES_LESS = `
local function bytes_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
`;

/**
 * One guarded state change, optionally followed by a second one in the same round trip
 * (PENDING → SCHEDULED → DISPATCHED when the pool is live): each step gets its own event, the
 * indexes move once from the first state to the last.
 *
 * KEYS: meta, events, stream, seq, ctx, res, late
 * ARGV: to, allowedFrom (",A,B,"), now, timestampField, terminal (1/0, of the last state),
 *       retentionSeconds, workerId, reason (first step only), resultPtr,
 *       incrementAttempts (1/0), expectAttempt ("" = any), streamMax, tracePrefix, jobId,
 *       indexPrefix (the state is appended), then ("" = none), thenTimestampField,
 *       withContext (1/0), withResult (1/0), reasonCode ("" = none), approvalJson ("" = keep)
 * -> {'not_found'} | {'not_allowed', state, attempts}
 *    | {'ok', {eventJson, ...}, metaPairs, ctx|false, result|false}
 */
export const TRANSITION = {
  numberOfKeys: 7,
  lua: `
local cur = redis.call('HMGET', KEYS[1], 'state', 'attempts', 'trace_id', 'topic', 'tenant', 'worker_id')
local state = cur[1]
if not state then return {'not_found'} end
local attempts = tonumber(cur[2]) or 0
if not string.find(ARGV[2], ',' .. state .. ',', 1, true) then return {'not_allowed', state, attempts} end
if ARGV[11] ~= '' and tonumber(ARGV[11]) ~= attempts then return {'not_allowed', state, attempts} end

local now, jobId, indexPrefix = ARGV[3], ARGV[14], ARGV[15]
if ARGV[10] == '1' then attempts = attempts + 1 end
local steps = {{ARGV[1], ARGV[4], ARGV[8]}}
if ARGV[16] ~= '' then table.insert(steps, {ARGV[16], ARGV[17], ''}) end
local last = steps[#steps][1]
local fields = {'state', last, 'updated_at', now, 'attempts', attempts}
local worker = cur[6]
if ARGV[7] ~= '' then table.insert(fields, 'worker_id'); table.insert(fields, ARGV[7]); worker = ARGV[7] end
if ARGV[8] ~= '' then table.insert(fields, 'reason'); table.insert(fields, ARGV[8]) end
if ARGV[20] ~= '' then table.insert(fields, 'reason_code'); table.insert(fields, ARGV[20]) end
if ARGV[9] ~= '' then table.insert(fields, 'result_ptr'); table.insert(fields, ARGV[9]) end
if ARGV[21] ~= '' then table.insert(fields, 'approval'); table.insert(fields, ARGV[21]) end
for _, step in ipairs(steps) do
  if step[2] ~= '' then table.insert(fields, step[2]); table.insert(fields, now) end
end
redis.call('HSET', KEYS[1], unpack(fields))

local toKey = indexPrefix .. last
if state ~= last then redis.call('ZREM', indexPrefix .. state, jobId) end
redis.call('ZADD', toKey, now, jobId)

local events, from = {}, state
for _, step in ipairs(steps) do
  local seq = redis.call('INCR', KEYS[4])
  local ev = {seq = seq, at = tonumber(now), kind = 'state', jobId = jobId, from = from, to = step[1], attempt = attempts}
  if cur[3] then ev.traceId = cur[3] end
  if cur[4] then ev.topic = cur[4] end
  if cur[5] then ev.tenant = cur[5] end
  if worker and worker ~= '' then ev.workerId = worker end
  if step[3] ~= '' then ev.reason = step[3] end
  local event = cjson.encode(ev)
  redis.call('RPUSH', KEYS[2], event)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[12], '*', 'event', event)
  table.insert(events, event)
  from = step[1]
end

if ARGV[5] == '1' then
  local ttl = tonumber(ARGV[6])
  for _, k in ipairs({KEYS[1], KEYS[2], KEYS[5], KEYS[6], KEYS[7]}) do redis.call('EXPIRE', k, ttl) end
  if cur[3] then redis.call('EXPIRE', ARGV[13] .. cur[3], ttl) end
  -- terminal index entries older than the retention point at expired metas
  redis.call('ZREMRANGEBYSCORE', toKey, '-inf', '(' .. (tonumber(now) - ttl * 1000))
end
local ctx, res = false, false
if ARGV[18] == '1' then ctx = redis.call('GET', KEYS[5]) end
if ARGV[19] == '1' then res = redis.call('GET', KEYS[6]) end
return {'ok', events, redis.call('HGETALL', KEYS[1]), ctx, res}
`,
};

/**
 * KEYS: meta, resultGuard(job, attempt), res, late
 * ARGV: attempt, workerId, resultJson, retentionSeconds, terminalStates (",A,B,"), lateEntryHead
 * -> 'late' | 'duplicate' | 'stored'
 *
 * A job whose meta is gone expired after it finished, so its result is late as well.
 */
export const PUT_RESULT = {
  numberOfKeys: 4,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if (not state) or string.find(ARGV[5], ',' .. state .. ',', 1, true) then
  redis.call('RPUSH', KEYS[4], ARGV[6] .. ARGV[3] .. '}')
  redis.call('EXPIRE', KEYS[4], ARGV[4])
  if state then redis.call('HINCRBY', KEYS[1], 'late_results', 1) end
  return 'late'
end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[4]) then return 'duplicate' end
redis.call('SET', KEYS[3], ARGV[3])
return 'stored'
`,
};

/**
 * KEYS: meta, events, stream, seq
 * ARGV: streamMax, eventTail
 * -> seq. The per-job list is only written while the job exists (no orphan lists).
 */
export const APPEND_EVENT = {
  numberOfKeys: 4,
  lua: `
local seq = redis.call('INCR', KEYS[4])
local event = '{"seq":' .. seq .. ',' .. ARGV[2]
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('RPUSH', KEYS[2], event) end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 'event', event)
return seq
`,
};

/**
 * Newest-first page of a sorted set of job ids (job:index:<state> or job:recent).
 * KEYS: the sorted set
 * ARGV: metaPrefix, limit, cursorScore ("" = from the top), cursorMember, topic ("" = any),
 *       tenant ("" = any), maxScan
 * -> {nextScore, nextMember, {metaPairs, ...}}; nextScore "" when the set is exhausted.
 *
 * The cursor is the last (score, member) examined, so entries added or removed between
 * pages never shift what is left. Ids whose meta expired are dropped from the set.
 */
export const LIST_JOBS = {
  numberOfKeys: 1,
  lua: `${LUA_BYTES_LESS}
local key, prefix = KEYS[1], ARGV[1]
local limit, maxScan = tonumber(ARGV[2]), tonumber(ARGV[7])
local hasCursor = ARGV[3] ~= ''
local cs, cm = tonumber(ARGV[3]), ARGV[4]
local topic, tenant = ARGV[5], ARGV[6]
local filtered = topic ~= '' or tenant ~= ''
local max = '+inf'
if hasCursor then max = ARGV[3] end
local batch = math.min(limit + 16, 512)
local out, stale = {}, {}
local offset, scanned, more = 0, 0, false
local lastScore, lastMember = '', ''
while true do
  local page = redis.call('ZRANGE', key, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, batch, 'WITHSCORES')
  local n = #page / 2
  if n == 0 then break end
  offset = offset + n
  for i = 1, #page, 2 do
    local m, s = page[i], page[i + 1]
    if not (hasCursor and tonumber(s) == cs and not bytes_less(m, cm)) then
      if #out >= limit or scanned >= maxScan then more = true; break end
      scanned = scanned + 1
      lastScore, lastMember = s, m
      local mkey = prefix .. m
      local keep = true
      if filtered then
        local f = redis.call('HMGET', mkey, 'job_id', 'topic', 'tenant')
        if not f[1] then
          keep = false; table.insert(stale, m)
        elseif (topic ~= '' and f[2] ~= topic) or (tenant ~= '' and f[3] ~= tenant) then
          keep = false
        end
      end
      if keep then
        local meta = redis.call('HGETALL', mkey)
        if #meta == 0 then table.insert(stale, m) else table.insert(out, meta) end
      end
    end
  end
  if more or n < batch then break end
end
for _, m in ipairs(stale) do redis.call('ZREM', key, m) end
if not more then lastScore, lastMember = '', '' end
return {lastScore, lastMember, out}
`,
};
