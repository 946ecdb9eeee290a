-- Extend a lease the caller still holds; report whether the check should keep running.
-- A lease that went while its check ran (it expired while Redis or the worker stalled longer than
-- the lease, or a failover lost the write) and that nobody took since is the caller's again: the
-- check goes on and records once. One another delivery took is not: that one runs the check.
-- KEYS: meta, status, lease   ARGV: gate, token, lease_ms
-- -> {held (0/1), gate status, cancelled ('0'/'1')}
local K = named(KEYS, {'meta', 'status', 'lease'})
local gate, token, lease_ms = ARGV[1], ARGV[2], ARGV[3]
local status = redis.call('HGET', K.status, gate) or ''
local cancelled = redis.call('HGET', K.meta, 'cancelled') or '0'
local cur = redis.call('GET', K.lease)
local held = 0
if cur == token then
  redis.call('PEXPIRE', K.lease, lease_ms)
  held = 1
elseif not cur and status == 'running' and cancelled ~= '1' then
  redis.call('SET', K.lease, token, 'PX', lease_ms)
  held = 1
end
return {held, status, cancelled}
