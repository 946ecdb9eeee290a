-- Admission (PRP_MAX_RUNS_IN_FLIGHT): a run executes now, or is queued (oldest first).
-- KEYS: active, queue   ARGV: run id, limit, created_ms   -> 1 admitted | 0 queued
local K = named(KEYS, {'active', 'queue'})
local run_id, limit, created_ms = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if redis.call('SISMEMBER', K.active, run_id) == 1 then return 1 end
if redis.call('SCARD', K.active) < limit and redis.call('ZCARD', K.queue) == 0 then
  redis.call('SADD', K.active, run_id)
  return 1
end
redis.call('ZADD', K.queue, 'NX', created_ms, run_id)
return 0
