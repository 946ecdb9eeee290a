"""Backpressure and budgets (the upstream spool's semantics, shared by every worker through Redis).

* **Admission** (``PRP_MAX_RUNS_IN_FLIGHT``): at most N runs execute at once; further submissions
  are recorded as ``queued`` (never refused) and start, oldest first, as running runs finish.
* **Gates in flight** (workflow ``budget.max_parallel_gates`` or ``PRP_RUN_MAX_GATES_IN_FLIGHT``):
  a ready gate beyond the limit waits for a slot; a slot frees when a gate settles or parks.
* **Token budget** (``budget.tokens``): starting a gate charges its ``estimate_tokens`` (plus its
  checks'); a gate whose estimate exceeds what is left is skipped, ``token budget exhausted``
  (a cheaper gate later may still start).
* **Wall-clock budget** (``budget.wall_s``): a gate about to start after the deadline is skipped,
  ``time budget exceeded``; the sweeper skips gates still pending at the deadline. Running checks
  are bounded by their own time limits.

Every transition is one Lua call, idempotent per (run, gate), so redelivered tasks never charge
twice or take two slots.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prp_tasks.codec import to_ms
from prp_tasks.core.run import RunSpec
from prp_tasks.redis_client import Script, wrap_errors
from prp_tasks.settings import Settings

if TYPE_CHECKING:
    from prp_tasks.store import RunStore

TOKENS_EXHAUSTED = "token budget exhausted"
TIME_EXCEEDED = "time budget exceeded"

#: KEYS: tokens hash, meta  ARGV: gate, estimate, budget -> {1|0, tokens left}
RESERVE_TOKENS = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {1, -1} end
local used = tonumber(redis.call('HGET', KEYS[1], '#used') or '0')
local est, budget = tonumber(ARGV[2]), tonumber(ARGV[3])
if used + est > budget then return {0, budget - used} end
redis.call('HINCRBY', KEYS[1], '#used', est)
redis.call('HSET', KEYS[1], ARGV[1], est)
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], redis.call('TTL', KEYS[2])) end
return {1, budget - used - est}
"""

#: Count only slot holders still running (a slot lost by a crash heals itself).
_HOLDERS = """
local function holders(slots, status)
  for _, g in ipairs(redis.call('SMEMBERS', slots)) do
    if redis.call('HGET', status, g) ~= 'running' then redis.call('SREM', slots, g) end
  end
  return redis.call('SCARD', slots)
end
"""

#: KEYS: slots set, waiting list, status, meta  ARGV: gate, limit -> 1 (has a slot) | 0 (waits)
TAKE_SLOT = (
    _HOLDERS
    + """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if holders(KEYS[1], KEYS[3]) < tonumber(ARGV[2]) then
  redis.call('SADD', KEYS[1], ARGV[1])
  if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], redis.call('TTL', KEYS[4])) end
  return 1
end
if not redis.call('LPOS', KEYS[2], ARGV[1]) then redis.call('RPUSH', KEYS[2], ARGV[1]) end
if redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], redis.call('TTL', KEYS[4])) end
return 0
"""
)

#: KEYS: slots, waiting, status  ARGV: gate leaving (or ''), limit -> gates that got a slot
FREE_SLOT = (
    _HOLDERS
    + """
if ARGV[1] ~= '' then redis.call('SREM', KEYS[1], ARGV[1]) end
local out = {}
while holders(KEYS[1], KEYS[3]) < tonumber(ARGV[2]) do
  local g = redis.call('LPOP', KEYS[2])
  if not g then break end
  if redis.call('HGET', KEYS[3], g) == 'running' then
    redis.call('SADD', KEYS[1], g)
    out[#out + 1] = g
  end
end
return out
"""
)

#: KEYS: active set, queue zset  ARGV: run, limit, created_ms -> 1 admitted | 0 queued
ADMIT = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) < tonumber(ARGV[2]) and redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('SADD', KEYS[1], ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
return 0
"""

#: KEYS: active, queue  ARGV: finished run (or ''), limit -> runs admitted now
RELEASE_RUN = """
if ARGV[1] ~= '' then
  redis.call('SREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
local out = {}
while redis.call('SCARD', KEYS[1]) < tonumber(ARGV[2]) do
  local popped = redis.call('ZPOPMIN', KEYS[2])
  if #popped == 0 then break end
  redis.call('SADD', KEYS[1], popped[1])
  out[#out + 1] = popped[1]
end
return out
"""


@dataclass(frozen=True)
class Screen:
    """What to do with gates that became ready."""

    start: list[str] = field(default_factory=list)
    skip: dict[str, str] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)


class RunLimits:
    """Admission, slots and budgets over the store's Redis."""

    def __init__(self, settings: Settings, store: RunStore) -> None:
        self.settings = settings
        self.store = store
        redis = store.redis
        self._reserve = Script(redis, RESERVE_TOKENS)
        self._take = Script(redis, TAKE_SLOT)
        self._free = Script(redis, FREE_SLOT)
        self._admit = Script(redis, ADMIT)
        self._release = Script(redis, RELEASE_RUN)

    # runs -------------------------------------------------------------------------------------

    def admit(self, spec: RunSpec) -> bool:
        """True when the run may start now; otherwise it is queued (FIFO)."""
        limit = self.settings.max_runs_in_flight
        if not limit:
            return True
        keys = self.store.keys
        args = [spec.run_id, limit, to_ms(spec.created_at)]
        with wrap_errors():
            return bool(self._admit(keys=[keys.admission("active"), keys.admission("queue")], args=args))

    def release_run(self, run_id: str = "") -> list[str]:
        """A run finished (or just re-check): the queued runs admitted now, oldest first."""
        limit = self.settings.max_runs_in_flight
        if not limit:
            return []
        keys = self.store.keys
        with wrap_errors():
            out = self._release(
                keys=[keys.admission("active"), keys.admission("queue")], args=[run_id, limit]
            )
        return [str(r) for r in out]

    def active_runs(self) -> list[str]:
        with wrap_errors():
            return sorted(self.store.redis.smembers(self.store.keys.admission("active")))

    # gates ------------------------------------------------------------------------------------

    def screen(self, spec: RunSpec, gate_ids: list[str], now_ms: float | None = None) -> Screen:
        """Apply the time budget, then the token budget, then the slot limit (spool order)."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        out = Screen()
        for gate_id in gate_ids:
            reason = self._budget_skip(spec, gate_id, now_ms)
            if reason:
                out.skip[gate_id] = reason
            elif self._take_slot(spec, gate_id):
                out.start.append(gate_id)
            else:
                out.waiting.append(gate_id)
        return out

    def _budget_skip(self, spec: RunSpec, gate_id: str, now_ms: float) -> str | None:
        budget = spec.workflow.budget
        if budget.wall_s is not None and now_ms >= to_ms(spec.created_at) + budget.wall_s * 1000:
            return TIME_EXCEEDED
        estimate = spec.workflow.gate(gate_id).token_estimate
        if budget.tokens is None or not estimate:
            return None
        k = self.store.keys.run(spec.run_id)
        with wrap_errors():
            ok, _ = self._reserve(keys=[k.tokens, k.meta], args=[gate_id, estimate, budget.tokens])
        return None if ok else TOKENS_EXHAUSTED

    def gate_limit(self, spec: RunSpec) -> int:
        return spec.workflow.budget.max_parallel_gates or self.settings.run_max_gates_in_flight

    def _take_slot(self, spec: RunSpec, gate_id: str) -> bool:
        limit = self.gate_limit(spec)
        if not limit:
            return True
        k = self.store.keys.run(spec.run_id)
        with wrap_errors():
            return bool(self._take(keys=[k.slots, k.waiting, k.status, k.meta], args=[gate_id, limit]))

    def free_slot(self, spec: RunSpec, gate_id: str = "") -> list[str]:
        """``gate_id`` stopped running: the waiting gates that got a slot now."""
        limit = self.gate_limit(spec)
        if not limit:
            return []
        k = self.store.keys.run(spec.run_id)
        with wrap_errors():
            out = self._free(keys=[k.slots, k.waiting, k.status], args=[gate_id, limit])
        return [str(g) for g in out]

    def waiting(self, run_id: str) -> list[str]:
        with wrap_errors():
            return list(self.store.redis.lrange(self.store.keys.run(run_id).waiting, 0, -1))

    def tokens_used(self, run_id: str) -> int:
        with wrap_errors():
            return int(self.store.redis.hget(self.store.keys.run(run_id).tokens, "#used") or 0)
