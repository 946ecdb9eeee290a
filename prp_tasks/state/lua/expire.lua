-- Settle a parked gate whose deadline passed (failed, or approved by ``auto`` per policy).
-- KEYS: SETTLE_KEYS, pending, deadlines, reminders, escalations   ARGV: member, then plan, settle
-- -> {'stale', current} | settle's reply
local K = named(KEYS, SETTLE_KEYS, {'pending', 'deadlines', 'reminders', 'escalations'})
local c = cursor(ARGV)
local member = c.one()
local F = read_plan(c)
local S = read_settle(c)
local cur = redis.call('HGET', K.status, S.gate)
if cur ~= 'awaiting_approval' then
  unindex(K, member)
  return {'stale', cur or ''}
end
local r = settle(K, F, S)
unindex(K, member)
return r
