-- The outcome of a call through a circuit breaker: a trial closes or opens it again; a transient
-- failure counts toward ``threshold`` consecutive ones, which open it.
-- KEYS: breaker, metrics   ARGV: label, now_ms, ok (1/0), trial token, threshold
-- -> {state, changed (1/0)}
local K = named(KEYS, {'breaker', 'metrics'})
local label, now, ok, token, threshold = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1', ARGV[4], tonumber(ARGV[5])
local state = redis.call('HGET', K.breaker, 'state') or 'closed'
if state == 'half_open' then
  if redis.call('HGET', K.breaker, 'trial') ~= token then return {state, 0} end
  redis.call('HDEL', K.breaker, 'trial', 'trial_ms')
  redis.call('HSET', K.breaker, 'failures', ok and 0 or threshold)
  breaker_move(K, label, ok and 'closed' or 'open', now)
  return {ok and 'closed' or 'open', 1}
end
if state == 'open' then return {state, 0} end
if ok then
  redis.call('HSET', K.breaker, 'failures', 0)
  return {state, 0}
end
if redis.call('HINCRBY', K.breaker, 'failures', 1) >= threshold then
  breaker_move(K, label, 'open', now)
  return {'open', 1}
end
return {state, 0}
