-- Cancel a run: every gate not yet settled (running, parked or pending) becomes skipped; follow-up
-- work still in the outbox is moot, apart from the run's finalization.
-- KEYS: SETTLE_KEYS   ARGV: plan, now, audit event JSON, rows(2) of (gate, skipped record JSON)
-- -> {'already'} | {'ok', unsettled}
local K = named(KEYS, SETTLE_KEYS)
local c = cursor(ARGV)
local F = read_plan(c)
local now, event = c.one(), c.one()
local skips = c.rows(2)
if redis.call('HGET', K.meta, 'cancelled') == '1' or redis.call('HGET', K.meta, 'finalized') == '1' then
  return {'already'}
end
redis.call('HSET', K.meta, 'cancelled', '1', 'cancelled_at', now, 'updated_at', now)
audit(K, 'run.cancelled', event)
keep_ttl(K.audit, K.meta)
local unsettled = tonumber(redis.call('HGET', K.meta, 'unsettled'))
for _, skip in ipairs(skips) do
  local cur = redis.call('HGET', K.status, skip[1])
  if cur and not TERMINAL[cur] then
    unsettled = skip_gate(K, skip[1], cur, skip[2], now, 'cancelled')
  end
end
redis.call('DEL', K.outbox)
redis.call('ZREM', K.outbox_index, F.run_id)
if unsettled == 0 then outbox_add(K, F, 'finalize') end
return {'ok', unsettled}
