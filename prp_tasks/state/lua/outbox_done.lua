-- Outbox items that turned out to need nothing (moot, or done by another process).
-- KEYS: outbox, outbox_index   ARGV: run id, items...   -> items left
local K = named(KEYS, {'outbox', 'outbox_index'})
local F = {run_id = ARGV[1]}
for j = 2, #ARGV do redis.call('HDEL', K.outbox, ARGV[j]) end
local left = redis.call('HLEN', K.outbox)
if left == 0 then redis.call('ZREM', K.outbox_index, F.run_id) end
return left
