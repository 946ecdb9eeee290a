-- Fix a run's finish time once every gate settled: the first finalizer's time, so a finalization
-- done again renders the same outputs. The finalization left in the outbox is recorded as under
-- way since now (as ``send_finalize`` records one it sends): the repair loop queues it again only
-- after resend_ms without a commit.
-- KEYS: meta, outbox, outbox_index   ARGV: now, run id, now_ms, resend_ms
-- -> '' when the run is finalized already or a gate is unsettled, else the finish time
local K = named(KEYS, {'meta', 'outbox', 'outbox_index'})
local now, run_id, now_ms, resend_ms = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', K.meta, 'finalized', 'unsettled')
if state[1] == '1' or tonumber(state[2] or '1') > 0 then return '' end
if redis.call('HEXISTS', K.outbox, 'finalize') == 1 then
  redis.call('HSET', K.outbox, 'finalize', now_ms)
  redis.call('ZADD', K.outbox_index, now_ms + resend_ms, run_id)
end
redis.call('HSETNX', K.meta, 'finished_at_claim', now)
return redis.call('HGET', K.meta, 'finished_at_claim')
