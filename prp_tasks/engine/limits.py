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

Every transition is one Lua call (:mod:`prp_tasks.state.admission`), idempotent per (run, gate), so
redelivered tasks never charge twice or take two slots. A slot is handed on by the settle that
frees it, in the same script (``free_slots`` in ``state/lua/prelude.lua``), so a crash cannot
strand a waiting gate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from prp_tasks.core.run import RunSpec
from prp_tasks.settings import Settings
from prp_tasks.state.admission import AdmissionStore
from prp_tasks.state.codec import to_ms

TOKENS_EXHAUSTED = "token budget exhausted"
TIME_EXCEEDED = "time budget exceeded"


@dataclass(frozen=True)
class Screen:
    """What to do with gates that became ready."""

    start: list[str] = field(default_factory=list)
    skip: dict[str, str] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)


class RunLimits:
    """Admission, slots and budgets: the policy over :class:`AdmissionStore`."""

    def __init__(self, settings: Settings, admission: AdmissionStore) -> None:
        self.settings = settings
        self.admission = admission

    # runs -------------------------------------------------------------------------------------

    def admit(self, spec: RunSpec) -> bool:
        """True when the run may start now; otherwise it is queued (FIFO)."""
        limit = self.settings.max_runs_in_flight
        if not limit:
            return True
        return self.admission.admit(spec.run_id, limit, to_ms(spec.created_at))

    def release_run(self, run_id: str = "") -> list[str]:
        """A run finished (or just re-check): the queued runs admitted now, oldest first."""
        limit = self.settings.max_runs_in_flight
        if not limit:
            return []
        return self.admission.release(run_id, limit)

    def active_runs(self) -> list[str]:
        return self.admission.active()

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
        ok = self.admission.reserve_tokens(spec.run_id, gate_id, estimate, budget.tokens)
        return None if ok else TOKENS_EXHAUSTED

    def gate_limit(self, spec: RunSpec) -> int:
        return spec.workflow.budget.max_parallel_gates or self.settings.run_max_gates_in_flight

    def screens(self, spec: RunSpec) -> bool:
        """The run's gates are screened before they start (a budget or a slot limit applies)."""
        budget = spec.workflow.budget
        return budget.tokens is not None or budget.wall_s is not None or bool(self.gate_limit(spec))

    def _take_slot(self, spec: RunSpec, gate_id: str) -> bool:
        limit = self.gate_limit(spec)
        return True if not limit else self.admission.take_slot(spec.run_id, gate_id, limit)

    def waiting(self, run_id: str) -> list[str]:
        return self.admission.waiting(run_id)

    def tokens_used(self, run_id: str) -> int:
        return self.admission.tokens_used(run_id)
