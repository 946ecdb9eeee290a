-- Take the execution lease of a check (the first execution also records its queue wait). A
-- delivery that must not run reports how much follow-up work the run's outbox holds, so a
-- redelivered message can re-drive what a crash left undone.
-- KEYS: meta, status, checks, lease, attempts, metrics, started, breaker ('' when none), outbox
-- ARGV: gate, field, token, lease_ms, metrics rows(2) (recorded by the first execution only)
-- -> {'stale', outbox} | {'done', outbox} | {'busy', pttl}
--    | {'ok', starts, ends, gate started_at, breaker state}
local K = named(KEYS, {'meta', 'status', 'checks', 'lease', 'attempts', 'metrics', 'started', 'breaker',
  'outbox'})
local c = cursor(ARGV)
local gate, field, token, lease_ms = c.one(), c.one(), c.one(), c.one()
local first_metrics = c.rows(2)
if redis.call('HGET', K.meta, 'cancelled') == '1' or redis.call('HGET', K.status, gate) ~= 'running' then
  return {'stale', redis.call('HLEN', K.outbox)}
end
if redis.call('HEXISTS', K.checks, field) == 1 then return {'done', redis.call('HLEN', K.outbox)} end
local cur = redis.call('GET', K.lease)
if cur and cur ~= token then return {'busy', redis.call('PTTL', K.lease)} end
redis.call('SET', K.lease, token, 'PX', lease_ms)
local starts = tonumber(redis.call('HGET', K.attempts, field .. '|starts') or '0')
if not cur then
  starts = redis.call('HINCRBY', K.attempts, field .. '|starts', 1)
  keep_ttl(K.attempts, K.meta)
  if starts == 1 then
    for _, m in ipairs(first_metrics) do redis.call('HINCRBYFLOAT', K.metrics, m[1], m[2]) end
  end
end
local ends = tonumber(redis.call('HGET', K.attempts, field .. '|ends') or '0')
local started = redis.call('HGET', K.started, gate) or ''
local breaker = ''
if K.breaker ~= '' then breaker = redis.call('HGET', K.breaker, 'state') or 'closed' end
return {'ok', starts, ends, started, breaker}
