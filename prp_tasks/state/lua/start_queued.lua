-- Start an admitted run that was queued: its roots become running, their start left in the outbox.
-- KEYS: SETTLE_KEYS   ARGV: plan, now, list of roots   -> 1 started | 0 not queued (or cancelled)
local K = named(KEYS, SETTLE_KEYS)
local c = cursor(ARGV)
local F = read_plan(c)
local now = c.one()
local roots = c.list()
if redis.call('HGET', K.meta, 'status') ~= 'queued' or redis.call('HGET', K.meta, 'cancelled') == '1' then
  return 0
end
redis.call('HSET', K.meta, 'status', 'running', 'updated_at', now)
move_run(K.metrics, 'queued', 'running')
for _, g in ipairs(roots) do
  if redis.call('HGET', K.status, g) == 'pending' then
    redis.call('HSET', K.status, g, 'running')
    move(K.metrics, 'pending', 'running', 1)
    redis.call('HSET', K.started, g, now)
    redis.call('RPUSH', K.events, cjson.encode({gate_id=g, type='start', timestamp=now}))
    outbox_add(K, F, 'start:' .. g)
  end
end
return 1
