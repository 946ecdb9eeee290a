-- Queue a run's finalization left in the outbox: once, and again only after ``resend_ms`` without
-- the finalization committing (a lost message). The item goes when the outputs are committed.
-- KEYS: meta, outbox, outbox_index   ARGV: run id, now_ms, resend_ms, queue ('' when sent by the
-- caller through another broker), message
-- -> 1 queued now | 0 nothing to do
local K = named(KEYS, {'meta', 'outbox', 'outbox_index'})
local run_id, now_ms, resend_ms, queue, payload = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local sent = redis.call('HGET', K.outbox, 'finalize')
if not sent then return 0 end
if redis.call('HGET', K.meta, 'finalized') == '1' then
  redis.call('HDEL', K.outbox, 'finalize')
  if redis.call('HLEN', K.outbox) == 0 then redis.call('ZREM', K.outbox_index, run_id) end
  return 0
end
if sent ~= '' and now_ms - tonumber(sent) < resend_ms then return 0 end
if queue ~= '' then redis.call('LPUSH', queue, payload) end
redis.call('HSET', K.outbox, 'finalize', now_ms)
redis.call('ZADD', K.outbox_index, now_ms + resend_ms, run_id)
return 1
