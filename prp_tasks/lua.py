"""Lua scripts behind every state transition that must be atomic (joins, claims, settles).

Each script touches the keys of one run, plus shared keys (metrics, the global audit stream, a
check's breaker), so Redis Cluster is not supported (docs/deployment.md). Statuses are the strings
of :class:`prp_tasks.core.models.GateStatus`.
"""

from __future__ import annotations

#: Take the execution lease of a check (the first execution also records its queue wait).
#: KEYS: meta, status, checks, lease, attempts, metrics, started[, breaker]
#: ARGV: gate, field, token, lease_ms, n_metrics, (field, increment)...
#: -> {"stale"} | {"done"} | {"busy", pttl} | {"ok", starts, ends, gate started_at[, breaker state]}
ACQUIRE = """
if redis.call('HGET', KEYS[1], 'cancelled') == '1' then return {'stale'} end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= 'running' then return {'stale'} end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return {'done'} end
local cur = redis.call('GET', KEYS[4])
if cur and cur ~= ARGV[3] then return {'busy', redis.call('PTTL', KEYS[4])} end
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
local starts = tonumber(redis.call('HGET', KEYS[5], ARGV[2] .. '|starts') or '0')
if not cur then
  starts = redis.call('HINCRBY', KEYS[5], ARGV[2] .. '|starts', 1)
  if redis.call('TTL', KEYS[5]) < 0 then redis.call('EXPIRE', KEYS[5], redis.call('TTL', KEYS[1])) end
  if starts == 1 then
    for j = 0, tonumber(ARGV[5]) - 1 do
      redis.call('HINCRBYFLOAT', KEYS[6], ARGV[6 + 2 * j], ARGV[7 + 2 * j])
    end
  end
end
local ends = tonumber(redis.call('HGET', KEYS[5], ARGV[2] .. '|ends') or '0')
local started = redis.call('HGET', KEYS[7], ARGV[1]) or ''
if KEYS[8] then return {'ok', starts, ends, started, redis.call('HGET', KEYS[8], 'state') or 'closed'} end
return {'ok', starts, ends, started}
"""

#: Extend a lease the caller still holds; report whether the check should keep running.
#: KEYS: meta, status, lease   ARGV: gate, token, lease_ms  -> {held(0/1), gate status, cancelled}
HEARTBEAT = """
local held = 0
if redis.call('GET', KEYS[3]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  held = 1
end
return {held, redis.call('HGET', KEYS[2], ARGV[1]) or '', redis.call('HGET', KEYS[1], 'cancelled') or '0'}
"""

#: Give up an execution without a result (it will be retried): count it, free the lease.
#: KEYS: lease, attempts   ARGV: field, token
END_ATTEMPT = """
redis.call('HINCRBY', KEYS[2], ARGV[1] .. '|ends', 1)
if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
return 1
"""

#: Claim a check's result exactly once and count down the gate's join (and record its metrics and
#: the files it produced: only the winning claim indexes them).
#: KEYS: status, checks, left, lease, metrics, files, started[, breaker]
#: ARGV: gate, field, result_json, token, n_metrics, (field, increment)..., n_files, (field, meta)...,
#:       n_checks, check_field... (the gate's checks)
#: -> {"stale", -1} | {"fenced", -1} | {"dup", left} | {"ok", left}
#:    | {"ok", 0, started_at, result_json|""...} when this claim completed the gate's join
RECORD_CHECK = """
if KEYS[8] then  -- a call that went through a closed breaker succeeded: reset its failure count
  local state = redis.call('HGET', KEYS[8], 'state')
  if not state or state == 'closed' then redis.call('HSET', KEYS[8], 'failures', 0) end
end
if redis.call('HGET', KEYS[1], ARGV[1]) ~= 'running' then return {'stale', -1} end
local cur = redis.call('GET', KEYS[4])
if cur and cur ~= ARGV[4] then return {'fenced', -1} end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then
  return {'dup', tonumber(redis.call('HGET', KEYS[3], ARGV[1]))}
end
if redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], redis.call('TTL', KEYS[1])) end
local left = redis.call('HINCRBY', KEYS[3], ARGV[1], -1)
if cur then redis.call('DEL', KEYS[4]) end
local nm = tonumber(ARGV[5])
for j = 0, nm - 1 do
  redis.call('HINCRBYFLOAT', KEYS[5], ARGV[6 + 2 * j], ARGV[7 + 2 * j])
end
local i = 6 + 2 * nm
for j = 0, tonumber(ARGV[i]) - 1 do
  redis.call('HSET', KEYS[6], ARGV[i + 1 + 2 * j], ARGV[i + 2 + 2 * j])
end
if tonumber(ARGV[i]) > 0 and redis.call('TTL', KEYS[6]) < 0 then
  redis.call('EXPIRE', KEYS[6], redis.call('TTL', KEYS[2]))
end
if left ~= 0 then return {'ok', left} end
-- the join is complete: hand back what evaluating the gate needs (its start, every result)
local f = i + 1 + 2 * tonumber(ARGV[i])
local out = {'ok', left, redis.call('HGET', KEYS[7], ARGV[1]) or ''}
for j = 1, tonumber(ARGV[f]) do out[#out + 1] = redis.call('HGET', KEYS[2], ARGV[f + j]) or '' end
return out
"""

#: Shared by every script that settles a gate. ``K`` = {meta, status, deps, records, started,
#: events, audit, outputs, global_audit, metrics}; ``A`` = ARGV; settle arguments start at ``A[i]``:
#:   gate, from, to, record_json, now,
#:   n_dependents, dependents..., n_skips, (gate, record_json)..., n_outputs, (name, content)...,
#:   n_audit, (type, event_json)..., n_metrics, (field, increment)...
#: Moves ``gate`` from ``from`` to ``to``; when ``to`` is passed, counts down each dependent and
#: marks those reaching zero as running (returned as ready); skips still-pending ``skips``;
#: stores outputs; appends audit events to the run's and the global stream.
#: -> {"conflict", current} | {"ok", unsettled, ready...}
SETTLE_FN = """
local function move(K, from, to, n)
  if from and from ~= '' then redis.call('HINCRBY', K[10], 'gates|state=' .. from, -n) end
  redis.call('HINCRBY', K[10], 'gates|state=' .. to, n)
end

local function audit(K, kind, event)
  redis.call('XADD', K[7], '*', 'type', kind, 'event', event)
  redis.call('XADD', K[9], 'MAXLEN', '~', 100000, '*', 'type', kind, 'event', event)
end

local function settle(K, A, i)
  local gate, from, to, record, now = A[i], A[i + 1], A[i + 2], A[i + 3], A[i + 4]
  local cur = redis.call('HGET', K[2], gate)
  if cur ~= from then return {'conflict', cur or ''} end
  local terminal = {passed=true, failed=true, skipped=true}
  redis.call('HSET', K[2], gate, to)
  move(K, cur, to, 1)
  redis.call('HSET', K[4], gate, record)
  local unsettled = tonumber(redis.call('HGET', K[1], 'unsettled'))
  if terminal[to] then
    unsettled = redis.call('HINCRBY', K[1], 'unsettled', -1)
    redis.call('RPUSH', K[6], cjson.encode({gate_id=gate, type='settle', status=to, timestamp=now}))
  end
  i = i + 5
  local n = tonumber(A[i])
  local ready = {}
  for j = 1, n do
    local dep = A[i + j]
    if to == 'passed' then
      local left = redis.call('HINCRBY', K[3], dep, -1)
      if left <= 0 and redis.call('HGET', K[2], dep) == 'pending' then
        redis.call('HSET', K[2], dep, 'running')
        move(K, 'pending', 'running', 1)
        redis.call('HSET', K[5], dep, now)
        redis.call('RPUSH', K[6], cjson.encode({gate_id=dep, type='start', timestamp=now}))
        ready[#ready + 1] = dep
      end
    end
  end
  i = i + n + 1
  n = tonumber(A[i])
  for j = 0, n - 1 do
    local sg, rec = A[i + 1 + 2 * j], A[i + 2 + 2 * j]
    if redis.call('HGET', K[2], sg) == 'pending' then
      redis.call('HSET', K[2], sg, 'skipped')
      move(K, 'pending', 'skipped', 1)
      redis.call('HSET', K[4], sg, rec)
      unsettled = redis.call('HINCRBY', K[1], 'unsettled', -1)
      local event = {gate_id=sg, type='settle', status='skipped', timestamp=now}
      redis.call('RPUSH', K[6], cjson.encode(event))
    end
  end
  i = i + 2 * n + 1
  n = tonumber(A[i])
  for j = 0, n - 1 do
    redis.call('HSET', K[8], A[i + 1 + 2 * j], A[i + 2 + 2 * j])
  end
  i = i + 2 * n + 1
  n = tonumber(A[i])
  for j = 0, n - 1 do
    audit(K, A[i + 1 + 2 * j], A[i + 2 + 2 * j])
  end
  i = i + 2 * n + 1
  n = tonumber(A[i])
  for j = 0, n - 1 do
    redis.call('HINCRBYFLOAT', K[10], A[i + 1 + 2 * j], A[i + 2 + 2 * j])
  end
  local ttl = redis.call('TTL', K[1])
  for _, key in ipairs({K[7], K[8]}) do
    if redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ttl) end
  end
  redis.call('HSET', K[1], 'updated_at', now)
  local out = {'ok', unsettled}
  for _, g in ipairs(ready) do out[#out + 1] = g end
  return out
end
"""

#: Settle one gate (checks reported, or a skip): KEYS = the nine settle keys, ARGV = settle args.
SETTLE = SETTLE_FN + "return settle(KEYS, ARGV, 1)\n"

#: Claim the result of a gate's only check and, when that claim completes the join, settle the
#: gate in the same script with the record evaluated beforehand (from that one result).
#: KEYS: RECORD_CHECK's keys (n of them), then SETTLE_FN's ten
#: ARGV: n, m, RECORD_CHECK's m arguments (no gate checks to read back), SETTLE_FN's arguments
#: -> {record reply} when the claim did not complete the join, else {record reply, settle reply}
RECORD_AND_SETTLE = (
    SETTLE_FN
    + "local function record(KEYS, ARGV)\n"
    + RECORD_CHECK
    + """end
local n, m = tonumber(ARGV[1]), tonumber(ARGV[2])
local rk, ra, sk = {}, {}, {}
for j = 1, n do rk[j] = KEYS[j] end
for j = n + 1, #KEYS do sk[j - n] = KEYS[j] end
for j = 1, m do ra[j] = ARGV[2 + j] end
local claimed = record(rk, ra)
if claimed[1] ~= 'ok' or claimed[2] ~= 0 then return {claimed} end
return {claimed, settle(sk, ARGV, 3 + m)}
"""
)

#: Cancel a run: every gate not yet terminal becomes skipped.
#: KEYS: meta, status, records, events, audit, global_audit, metrics
#: ARGV: now, audit_json, n, (gate, record_json)...
#: -> {"already"} | {"ok", unsettled}
CANCEL = """
if redis.call('HGET', KEYS[1], 'cancelled') == '1' or redis.call('HGET', KEYS[1], 'finalized') == '1' then
  return {'already'}
end
redis.call('HSET', KEYS[1], 'cancelled', '1', 'cancelled_at', ARGV[1], 'updated_at', ARGV[1])
redis.call('XADD', KEYS[5], '*', 'type', 'run.cancelled', 'event', ARGV[2])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', 100000, '*', 'type', 'run.cancelled', 'event', ARGV[2])
if redis.call('TTL', KEYS[5]) == -1 then redis.call('EXPIRE', KEYS[5], redis.call('TTL', KEYS[1])) end
local terminal = {passed=true, failed=true, skipped=true}
local unsettled = tonumber(redis.call('HGET', KEYS[1], 'unsettled'))
local n = tonumber(ARGV[3])
for j = 0, n - 1 do
  local g, rec = ARGV[4 + 2 * j], ARGV[5 + 2 * j]
  local cur = redis.call('HGET', KEYS[2], g)
  if cur and not terminal[cur] then
    redis.call('HSET', KEYS[2], g, 'skipped')
    redis.call('HINCRBY', KEYS[7], 'gates|state=' .. cur, -1)
    redis.call('HINCRBY', KEYS[7], 'gates|state=skipped', 1)
    redis.call('HSET', KEYS[3], g, rec)
    unsettled = redis.call('HINCRBY', KEYS[1], 'unsettled', -1)
    local event = {gate_id=g, type='settle', status='skipped', timestamp=ARGV[1], message='cancelled'}
    redis.call('RPUSH', KEYS[4], cjson.encode(event))
  end
end
return {'ok', unsettled}
"""

#: Commit a run's final outputs once and start its retention clock.
#: KEYS: meta, outputs, metrics, then every other state key
#: ARGV: status, finished_at, retention_s, n, (name, content)...
#: -> 0 when already finalized, 1 when this call committed
FINALIZE = """
if redis.call('HGET', KEYS[1], 'finalized') == '1' then return 0 end
local n = tonumber(ARGV[4])
for j = 0, n - 1 do
  redis.call('HSET', KEYS[2], ARGV[5 + 2 * j], ARGV[6 + 2 * j])
end
local was = redis.call('HGET', KEYS[1], 'status') == 'queued' and 'queued' or 'running'
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2], 'updated_at', ARGV[2],
  'finalized', '1')
redis.call('HINCRBY', KEYS[3], 'runs|state=' .. was, -1)
redis.call('HINCRBY', KEYS[3], 'runs|state=' .. ARGV[1], 1)
for k = 1, #KEYS do
  if k ~= 3 then redis.call('EXPIRE', KEYS[k], ARGV[3]) end
end
return 1
"""

#: Re-open a gate and its dependents for another execution (``run_prp_step`` with force).
#: KEYS: meta, status, deps, left, started, records, checks, attempts, events, audit, global_audit,
#:       votes, requests, outputs, metrics
#: ARGV: now, target, run_ttl, event_json, n, (gate, deps_left, n_checks, n_fields, fields...)...,
#:       n_outputs, output names...
#: Every reset gate must be settled or pending (none running or parked) and the run not cancelled.
#: -> {"conflict", reason} | {"ok", unsettled}
RERUN = """
if redis.call('HGET', KEYS[1], 'cancelled') == '1' then return {'conflict', 'the run was cancelled'} end
local now, target = ARGV[1], ARGV[2]
local n = tonumber(ARGV[5])
local i = 6
local plan = {}
for j = 1, n do
  local gate, deps, checks, nf = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local fields = {}
  for f = 1, nf do fields[#fields + 1] = ARGV[i + 3 + f] end
  local cur = redis.call('HGET', KEYS[2], gate)
  if cur == 'running' or cur == 'awaiting_approval' then
    return {'conflict', gate .. ' is ' .. cur}
  end
  plan[#plan + 1] = {gate=gate, deps=deps, checks=checks, fields=fields, cur=cur}
  i = i + 4 + nf
end
local terminal = {passed=true, failed=true, skipped=true}
local unsettled = tonumber(redis.call('HGET', KEYS[1], 'unsettled'))
if redis.call('HGET', KEYS[1], 'finalized') == '1' then
  redis.call('HINCRBY', KEYS[15], 'runs|state=' .. redis.call('HGET', KEYS[1], 'status'), -1)
  redis.call('HINCRBY', KEYS[15], 'runs|state=running', 1)
end
for _, p in ipairs(plan) do
  if terminal[p.cur] then unsettled = redis.call('HINCRBY', KEYS[1], 'unsettled', 1) end
  local new = p.gate == target and 'running' or 'pending'
  redis.call('HSET', KEYS[2], p.gate, new)
  redis.call('HINCRBY', KEYS[15], 'gates|state=' .. p.cur, -1)
  redis.call('HINCRBY', KEYS[15], 'gates|state=' .. new, 1)
  redis.call('HSET', KEYS[3], p.gate, p.deps)
  redis.call('HSET', KEYS[4], p.gate, p.checks)
  redis.call('HDEL', KEYS[6], p.gate)
  redis.call('HDEL', KEYS[13], p.gate)
  for _, f in ipairs(p.fields) do
    redis.call('HDEL', KEYS[7], f)
    redis.call('HDEL', KEYS[8], f .. '|starts', f .. '|ends')
  end
  for _, v in ipairs(redis.call('HKEYS', KEYS[12])) do
    if string.sub(v, 1, #p.gate + 1) == p.gate .. '|' then redis.call('HDEL', KEYS[12], v) end
  end
  for _, v in ipairs(redis.call('HKEYS', KEYS[16])) do
    if string.sub(v, 1, #p.gate + 1) == p.gate .. '/' then redis.call('HDEL', KEYS[16], v) end
  end
end
local no = tonumber(ARGV[i])
for j = 1, no do redis.call('HDEL', KEYS[14], ARGV[i + j]) end
redis.call('HSET', KEYS[5], target, now)
redis.call('RPUSH', KEYS[9], cjson.encode({gate_id=target, type='start', timestamp=now}))
redis.call('HSET', KEYS[1], 'status', 'running', 'finalized', '0', 'updated_at', now)
redis.call('HDEL', KEYS[1], 'finished_at', 'finished_at_claim')
redis.call('XADD', KEYS[10], '*', 'type', 'gate.rerun', 'event', ARGV[4])
redis.call('XADD', KEYS[11], 'MAXLEN', '~', 100000, '*', 'type', 'gate.rerun', 'event', ARGV[4])
for k = 1, #KEYS do
  local global = k == 11 or k == 15
  if not global and redis.call('EXISTS', KEYS[k]) == 1 then redis.call('EXPIRE', KEYS[k], ARGV[3]) end
end
return {'ok', unsettled}
"""

#: Start an admitted run that was queued: its roots become running.
#: KEYS: meta, status, started, events, metrics  ARGV: now, roots... -> 1 started | 0 not queued
START_QUEUED = """
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' or redis.call('HGET', KEYS[1], 'cancelled') == '1' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'running', 'updated_at', ARGV[1])
redis.call('HINCRBY', KEYS[5], 'runs|state=queued', -1)
redis.call('HINCRBY', KEYS[5], 'runs|state=running', 1)
for j = 2, #ARGV do
  local g = ARGV[j]
  if redis.call('HGET', KEYS[2], g) == 'pending' then
    redis.call('HSET', KEYS[2], g, 'running')
    redis.call('HINCRBY', KEYS[5], 'gates|state=pending', -1)
    redis.call('HINCRBY', KEYS[5], 'gates|state=running', 1)
    redis.call('HSET', KEYS[3], g, ARGV[1])
    redis.call('RPUSH', KEYS[4], cjson.encode({gate_id=g, type='start', timestamp=ARGV[1]}))
  end
end
return 1
"""

#: Skip gates still pending (a budget ran out before they could start).
#: KEYS: meta, status, records, events, metrics  ARGV: now, reason, n, (gate, record_json)...
#: -> {"ok", unsettled, skipped gates...}
SKIP_PENDING = """
if redis.call('HGET', KEYS[1], 'finalized') == '1' then return {'ok', -1} end
local unsettled = tonumber(redis.call('HGET', KEYS[1], 'unsettled'))
local out = {}
for j = 0, tonumber(ARGV[3]) - 1 do
  local g, rec = ARGV[4 + 2 * j], ARGV[5 + 2 * j]
  if redis.call('HGET', KEYS[2], g) == 'pending' then
    redis.call('HSET', KEYS[2], g, 'skipped')
    redis.call('HINCRBY', KEYS[5], 'gates|state=pending', -1)
    redis.call('HINCRBY', KEYS[5], 'gates|state=skipped', 1)
    redis.call('HSET', KEYS[3], g, rec)
    unsettled = redis.call('HINCRBY', KEYS[1], 'unsettled', -1)
    local event = {gate_id=g, type='settle', status='skipped', timestamp=ARGV[1], message=ARGV[2]}
    redis.call('RPUSH', KEYS[4], cjson.encode(event))
    out[#out + 1] = g
  end
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[1])
return {'ok', unsettled, unpack(out)}
"""
