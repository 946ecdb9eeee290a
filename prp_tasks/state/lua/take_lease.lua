-- Take (or renew) a named lease held by ``token``.   KEYS: lease   ARGV: token, ms   -> 1 | 0
local K = named(KEYS, {'lease'})
local cur = redis.call('GET', K.lease)
if cur == ARGV[1] or not cur then
  redis.call('SET', K.lease, ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
