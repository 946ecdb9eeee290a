-- Shared by every script (prepended to each): named keys, an ARGV cursor, metric counts, audit
-- appends, lifecycle events, the run's outbox of follow-up work, and settling a gate.
--
-- KEYS are bound to names with named(KEYS, {...}); the Python side builds them from a NamedTuple
-- with the same field names in the same order (tests/integration/test_lua_scripts.py compares
-- them). ARGV is read in order with a cursor: one(), num(), list() (a count, then that many
-- values) and rows(width) (a count, then that many rows of ``width`` values), mirroring
-- prp_tasks.lua.Args on the Python side.

local SETTLE_KEYS = {'meta', 'status', 'deps', 'records', 'started', 'events', 'audit', 'outputs',
  'global_audit', 'metrics', 'outbox', 'outbox_index', 'dispatched', 'dispatch_index', 'lifecycle',
  'slots', 'waiting'}
-- what claiming a check's result needs besides the settle keys (breaker: '' when the check has none)
local CLAIM_KEYS = {'checks', 'left', 'lease', 'files', 'breaker'}

local function named(values, ...)
  local out, i = {}, 1
  for _, names in ipairs({...}) do
    for _, name in ipairs(names) do
      out[name] = values[i]
      i = i + 1
    end
  end
  return out
end

local function cursor(args, first)
  local c = {i = first or 1}
  function c.one()
    local v = args[c.i]
    c.i = c.i + 1
    return v
  end
  function c.num() return tonumber(c.one()) end
  function c.list()
    local out = {}
    for j = 1, c.num() do out[j] = c.one() end
    return out
  end
  function c.rows(width)
    local out = {}
    for j = 1, c.num() do
      local row = {}
      for w = 1, width do row[w] = c.one() end
      out[j] = row
    end
    return out
  end
  return c
end

-- a key that has no TTL yet gets the one of ``like`` (the run's meta: the run's life)
local function keep_ttl(key, like)
  if redis.call('TTL', key) == -1 then
    local ttl = redis.call('TTL', like)
    if ttl > 0 then redis.call('EXPIRE', key, ttl) end
  end
end

-- move ``n`` gates from one state gauge to another (``from`` may be empty: no gauge to leave)
local function move(metrics, from, to, n)
  if from and from ~= '' then redis.call('HINCRBY', metrics, 'gates|state=' .. from, -n) end
  redis.call('HINCRBY', metrics, 'gates|state=' .. to, n)
end

-- move a run from one state gauge to another (queued, running, passed, failed, cancelled)
local function move_run(metrics, from, to)
  redis.call('HINCRBY', metrics, 'runs|state=' .. from, -1)
  redis.call('HINCRBY', metrics, 'runs|state=' .. to, 1)
end

-- a parked gate leaves the global approval indexes
local function unindex(K, member)
  for _, key in ipairs({K.pending, K.deadlines, K.reminders, K.escalations}) do redis.call('ZREM', key, member) end
end

-- a circuit breaker changes state: recorded with its gauges and transition counter
local function breaker_move(K, label, to, now)
  redis.call('HSET', K.breaker, 'state', to, 'changed_ms', now)
  redis.call('HINCRBY', K.metrics, 'breaker_transitions|breaker=' .. label .. ',to=' .. to, 1)
  redis.call('HSET', K.metrics, 'breaker_state|breaker=' .. label, ({closed=0, open=1, half_open=2})[to])
end

local function audit(K, kind, event)
  redis.call('XADD', K.audit, '*', 'type', kind, 'event', event)
  redis.call('XADD', K.global_audit, 'MAXLEN', '~', 100000, '*', 'type', kind, 'event', event)
end

-- lifecycle events, each {type, envelope JSON}, on the global stream (prp_tasks.events)
local function emit(K, F, rows)
  if #rows == 0 then return end
  for _, row in ipairs(rows) do
    redis.call('XADD', K.lifecycle, 'MAXLEN', '~', F.events_maxlen, '*',
      'type', row[1], 'subject', F.run_id, 'event', row[2])
  end
  redis.call('HINCRBY', K.metrics, 'events_emitted_total', #rows)
end

-- the run's outbox: follow-up work a settle made necessary, kept until it is done (start:GATE,
-- complete:GATE, preapproval:GATE, finalize); the index tells the repair loop when to look
local function outbox_add(K, F, item)
  redis.call('HSETNX', K.outbox, item, '')
  keep_ttl(K.outbox, K.meta)
  redis.call('ZADD', K.outbox_index, 'LT', F.due_ms, F.run_id)
  F.added = F.added or {}
  F.added[#F.added + 1] = item
end

-- the items this script left in the outbox, as one reply value (space-separated; '' for none)
local function added(F)
  return table.concat(F.added or {}, ' ')
end

local function outbox_done(K, F, ...)
  redis.call('HDEL', K.outbox, ...)
  if redis.call('HLEN', K.outbox) == 0 then redis.call('ZREM', K.outbox_index, F.run_id) end
end

-- a gate's check messages, prepared by the caller ({queue or '', payload, field, entry, member}):
-- pushed onto the broker's queue list (when the broker is this Redis), recorded as dispatched and
-- indexed for the repair loop, in the same step as the state change that made the gate ready
local function push_checks(K, F, msgs)
  for _, m in ipairs(msgs) do
    if m[1] ~= '' then redis.call('LPUSH', m[1], m[2]) end
    redis.call('HSET', K.dispatched, m[3], m[4])
    redis.call('ZADD', K.dispatch_index, F.due_ms, m[5])
  end
  keep_ttl(K.dispatched, K.meta)
end

-- a gate became running: its prepared messages go out now, else its start is left in the outbox
local function start_gate(K, F, P, gate)
  local plan = F.direct and P[gate]
  if plan then
    push_checks(K, F, plan.msgs)
    emit(K, F, plan.events)
  else
    outbox_add(K, F, 'start:' .. gate)
  end
end

-- gates holding one of the run's slots that are still running (a lost slot heals itself)
local function holders(K)
  for _, g in ipairs(redis.call('SMEMBERS', K.slots)) do
    if redis.call('HGET', K.status, g) ~= 'running' then redis.call('SREM', K.slots, g) end
  end
  return redis.call('SCARD', K.slots)
end

-- ``gate`` stopped running: waiting gates that fit now get a slot, and their start is followed up
local function free_slots(K, F, gate)
  if gate ~= '' then redis.call('SREM', K.slots, gate) end
  while holders(K) < F.slot_limit do
    local g = redis.call('LPOP', K.waiting)
    if not g then break end
    if redis.call('HGET', K.status, g) == 'running' then
      redis.call('SADD', K.slots, g)
      keep_ttl(K.slots, K.meta)
      outbox_add(K, F, 'start:' .. g)
    end
  end
end

-- a pending gate becomes skipped (a failed dependency, cancellation, an exhausted budget)
local function skip_gate(K, gate, from, record, now, message)
  redis.call('HSET', K.status, gate, 'skipped')
  move(K.metrics, from, 'skipped', 1)
  redis.call('HSET', K.records, gate, record)
  local event = {gate_id=gate, type='settle', status='skipped', timestamp=now}
  if message then event.message = message end
  redis.call('RPUSH', K.events, cjson.encode(event))
  return redis.call('HINCRBY', K.meta, 'unsettled', -1)
end

-- the follow-up plan every state change that can make work ready carries (prp_tasks.followups)
local function read_plan(c)
  return {run_id = c.one(), now_ms = c.num(), due_ms = c.num(), direct = c.num() == 1,
          slot_limit = c.num(), events_maxlen = c.one(), before = c.rows(2)}
end

local function read_settle(c)
  local S = {gate = c.one(), from = c.one(), to = c.one(), record = c.one(), now = c.one(),
             dependents = c.list(), skips = c.rows(2), outputs = c.rows(2), audits = c.rows(2),
             metrics = c.rows(2), settled_events = c.rows(2), prepared = {}}
  for j = 1, c.num() do
    local gate = c.one()
    S.prepared[gate] = {msgs = c.rows(5), events = c.rows(2)}
  end
  return S
end

local TERMINAL = {passed=true, failed=true, skipped=true}

-- the run already failed (a gate failed or was skipped) while some gate waits for a decision that
-- can no longer change the outcome: the waiting gates are to be closed (outbox 'close')
local function decided(K)
  local failed, parked = false, false
  for _, status in ipairs(redis.call('HVALS', K.status)) do
    if status == 'failed' or status == 'skipped' then failed = true end
    if status == 'awaiting_approval' then parked = true end
  end
  return failed and parked
end

-- Move S.gate from S.from to S.to and make every consequence durable in the same step: dependents
-- whose last dependency passed become running and their checks are queued (or their start is left
-- in the outbox), a failure's dependents are skipped, slots are handed on, the run's
-- finalization is left in the outbox when nothing is unsettled any more.
-- -> {'conflict', current} | {'ok', unsettled, items left in the outbox (see added), ready...}
local function settle(K, F, S)
  emit(K, F, F.before)
  local cur = redis.call('HGET', K.status, S.gate)
  if cur ~= S.from then return {'conflict', cur or ''} end
  redis.call('HSET', K.status, S.gate, S.to)
  move(K.metrics, cur, S.to, 1)
  redis.call('HSET', K.records, S.gate, S.record)
  local unsettled = tonumber(redis.call('HGET', K.meta, 'unsettled'))
  if TERMINAL[S.to] then
    unsettled = redis.call('HINCRBY', K.meta, 'unsettled', -1)
    redis.call('RPUSH', K.events, cjson.encode({gate_id=S.gate, type='settle', status=S.to, timestamp=S.now}))
  end
  emit(K, F, S.settled_events)
  local ready = {}
  for _, dep in ipairs(S.dependents) do
    if S.to == 'passed' and redis.call('HINCRBY', K.deps, dep, -1) <= 0
        and redis.call('HGET', K.status, dep) == 'pending' then
      redis.call('HSET', K.status, dep, 'running')
      move(K.metrics, 'pending', 'running', 1)
      redis.call('HSET', K.started, dep, S.now)
      redis.call('RPUSH', K.events, cjson.encode({gate_id=dep, type='start', timestamp=S.now}))
      ready[#ready + 1] = dep
      start_gate(K, F, S.prepared, dep)
    end
  end
  for _, skip in ipairs(S.skips) do
    if redis.call('HGET', K.status, skip[1]) == 'pending' then
      unsettled = skip_gate(K, skip[1], 'pending', skip[2], S.now)
    end
  end
  for _, o in ipairs(S.outputs) do redis.call('HSET', K.outputs, o[1], o[2]) end
  for _, a in ipairs(S.audits) do audit(K, a[1], a[2]) end
  for _, m in ipairs(S.metrics) do redis.call('HINCRBYFLOAT', K.metrics, m[1], m[2]) end
  for _, key in ipairs({K.audit, K.outputs}) do keep_ttl(key, K.meta) end
  if F.slot_limit > 0 then free_slots(K, F, cur == 'running' and S.gate or '') end
  outbox_done(K, F, 'start:' .. S.gate, 'complete:' .. S.gate)
  if unsettled == 0 then
    redis.call('HSET', K.outbox, 'finalize', '')  -- due now, whatever an earlier item said
    outbox_add(K, F, 'finalize')
  elseif decided(K) then
    outbox_add(K, F, 'close')
  end
  redis.call('HSET', K.meta, 'updated_at', S.now)
  local out = {'ok', unsettled, added(F)}
  for _, g in ipairs(ready) do out[#out + 1] = g end
  return out
end

local function read_claim(c)
  return {gate = c.one(), field = c.one(), result = c.one(), token = c.one(), member = c.one(),
          metrics = c.rows(2), files = c.rows(2), events = c.rows(2), read_back = c.list()}
end

-- Claim a check's result exactly once, count down its gate's join, record its metrics, the files
-- it produced (only the winning claim indexes them) and its lifecycle events. The claim that
-- completes the join leaves the gate's completion in the outbox (``completes``: the caller settles
-- the gate right away, in this script or the next) and hands back what evaluating it needs.
-- -> {'stale', -1} | {'fenced', -1} | {'dup', left} | {'ok', left} | {'ok', 0, started_at, results...}
local function claim(K, F, C, completes)
  if K.breaker ~= '' then  -- a call that went through a closed breaker succeeded: reset its count
    local state = redis.call('HGET', K.breaker, 'state')
    if not state or state == 'closed' then redis.call('HSET', K.breaker, 'failures', 0) end
  end
  if redis.call('HGET', K.status, C.gate) ~= 'running' then return {'stale', -1} end
  local cur = redis.call('GET', K.lease)
  if cur and cur ~= C.token then return {'fenced', -1} end
  if redis.call('HSETNX', K.checks, C.field, C.result) == 0 then
    return {'dup', tonumber(redis.call('HGET', K.left, C.gate))}
  end
  keep_ttl(K.checks, K.meta)
  local left = redis.call('HINCRBY', K.left, C.gate, -1)
  if cur then redis.call('DEL', K.lease) end
  redis.call('ZREM', K.dispatch_index, C.member)
  for _, m in ipairs(C.metrics) do redis.call('HINCRBYFLOAT', K.metrics, m[1], m[2]) end
  for _, f in ipairs(C.files) do redis.call('HSET', K.files, f[1], f[2]) end
  if #C.files > 0 then keep_ttl(K.files, K.meta) end
  emit(K, F, C.events)
  if left ~= 0 then return {'ok', left} end
  if completes then outbox_add(K, F, 'complete:' .. C.gate) end
  local out = {'ok', 0, redis.call('HGET', K.started, C.gate) or ''}
  for _, field in ipairs(C.read_back) do out[#out + 1] = redis.call('HGET', K.checks, field) or '' end
  return out
end
