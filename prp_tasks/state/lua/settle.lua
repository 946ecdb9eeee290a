-- Settle one gate (its checks reported, or a skip) with every consequence (prelude: settle).
-- KEYS: SETTLE_KEYS   ARGV: plan, settle   -> settle's reply
local K = named(KEYS, SETTLE_KEYS)
local c = cursor(ARGV)
local F = read_plan(c)
return settle(K, F, read_settle(c))
