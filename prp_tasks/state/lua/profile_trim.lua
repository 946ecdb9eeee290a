-- Note a parsed profile's use and bound the cache: entries unused for ``ttl_ms`` and the least
-- recently used beyond ``max_entries`` are deleted.
-- KEYS: index, entry   ARGV: now_ms, ttl_ms, max_entries   -> how many were over the bound
local K = named(KEYS, {'index', 'entry'})
local now, ttl_ms, max_entries = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', K.index, now, K.entry)
redis.call('ZREMRANGEBYSCORE', K.index, '-inf', now - ttl_ms)
local excess = redis.call('ZCARD', K.index) - max_entries
if excess > 0 then
  local victims = redis.call('ZPOPMIN', K.index, excess)
  for i = 1, #victims, 2 do redis.call('DEL', victims[i]) end
end
return excess
