-- Claim the result of a gate's only check and, when that completes the join, settle the gate in
-- the same script with the record the caller evaluated from that one result.
-- KEYS: SETTLE_KEYS, CLAIM_KEYS   ARGV: plan, claim, settle
-- -> {claim reply} when the claim did not complete the join, else {claim reply, settle reply}
local K = named(KEYS, SETTLE_KEYS, CLAIM_KEYS)
local c = cursor(ARGV)
local F = read_plan(c)
local C = read_claim(c)
local S = read_settle(c)
local claimed = claim(K, F, C, false)
if claimed[1] ~= 'ok' or claimed[2] ~= 0 then
  emit(K, F, F.before)
  return {claimed}
end
return {claimed, settle(K, F, S)}
