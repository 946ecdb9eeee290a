-- Re-open a gate and its dependents for another execution (``run_prp_step`` with force): ``target``
-- becomes running (its start left in the outbox), the other planned gates pending.
-- KEYS: SETTLE_KEYS, CLAIM_KEYS, attempts, votes, requests, live_runs
-- ARGV: plan, now, target, run_ttl, audit event JSON,
--       count, then per planned gate: gate, dependencies left, checks, list of check fields,
--       list of output names to drop
-- Every reset gate must be settled or pending (none running or parked) and the run not cancelled.
-- -> {'conflict', reason} | {'ok', unsettled}
local K = named(KEYS, SETTLE_KEYS, CLAIM_KEYS, {'attempts', 'votes', 'requests', 'live_runs'})
local c = cursor(ARGV)
local F = read_plan(c)
local now, target, run_ttl, event = c.one(), c.one(), c.one(), c.one()
local plan = {}
for j = 1, c.num() do
  plan[j] = {gate = c.one(), deps = c.one(), checks = c.one(), fields = c.list()}
end
local drop = c.list()
if redis.call('HGET', K.meta, 'cancelled') == '1' then return {'conflict', 'the run was cancelled'} end
for _, p in ipairs(plan) do
  p.cur = redis.call('HGET', K.status, p.gate)
  if p.cur == 'running' or p.cur == 'awaiting_approval' then return {'conflict', p.gate .. ' is ' .. p.cur} end
end
local unsettled = tonumber(redis.call('HGET', K.meta, 'unsettled'))
if redis.call('HGET', K.meta, 'finalized') == '1' then
  move_run(K.metrics, redis.call('HGET', K.meta, 'status'), 'running')
end
for _, p in ipairs(plan) do
  if TERMINAL[p.cur] then unsettled = redis.call('HINCRBY', K.meta, 'unsettled', 1) end
  local new = p.gate == target and 'running' or 'pending'
  redis.call('HSET', K.status, p.gate, new)
  move(K.metrics, p.cur, new, 1)
  redis.call('HSET', K.deps, p.gate, p.deps)
  redis.call('HSET', K.left, p.gate, p.checks)
  redis.call('HDEL', K.records, p.gate)
  redis.call('HDEL', K.requests, p.gate)
  for _, f in ipairs(p.fields) do
    redis.call('HDEL', K.checks, f)
    redis.call('HDEL', K.attempts, f .. '|starts', f .. '|ends')
  end
  for _, v in ipairs(redis.call('HKEYS', K.votes)) do
    if string.sub(v, 1, #p.gate + 1) == p.gate .. '|' then redis.call('HDEL', K.votes, v) end
  end
  for _, v in ipairs(redis.call('HKEYS', K.files)) do
    if string.sub(v, 1, #p.gate + 1) == p.gate .. '/' then redis.call('HDEL', K.files, v) end
  end
end
for _, name in ipairs(drop) do redis.call('HDEL', K.outputs, name) end
redis.call('HSET', K.started, target, now)
redis.call('RPUSH', K.events, cjson.encode({gate_id=target, type='start', timestamp=now}))
redis.call('HSET', K.meta, 'status', 'running', 'finalized', '0', 'updated_at', now)
redis.call('HDEL', K.meta, 'finished_at', 'finished_at_claim')
audit(K, 'gate.rerun', event)
local global = {[K.global_audit]=true, [K.metrics]=true, [K.outbox_index]=true, [K.dispatch_index]=true,
  [K.lifecycle]=true, [K.breaker]=true, [K.lease]=true, [K.live_runs]=true}
for _, key in ipairs(KEYS) do
  if not global[key] and key ~= '' and redis.call('EXISTS', key) == 1 then
    redis.call('EXPIRE', key, run_ttl)
  end
end
redis.call('SADD', K.live_runs, F.run_id)
outbox_add(K, F, 'start:' .. target)
return {'ok', unsettled}
