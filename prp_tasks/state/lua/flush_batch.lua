-- Publish a role's open batch if it is still the one the sweeper saw (partial batch, window over).
-- KEYS: batch (of the role), audit (of the first member's run), global_audit
-- ARGV: batch id, batch items key, event JSON   -> 1 published, 0 not (already full, or a new batch)
local K = named(KEYS, {'batch', 'audit', 'global_audit'})
local batch_id, items, event = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', K.batch, 'id') ~= batch_id then return 0 end
redis.call('DEL', K.batch)
local decoded = cjson.decode(event)
decoded['details'] = {members=redis.call('LRANGE', items, 0, -1), reason='window'}
audit(K, 'approval.batch', cjson.encode(decoded))
return 1
