-- Record one decision on a parked gate. An approval counts toward the quorum once per actor; the
-- approval reaching the quorum, or any rejection, settles the gate (and releases its dependents).
-- KEYS: SETTLE_KEYS, votes, pending, deadlines, reminders, escalations
-- ARGV: member, actor, decision, quorum, approval JSON, vote event JSON, then plan, settle
-- -> {'conflict', current} | {'duplicate', count} | {'counted', count} | settle's reply
local K = named(KEYS, SETTLE_KEYS, {'votes', 'pending', 'deadlines', 'reminders', 'escalations'})
local c = cursor(ARGV)
local member, actor, decision, quorum, approval, vote_event = c.one(), c.one(), c.one(), c.num(), c.one(), c.one()
local F = read_plan(c)
local S = read_settle(c)
local cur = redis.call('HGET', K.status, S.gate)
if cur ~= 'awaiting_approval' then return {'conflict', cur or ''} end
local field = S.gate .. '|' .. actor
if decision == 'approved' then
  if redis.call('HSETNX', K.votes, field, approval) == 0 then
    return {'duplicate', tonumber(redis.call('HGET', K.votes, S.gate .. '|#') or '0')}
  end
  keep_ttl(K.votes, K.meta)
  local count = redis.call('HINCRBY', K.votes, S.gate .. '|#', 1)
  if count < quorum then
    audit(K, 'approval.vote', vote_event)
    return {'counted', count}
  end
else
  redis.call('HSET', K.votes, field, approval)
  keep_ttl(K.votes, K.meta)
end
local r = settle(K, F, S)
unindex(K, member)
return r
