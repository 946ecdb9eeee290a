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

Every transition is one Lua call (``lua/``), idempotent per (run, gate), so redelivered tasks never
charge twice or take two slots. A slot is handed on by the settle that frees it, in the same script
(``free_slots`` in ``lua/prelude.lua``), so a crash cannot strand a waiting gate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prp_tasks.core.run import RunSpec
from prp_tasks.settings import Settings
from prp_tasks.state.codec import to_ms
from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.lua import Lua

if TYPE_CHECKING:
    from prp_tasks.state.runs import RunStore

TOKENS_EXHAUSTED = "token budget exhausted"
TIME_EXCEEDED = "time budget exceeded"


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
        self._reserve = Lua(redis, "reserve_tokens")
        self._take = Lua(redis, "take_slot")
        self._admit = Lua(redis, "admit")
        self._release = Lua(redis, "release_run")

    # runs -------------------------------------------------------------------------------------

    def admit(self, spec: RunSpec) -> bool:
        """True when the run may start now; otherwise it is queued (FIFO)."""
        limit = self.settings.max_runs_in_flight
        if not limit:
            return True
        keys = self.store.keys
        args = [spec.run_id, limit, to_ms(spec.created_at)]
        with wrap_errors():
            return bool(
                self._admit(
                    keys={"active": keys.admission("active"), "queue": keys.admission("queue")}, args=args
                )
            )

    def release_run(self, run_id: str = "") -> list[str]:
        """A run finished (or just re-check): the queued runs admitted now, oldest first."""
        limit = self.settings.max_runs_in_flight
        if not limit:
            return []
        keys = self.store.keys
        with wrap_errors():
            out = self._release(
                keys={"active": keys.admission("active"), "queue": keys.admission("queue")},
                args=[run_id, limit],
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
            ok, _ = self._reserve(
                keys={"tokens": k.tokens, "meta": k.meta}, args=[gate_id, estimate, budget.tokens]
            )
        return None if ok else TOKENS_EXHAUSTED

    def gate_limit(self, spec: RunSpec) -> int:
        return spec.workflow.budget.max_parallel_gates or self.settings.run_max_gates_in_flight

    def screens(self, spec: RunSpec) -> bool:
        """The run's gates are screened before they start (a budget or a slot limit applies)."""
        budget = spec.workflow.budget
        return budget.tokens is not None or budget.wall_s is not None or bool(self.gate_limit(spec))

    def _take_slot(self, spec: RunSpec, gate_id: str) -> bool:
        limit = self.gate_limit(spec)
        if not limit:
            return True
        k = self.store.keys.run(spec.run_id)
        with wrap_errors():
            return bool(
                self._take(
                    keys={"slots": k.slots, "waiting": k.waiting, "status": k.status, "meta": k.meta},
                    args=[gate_id, limit],
                )
            )

    def waiting(self, run_id: str) -> list[str]:
        with wrap_errors():
            return list(self.store.redis.lrange(self.store.keys.run(run_id).waiting, 0, -1))

    def tokens_used(self, run_id: str) -> int:
        with wrap_errors():
            return int(self.store.redis.hget(self.store.keys.run(run_id).tokens, "#used") or 0)
