-- Fix a run's finish time once every gate settled: the first finalizer's time, so a finalization
-- done again renders the same outputs.
-- KEYS: meta   ARGV: now
-- -> '' when the run is finalized already or a gate is unsettled, else the finish time
local K = named(KEYS, {'meta'})
local state = redis.call('HMGET', K.meta, 'finalized', 'unsettled')
if state[1] == '1' or tonumber(state[2] or '1') > 0 then return '' end
redis.call('HSETNX', K.meta, 'finished_at_claim', ARGV[1])
return redis.call('HGET', K.meta, 'finished_at_claim')
