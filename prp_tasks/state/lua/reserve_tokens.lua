-- Charge a gate's token estimate to its run's budget, once per gate.
-- KEYS: tokens, meta   ARGV: gate, estimate, budget   -> {1 (charged or charged before) | 0, tokens left}
local K = named(KEYS, {'tokens', 'meta'})
local gate, estimate, budget = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('HEXISTS', K.tokens, gate) == 1 then return {1, -1} end
local used = tonumber(redis.call('HGET', K.tokens, '#used') or '0')
if used + estimate > budget then return {0, budget - used} end
redis.call('HINCRBY', K.tokens, '#used', estimate)
redis.call('HSET', K.tokens, gate, estimate)
keep_ttl(K.tokens, K.meta)
return {1, budget - used - estimate}
