-- Park a gate whose checks passed: settle it to awaiting_approval, record the request, index it for
-- listing, expiry, reminders and escalation, put it in its role's notification batch, and leave
-- the pre-approvals waiting for it (if any) in the outbox, to be applied next.
-- KEYS: SETTLE_KEYS, requests, pending, deadlines, reminders, escalations, batch (of the role),
--       preapproved, announced (published batches waiting for their notifications)
-- ARGV: member, request JSON, requested event JSON, requested_ms, deadline_ms, reminder_ms (0: none),
--       escalate_ms (0: none), batch size, new batch id, batch items key prefix, role, now,
--       then plan, settle
-- The request and event JSON hold BATCH_PLACEHOLDER where the batch id goes.
-- -> {'conflict', current} | {'ok', unsettled, batch id, published (0/1), outbox items (added)}
local BATCH_PLACEHOLDER = '@@BATCH@@'  -- prp_tasks.approvals.store.BATCH_PLACEHOLDER
local K = named(KEYS, SETTLE_KEYS, {'requests', 'pending', 'deadlines', 'reminders', 'escalations',
  'batch', 'preapproved', 'announced'})
local c = cursor(ARGV)
local member, request, requested = c.one(), c.one(), c.one()
local requested_ms, deadline_ms, reminder_ms, escalate_ms = c.one(), c.one(), c.num(), c.num()
local batch_size, new_batch_id, items_prefix, role, now = c.num(), c.one(), c.one(), c.one(), c.one()
local F = read_plan(c)
local S = read_settle(c)
local r = settle(K, F, S)
if r[1] ~= 'ok' then return r end
local bid = redis.call('HGET', K.batch, 'id')
if not bid then
  bid = new_batch_id
  redis.call('HSET', K.batch, 'id', bid, 'created', requested_ms, 'role', role)
end
local items = items_prefix .. bid
redis.call('RPUSH', items, member)
redis.call('EXPIRE', items, 7 * 86400)
redis.call('HSET', K.requests, S.gate, (string.gsub(request, BATCH_PLACEHOLDER, bid)))
keep_ttl(K.requests, K.meta)
redis.call('ZADD', K.pending, requested_ms, member)
redis.call('ZADD', K.deadlines, deadline_ms, member)
if reminder_ms > 0 then redis.call('ZADD', K.reminders, reminder_ms, member) end
if escalate_ms > 0 then redis.call('ZADD', K.escalations, escalate_ms, member) end
audit(K, 'approval.requested', (string.gsub(requested, BATCH_PLACEHOLDER, bid)))
local published = 0
if redis.call('LLEN', items) >= batch_size then
  redis.call('DEL', K.batch)
  local batch = {type='approval.batch', run_id=F.run_id, at=now, batch_id=bid, role=role,
                 details={members=redis.call('LRANGE', items, 0, -1), reason='full'}}
  audit(K, 'approval.batch', cjson.encode(batch))
  redis.call('ZADD', K.announced, requested_ms, bid)  -- the sweeper notifies the role's webhooks
  published = 1
end
if redis.call('SISMEMBER', K.preapproved, member) == 1 then outbox_add(K, F, 'preapproval:' .. S.gate) end
return {'ok', r[2], bid, published, added(F)}
