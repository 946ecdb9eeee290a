"""Lua scripts of the approval lifecycle: park, decide (votes and quorum), pre-approve, expire.

Each builds on :data:`prp_tasks.lua.SETTLE_FN`, so a decision settles its gate and releases the
gate's dependents in the same atomic step. KEYS always start with the ten settle keys
(meta, status, deps, records, started, events, audit, outputs, global_audit, metrics).
"""

from __future__ import annotations

from prp_tasks.lua import SETTLE_FN

_CLEANUP = """
local function unindex(first, member)
  for k = first, first + 3 do redis.call('ZREM', KEYS[k], member) end
end

local function keep_ttl(key)
  if redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, redis.call('TTL', KEYS[1])) end
end
"""

#: Park a gate whose checks passed: settle it to awaiting_approval, record the request, index it
#: for listing/expiry/reminders/escalation, and put it in its role's notification batch.
#: KEYS: 10 settle keys, requests, pending, deadlines, reminders, escalations, batch(role)
#: ARGV: member, request_json, requested_event_json, requested_ms, deadline_ms, reminder_ms,
#:       escalate_ms, batch_size, new_batch_id, batch_items_prefix, role, now,
#:       then settle args (from ARGV[13])
#: -> {"conflict", current} | {"ok", unsettled, batch_id, published(0/1)}
#: stands for the batch id in the request and event JSON until the script knows it
BATCH_PLACEHOLDER = "@@BATCH@@"

PARK = (
    SETTLE_FN
    + _CLEANUP
    + f"local BATCH_PLACEHOLDER = '{BATCH_PLACEHOLDER}'\n"
    + """
local member = ARGV[1]
local r = settle(KEYS, ARGV, 13)
if r[1] ~= 'ok' then return r end
local gate = ARGV[13]
local bid = redis.call('HGET', KEYS[16], 'id')
if not bid then
  bid = ARGV[9]
  redis.call('HSET', KEYS[16], 'id', bid, 'created', ARGV[4], 'role', ARGV[11])
end
local items = ARGV[10] .. bid
redis.call('RPUSH', items, member)
redis.call('EXPIRE', items, 7 * 86400)
redis.call('HSET', KEYS[11], gate, (string.gsub(ARGV[2], BATCH_PLACEHOLDER, bid)))
keep_ttl(KEYS[11])
redis.call('ZADD', KEYS[12], ARGV[4], member)
redis.call('ZADD', KEYS[13], ARGV[5], member)
if tonumber(ARGV[6]) > 0 then redis.call('ZADD', KEYS[14], ARGV[6], member) end
if tonumber(ARGV[7]) > 0 then redis.call('ZADD', KEYS[15], ARGV[7], member) end
audit(KEYS, 'approval.requested', (string.gsub(ARGV[3], BATCH_PLACEHOLDER, bid)))
local published = 0
if redis.call('LLEN', items) >= tonumber(ARGV[8]) then
  redis.call('DEL', KEYS[16])
  local run_id = string.match(member, '^(.*)/[^/]*$')
  local batch = {type='approval.batch', run_id=run_id, at=ARGV[12], batch_id=bid,
                 role=ARGV[11], details={members=redis.call('LRANGE', items, 0, -1), reason='full'}}
  audit(KEYS, 'approval.batch', cjson.encode(batch))
  published = 1
end
return {'ok', r[2], bid, published}
"""
)

#: Record one decision on a parked gate. An approval counts toward the quorum once per actor; the
#: approval reaching the quorum, or any rejection, settles the gate (and releases dependents).
#: KEYS: 10 settle keys, votes, pending, deadlines, reminders, escalations
#: ARGV: member, actor, decision, quorum, approval_json, vote_event_json, then settle args (ARGV[7])
#: -> {"conflict", current} | {"duplicate", count} | {"counted", count} | {"ok", unsettled, ready...}
DECIDE = (
    SETTLE_FN
    + _CLEANUP
    + """
local member, actor, decision, quorum = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local gate = ARGV[7]
local cur = redis.call('HGET', KEYS[2], gate)
if cur ~= 'awaiting_approval' then return {'conflict', cur or ''} end
local field = gate .. '|' .. actor
if decision == 'approved' then
  if redis.call('HSETNX', KEYS[11], field, ARGV[5]) == 0 then
    return {'duplicate', tonumber(redis.call('HGET', KEYS[11], gate .. '|#') or '0')}
  end
  keep_ttl(KEYS[11])
  local count = redis.call('HINCRBY', KEYS[11], gate .. '|#', 1)
  if count < quorum then
    audit(KEYS, 'approval.vote', ARGV[6])
    return {'counted', count}
  end
else
  redis.call('HSET', KEYS[11], field, ARGV[5])
  keep_ttl(KEYS[11])
end
local r = settle(KEYS, ARGV, 7)
unindex(12, member)
return r
"""
)

#: Settle a parked gate whose deadline passed (failed, or approved by ``auto`` per policy).
#: KEYS: 10 settle keys, pending, deadlines, reminders, escalations
#: ARGV: member, then settle args (ARGV[2])   -> {"stale", current} | {"ok", unsettled, ready...}
EXPIRE = (
    SETTLE_FN
    + _CLEANUP
    + """
local member, gate = ARGV[1], ARGV[2]
local cur = redis.call('HGET', KEYS[2], gate)
if cur ~= 'awaiting_approval' then
  unindex(11, member)
  return {'stale', cur or ''}
end
local r = settle(KEYS, ARGV, 2)
unindex(11, member)
return r
"""
)

#: Store a decision for a gate that has not parked yet (it applies when the gate parks).
#: KEYS: status, preapprovals, audit, global_audit, preapproved, meta
#: ARGV: gate, actor, approval_json, event_json, member
#: -> {"stored"} | {"parked"} (decide it now instead) | {"conflict", current}
PREAPPROVE = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur == 'awaiting_approval' then return {'parked'} end
if cur ~= 'pending' and cur ~= 'running' then return {'conflict', cur or ''} end
redis.call('HSET', KEYS[2], ARGV[1] .. '|' .. ARGV[2], ARGV[3])
if redis.call('TTL', KEYS[2]) == -1 then redis.call('EXPIRE', KEYS[2], redis.call('TTL', KEYS[6])) end
redis.call('SADD', KEYS[5], ARGV[5])
redis.call('XADD', KEYS[3], '*', 'type', 'approval.preapproved', 'event', ARGV[4])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', 100000, '*', 'type', 'approval.preapproved', 'event', ARGV[4])
return {'stored'}
"""

#: Publish a role's open batch if it is still the one the sweeper saw (partial batch, window over).
#: KEYS: batch(role), run audit of the first member, global_audit   ARGV: batch_id, items_key, event
#: -> 1 published, 0 not (already full, or a new batch)
FLUSH_BATCH = """
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local event = cjson.decode(ARGV[3])
event['details'] = {members=redis.call('LRANGE', ARGV[2], 0, -1), reason='window'}
local text = cjson.encode(event)
redis.call('XADD', KEYS[2], '*', 'type', 'approval.batch', 'event', text)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100000, '*', 'type', 'approval.batch', 'event', text)
return 1
"""
