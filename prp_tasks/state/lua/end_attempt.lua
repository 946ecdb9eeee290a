-- Give up an execution without a result (it will be retried): count it, free the lease.
-- KEYS: lease, attempts   ARGV: field, token
local K = named(KEYS, {'lease', 'attempts'})
local field, token = ARGV[1], ARGV[2]
redis.call('HINCRBY', K.attempts, field .. '|ends', 1)
if redis.call('GET', K.lease) == token then redis.call('DEL', K.lease) end
return 1
