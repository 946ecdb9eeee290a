-- Claim one check's result (prelude: claim); the claim completing the join leaves the gate's
-- completion in the outbox, done by the caller next.
-- KEYS: SETTLE_KEYS, CLAIM_KEYS   ARGV: plan, claim   -> claim's reply
local K = named(KEYS, SETTLE_KEYS, CLAIM_KEYS)
local c = cursor(ARGV)
local F = read_plan(c)
local C = read_claim(c)
emit(K, F, F.before)
return claim(K, F, C, true)
