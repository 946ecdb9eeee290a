-- Commit a run's final outputs once and start its retention clock; its outbox is done, it leaves
-- the live runs, and its finish events (rendered by the caller) are appended; with a channel, the
-- run's waiters are told (its status published there) once all of that is done.
-- KEYS: meta, outputs, metrics, outbox, outbox_index, live_runs, lifecycle
-- ARGV: run id, status, finished_at, retention_s, events_maxlen, channel ('' for none),
--       rows(2) of (name, content), events rows(2), list of the run's other state keys (they get
--       the retention TTL)
-- -> 0 when already finalized, 1 when this call committed
local K = named(KEYS, {'meta', 'outputs', 'metrics', 'outbox', 'outbox_index', 'live_runs', 'lifecycle'})
local c = cursor(ARGV)
local run_id, status, finished_at, retention_s = c.one(), c.one(), c.one(), c.one()
local F = {run_id = run_id, events_maxlen = c.one()}
local channel = c.one()
local outputs, events = c.rows(2), c.rows(2)
local state = c.list()
if redis.call('HGET', K.meta, 'finalized') == '1' then return 0 end
for _, o in ipairs(outputs) do redis.call('HSET', K.outputs, o[1], o[2]) end
local was = redis.call('HGET', K.meta, 'status') == 'queued' and 'queued' or 'running'
redis.call('HSET', K.meta, 'status', status, 'finished_at', finished_at, 'updated_at', finished_at,
  'finalized', '1')
move_run(K.metrics, was, status)
redis.call('DEL', K.outbox)
redis.call('ZREM', K.outbox_index, run_id)
redis.call('SREM', K.live_runs, run_id)
emit(K, F, events)
redis.call('EXPIRE', K.meta, retention_s)
redis.call('EXPIRE', K.outputs, retention_s)
for _, key in ipairs(state) do redis.call('EXPIRE', key, retention_s) end
if channel ~= '' then redis.pcall('PUBLISH', channel, status) end  -- best effort (an ACL may forbid it)
return 1
