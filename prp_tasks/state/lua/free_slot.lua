-- ``gate`` stopped running (or '': look again): waiting gates that fit get a slot, their start is
-- left in the outbox.   KEYS: SETTLE_KEYS   ARGV: plan, gate   -> the items added (see added)
local K = named(KEYS, SETTLE_KEYS)
local c = cursor(ARGV)
local F = read_plan(c)
free_slots(K, F, c.one())
return added(F)
