-- Store a decision for a gate that has not parked yet (it applies when the gate parks).
-- KEYS: status, preapprovals, audit, global_audit, preapproved, meta
-- ARGV: gate, actor, approval JSON, event JSON, member
-- -> {'stored'} | {'parked'} (decide it now instead) | {'conflict', current}
local K = named(KEYS, {'status', 'preapprovals', 'audit', 'global_audit', 'preapproved', 'meta'})
local gate, actor, approval, event, member = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local cur = redis.call('HGET', K.status, gate)
if cur == 'awaiting_approval' then return {'parked'} end
if cur ~= 'pending' and cur ~= 'running' then return {'conflict', cur or ''} end
redis.call('HSET', K.preapprovals, gate .. '|' .. actor, approval)
keep_ttl(K.preapprovals, K.meta)
redis.call('SADD', K.preapproved, member)
audit(K, 'approval.preapproved', event)
return {'stored'}
