-- Skip gates still pending (a budget ran out before they could start).
-- KEYS: SETTLE_KEYS   ARGV: plan, now, reason, rows(2) of (gate, skipped record JSON)
-- -> {'ok', unsettled (-1: run already finalized), skipped gates...}
local K = named(KEYS, SETTLE_KEYS)
local c = cursor(ARGV)
local F = read_plan(c)
local now, reason = c.one(), c.one()
local skips = c.rows(2)
if redis.call('HGET', K.meta, 'finalized') == '1' then return {'ok', -1} end
local unsettled = tonumber(redis.call('HGET', K.meta, 'unsettled'))
local out = {}
for _, skip in ipairs(skips) do
  if redis.call('HGET', K.status, skip[1]) == 'pending' then
    unsettled = skip_gate(K, skip[1], 'pending', skip[2], now, reason)
    out[#out + 1] = skip[1]
  end
end
redis.call('HSET', K.meta, 'updated_at', now)
if #out > 0 and unsettled == 0 then
  outbox_add(K, F, 'finalize')
elseif #out > 0 and decided(K) then
  outbox_add(K, F, 'close')
end
return {'ok', unsettled, unpack(out)}
