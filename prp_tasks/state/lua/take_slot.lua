-- A ready gate takes one of its run's in-flight slots, or waits for one (in order).
-- KEYS: slots, waiting, status, meta   ARGV: gate, limit   -> 1 (has a slot) | 0 (waits)
local K = named(KEYS, {'slots', 'waiting', 'status', 'meta'})
local gate, limit = ARGV[1], tonumber(ARGV[2])
if redis.call('SISMEMBER', K.slots, gate) == 1 then return 1 end
if holders(K) < limit then
  redis.call('SADD', K.slots, gate)
  keep_ttl(K.slots, K.meta)
  return 1
end
if not redis.call('LPOS', K.waiting, gate) then redis.call('RPUSH', K.waiting, gate) end
keep_ttl(K.waiting, K.meta)
return 0
