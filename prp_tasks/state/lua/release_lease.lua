-- Give a named lease back if ``token`` still holds it.   KEYS: lease   ARGV: token   -> 1 | 0
local K = named(KEYS, {'lease'})
if redis.call('GET', K.lease) == ARGV[1] then return redis.call('DEL', K.lease) end
return 0
