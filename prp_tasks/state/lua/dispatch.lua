-- Send a running gate's checks: the start left in the outbox by a settle (``item`` 'start:GATE'),
-- or checks the repair loop found without a live message (``item`` ''). A check whose result is
-- recorded already is not sent again; the outbox item goes in the same step.
-- KEYS: SETTLE_KEYS, CLAIM_KEYS   ARGV: plan, item, gate, messages rows(5), events rows(2)
-- -> 1 sent | 0 nothing to do (done already, or the gate is not running)
local K = named(KEYS, SETTLE_KEYS, CLAIM_KEYS)
local c = cursor(ARGV)
local F = read_plan(c)
local item, gate = c.one(), c.one()
local msgs, events = c.rows(5), c.rows(2)
if item ~= '' and redis.call('HEXISTS', K.outbox, item) == 0 then return 0 end
if redis.call('HGET', K.status, gate) ~= 'running' then
  if item ~= '' then outbox_done(K, F, item) end
  return 0
end
local pending = {}
for _, m in ipairs(msgs) do
  if redis.call('HEXISTS', K.checks, m[3]) == 0 then pending[#pending + 1] = m end
end
push_checks(K, F, pending)
emit(K, F, F.before)
emit(K, F, events)
if item ~= '' then outbox_done(K, F, item) end
return 1
