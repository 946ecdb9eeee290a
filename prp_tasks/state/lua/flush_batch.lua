-- Publish a role's open batch if it is still the one the sweeper saw (partial batch, window over).
-- KEYS: batch (of the role), audit (of the first member's run), global_audit, announced
-- ARGV: batch id, batch items key, event JSON, now (ms)
--   -> 1 published, 0 not (already full, or a new batch)
local K = named(KEYS, {'batch', 'audit', 'global_audit', 'announced'})
local batch_id, items, event, now_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', K.batch, 'id') ~= batch_id then return 0 end
redis.call('DEL', K.batch)
local decoded = cjson.decode(event)
decoded['details'] = {members=redis.call('LRANGE', items, 0, -1), reason='window'}
audit(K, 'approval.batch', cjson.encode(decoded))
redis.call('ZADD', K.announced, now_ms, batch_id)  -- the sweeper notifies the role's webhooks
return 1
