-- May a call go through a circuit breaker? Closed: yes. Open: no, until ``open_ms`` passed, then
-- one trial call (half open). Half open: one trial at a time.
-- KEYS: breaker, metrics   ARGV: label, now_ms, open_ms, trial token
-- -> {allowed (1/0), state, wait_ms, changed (1/0)}
local K = named(KEYS, {'breaker', 'metrics'})
local label, now, open_ms, token = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local state = redis.call('HGET', K.breaker, 'state') or 'closed'
if state == 'closed' then return {1, state, 0, 0} end
if state == 'open' then
  local opened = tonumber(redis.call('HGET', K.breaker, 'changed_ms') or '0')
  if now - opened < open_ms then return {0, state, opened + open_ms - now, 0} end
  breaker_move(K, label, 'half_open', now)
  redis.call('HSET', K.breaker, 'trial', token, 'trial_ms', now)
  return {1, 'half_open', 0, 1}
end
local trial_ms = tonumber(redis.call('HGET', K.breaker, 'trial_ms') or '0')
if now - trial_ms >= open_ms then
  redis.call('HSET', K.breaker, 'trial', token, 'trial_ms', now)
  return {1, state, 0, 0}
end
return {0, state, trial_ms + open_ms - now, 0}
