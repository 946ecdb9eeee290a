-- Extend a lease the caller still holds; report whether the check should keep running.
-- KEYS: meta, status, lease   ARGV: gate, token, lease_ms
-- -> {held (0/1), gate status, cancelled ('0'/'1')}
local K = named(KEYS, {'meta', 'status', 'lease'})
local gate, token, lease_ms = ARGV[1], ARGV[2], ARGV[3]
local held = 0
if redis.call('GET', K.lease) == token then
  redis.call('PEXPIRE', K.lease, lease_ms)
  held = 1
end
return {held, redis.call('HGET', K.status, gate) or '', redis.call('HGET', K.meta, 'cancelled') or '0'}
