/**
 * Lua for the multi-step moves of the job path: admission (record, ctx and the moves the
 * gateway decided) and an attempt's finish (result, guarded moves). Each is one round trip.
 * Steps come as six ARGV entries each: to, timestampField, reason, onlyFrom, increment
 * (1/0), allowedFrom (",A,B,", computed from the transition table in TypeScript).
 */

/** Plans the steps from (state, attempts); nil when a step is not allowed. Writes nothing. */
const LUA_PLAN_STEPS = `
local function plan_steps(state, attempts, nsteps, base)
  local plan, s, a = {}, state, attempts
  for i = 0, nsteps - 1 do
    local o = base + i * 6
    local to, ts, reason, onlyFrom, inc, allowed = ARGV[o], ARGV[o+1], ARGV[o+2], ARGV[o+3], ARGV[o+4], ARGV[o+5]
    if onlyFrom == '' or onlyFrom == s then
      if not string.find(allowed, ',' .. s .. ',', 1, true) then return nil, s, a end
      if inc == '1' then a = a + 1 end
      table.insert(plan, {to = to, ts = ts, reason = reason, from = s, attempt = a})
      s = to
    end
  end
  return plan, s, a
end
`;

/**
 * Applies a plan to the meta hash, indexes and event lists; returns the events' JSON.
 * cur: {trace_id, topic, tenant, worker_id}; extra: more meta field/value pairs.
 */
const LUA_APPLY_PLAN = `
local function apply_plan(K, jobId, now, plan, attempts, cur, extra, streamMax, indexPrefix, startState)
  local last = plan[#plan]
  local fields = {'updated_at', now, 'attempts', attempts}
  local worker, reason = cur[4], nil
  for i = 1, #extra, 2 do
    table.insert(fields, extra[i]); table.insert(fields, extra[i + 1])
    if extra[i] == 'worker_id' then worker = extra[i + 1] end
  end
  for _, st in ipairs(plan) do
    if st.ts ~= '' then table.insert(fields, st.ts); table.insert(fields, now) end
    if st.reason ~= '' then reason = st.reason end
  end
  if reason then table.insert(fields, 'reason'); table.insert(fields, reason) end
  if last then table.insert(fields, 'state'); table.insert(fields, last.to) end
  redis.call('HSET', K.meta, unpack(fields))
  local final = startState
  if last then final = last.to end
  if final ~= startState then redis.call('ZREM', indexPrefix .. startState, jobId) end
  redis.call('ZADD', indexPrefix .. final, now, jobId)
  local events = {}
  for _, st in ipairs(plan) do
    local seq = redis.call('INCR', K.seq)
    local ev = {seq = seq, at = tonumber(now), kind = 'state', jobId = jobId, from = st.from, to = st.to, attempt = st.attempt}
    if cur[1] then ev.traceId = cur[1] end
    if cur[2] then ev.topic = cur[2] end
    if cur[3] then ev.tenant = cur[3] end
    if worker and worker ~= '' then ev.workerId = worker end
    if st.reason ~= '' then ev.reason = st.reason end
    local event = cjson.encode(ev)
    redis.call('RPUSH', K.events, event)
    redis.call('XADD', K.stream, 'MAXLEN', '~', streamMax, '*', 'event', event)
    table.insert(events, event)
  end
  return events, final
end

local function expire_terminal(K, keys, ttl, now, traceKey, final, indexPrefix)
  for _, k in ipairs(keys) do redis.call('EXPIRE', k, ttl) end
  if traceKey then redis.call('EXPIRE', traceKey, ttl) end
  redis.call('ZREMRANGEBYSCORE', indexPrefix .. final, '-inf', '(' .. (tonumber(now) - ttl * 1000))
end
`;

/**
 * KEYS: meta, ctx, recent, trace, events, stream, seq, ids
 * ARGV: jobId, now, ctxJson, contextStored (1/0), streamMax, pendingEventTail, retention,
 *       indexPrefix, terminalStates (",A,B,"), fingerprint, tenant, traceId, notQueuedCode,
 *       nsteps, steps (6 each), then the record's field/value pairs (fingerprint included)
 * -> {'exists', state, attempts, metaPairs} | {'ok', {eventJson...}, metaPairs}
 *
 * An existing job FAILED with the not-queued code, of the same tenant and fingerprint, never
 * ran: it is replaced (its history kept), so a failed submit can be retried with its id.
 */
export const ADMIT_JOB = {
  numberOfKeys: 8,
  lua: `${LUA_PLAN_STEPS}${LUA_APPLY_PLAN}
local K = {meta = KEYS[1], events = KEYS[5], stream = KEYS[6], seq = KEYS[7]}
local jobId, now, streamMax, indexPrefix = ARGV[1], ARGV[2], ARGV[5], ARGV[8]
local inTrace = false
local existing = redis.call('HMGET', KEYS[1], 'state', 'attempts', 'tenant', 'fingerprint', 'reason_code', 'trace_id')
if existing[1] then
  local retry = existing[1] == 'FAILED' and existing[5] == ARGV[13] and existing[3] == ARGV[11] and existing[4] == ARGV[10]
  if not retry then return {'exists', existing[1], tonumber(existing[2]) or 0, redis.call('HGETALL', KEYS[1])} end
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', indexPrefix .. 'FAILED', jobId)
  redis.call('PERSIST', KEYS[5])
  redis.call('PERSIST', KEYS[2])
  inTrace = existing[6] == ARGV[12]
  if not inTrace and existing[6] then
    -- KEYS[4] is the trace prefix followed by the new trace id
    redis.call('LREM', string.sub(KEYS[4], 1, #KEYS[4] - #ARGV[12]) .. existing[6], 0, jobId)
  end
end
local nsteps = tonumber(ARGV[14])
local plan, final, attempts = plan_steps('PENDING', 0, nsteps, 15)
if not plan then return {'bad_steps', final} end
local fieldsAt = 15 + nsteps * 6
if ARGV[4] ~= '1' then redis.call('SET', KEYS[2], ARGV[3]) end
redis.call('HSET', KEYS[1], unpack(ARGV, fieldsAt))
redis.call('ZADD', KEYS[3], now, jobId)
redis.call('ZADD', KEYS[8], 0, jobId)
if not inTrace then redis.call('RPUSH', KEYS[4], jobId) end
redis.call('PERSIST', KEYS[4])
local seq = redis.call('INCR', KEYS[7])
local pending = '{"seq":' .. seq .. ',' .. ARGV[6]
redis.call('RPUSH', KEYS[5], pending)
redis.call('XADD', KEYS[6], 'MAXLEN', '~', streamMax, '*', 'event', pending)
local cur = redis.call('HMGET', KEYS[1], 'trace_id', 'topic', 'tenant', 'worker_id')
local events
events, final = apply_plan(K, jobId, now, plan, attempts, cur, {}, streamMax, indexPrefix, 'PENDING')
table.insert(events, 1, pending)
if string.find(ARGV[9], ',' .. final .. ',', 1, true) then
  expire_terminal(K, {KEYS[1], KEYS[2], KEYS[5]}, tonumber(ARGV[7]), now, KEYS[4], final, indexPrefix)
end
return {'ok', events, redis.call('HGETALL', KEYS[1])}
`,
};

/**
 * KEYS: meta, events, stream, seq, ctx, res, late
 * ARGV: jobId, now, fromList (",A,B,"), attempt, workerId, hasResult (1/0), resultJson,
 *       resultPtr, retention, streamMax, tracePrefix, indexPrefix, terminalStates,
 *       lateEntryHead, nsteps, steps (6 each)
 * -> {'not_found'} | {'not_allowed', state, attempts, late (1/0)} | {'ok', {eventJson...}, metaPairs}
 */
export const FINISH_ATTEMPT = {
  numberOfKeys: 7,
  lua: `${LUA_PLAN_STEPS}${LUA_APPLY_PLAN}
local K = {meta = KEYS[1], events = KEYS[2], stream = KEYS[3], seq = KEYS[4]}
local cur = redis.call('HMGET', KEYS[1], 'state', 'attempts', 'trace_id', 'topic', 'tenant', 'worker_id')
local state = cur[1]
if not state then return {'not_found'} end
local attempts = tonumber(cur[2]) or 0
if string.find(ARGV[13], ',' .. state .. ',', 1, true) then
  if ARGV[6] == '1' then
    redis.call('RPUSH', KEYS[7], ARGV[14] .. ARGV[7] .. '}')
    redis.call('EXPIRE', KEYS[7], ARGV[9])
    redis.call('HINCRBY', KEYS[1], 'late_results', 1)
    return {'not_allowed', state, attempts, 1}
  end
  return {'not_allowed', state, attempts, 0}
end
if not string.find(ARGV[3], ',' .. state .. ',', 1, true) then return {'not_allowed', state, attempts, 0} end
local plan, final, after = plan_steps(state, attempts, tonumber(ARGV[15]), 16)
if not plan or #plan == 0 or after ~= tonumber(ARGV[4]) then return {'not_allowed', state, attempts, 0} end
local jobId, now, indexPrefix = ARGV[1], ARGV[2], ARGV[12]
local extra = {'worker_id', ARGV[5]}
if ARGV[6] == '1' then
  redis.call('SET', KEYS[6], ARGV[7])
  table.insert(extra, 'result_ptr'); table.insert(extra, ARGV[8])
end
local events
events, final = apply_plan(K, jobId, now, plan, after, {cur[3], cur[4], cur[5], cur[6]}, extra, ARGV[10], indexPrefix, state)
if string.find(ARGV[13], ',' .. final .. ',', 1, true) then
  local traceKey = nil
  if cur[3] then traceKey = ARGV[11] .. cur[3] end
  expire_terminal(K, {KEYS[1], KEYS[2], KEYS[5], KEYS[6], KEYS[7]}, tonumber(ARGV[9]), now, traceKey, final, indexPrefix)
end
return {'ok', events, redis.call('HGETALL', KEYS[1])}
`,
};
