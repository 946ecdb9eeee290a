-- A run finished (or '': look again): queued runs admitted now, oldest first.
-- KEYS: active, queue   ARGV: finished run id or '', limit   -> runs admitted
local K = named(KEYS, {'active', 'queue'})
local finished, limit = ARGV[1], tonumber(ARGV[2])
if finished ~= '' then
  redis.call('SREM', K.active, finished)
  redis.call('ZREM', K.queue, finished)
end
local out = {}
while redis.call('SCARD', K.active) < limit do
  local popped = redis.call('ZPOPMIN', K.queue)
  if #popped == 0 then break end
  redis.call('SADD', K.active, popped[1])
  out[#out + 1] = popped[1]
end
return out
