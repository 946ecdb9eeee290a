"""Wall-clock budgets and admission, enforced in the background (called by the sweeper).

A run with ``budget.wall_s`` is indexed in ``P:budget:deadlines`` when submitted. Once the deadline
passes, gates still pending are skipped (``time budget exceeded``); gates about to start are
skipped at dispatch (:mod:`prp_tasks.engine.limits`), running checks end at their own time limits.

The admission set is repaired here too: a run that finished or expired without releasing its
place (a crash between its finalization and the release) gives it up, and queued runs that were
admitted but not started (the same kind of crash) are started.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from prp_tasks.core.evaluate import skipped_record, utc_now
from prp_tasks.core.models import GateStatus
from prp_tasks.core.run import RunSpec, RunStatus
from prp_tasks.engine.limits import TIME_EXCEEDED
from prp_tasks.errors import RunNotFound
from prp_tasks.state.codec import to_ms
from prp_tasks.state.connection import wrap_errors

if TYPE_CHECKING:
    from prp_tasks.engine.engine import Engine

log = logging.getLogger("prp_tasks.housekeeping.deadlines")


class Deadlines:
    """Background enforcement of wall-clock budgets and of the admission set."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store

    def watch(self, spec: RunSpec) -> None:
        """Index the run's wall-clock deadline (if its workflow has one)."""
        wall_s = spec.workflow.budget.wall_s
        if wall_s is None:
            return
        deadline = to_ms(spec.created_at) + wall_s * 1000
        with wrap_errors():
            self.store.redis.zadd(self.store.keys.budget_deadlines, {spec.run_id: deadline})

    def sweep(self, now_ms: float | None = None) -> int:
        """Skip the pending gates of every run past its deadline; returns the gates skipped."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        key = self.store.keys.budget_deadlines
        with wrap_errors():
            due = self.store.redis.zrangebyscore(key, 0, now_ms)
        skipped = 0
        for run_id in due:
            try:
                skipped += self._expire(run_id)
            except RunNotFound:
                pass
            with wrap_errors():
                self.store.redis.zrem(key, run_id)
        return skipped

    def _expire(self, run_id: str) -> int:
        spec = self.store.spec(run_id)
        statuses = self.store.gate_statuses(run_id)
        now = utc_now()
        records = {
            g.id: skipped_record(g, TIME_EXCEEDED, now)
            for g in spec.workflow.gates
            if statuses.get(g.id) == GateStatus.PENDING
        }
        if not records:
            return 0
        plan = self.engine.followups.plan(spec)
        _, done = self.store.skip_pending(plan, records, TIME_EXCEEDED, now)
        for gate_id in done:
            self.engine.lifecycle.gates_settled(run_id, records[gate_id])
        log.info("time budget exceeded: %d gate(s) skipped", len(done), extra={"run_id": run_id})
        self.engine.followups.drain(run_id, self.engine)  # the run's finalization, when all settled
        return len(done)

    def repair_admission(self) -> int:
        """Release places of finished or vanished runs; start admitted runs still queued."""
        limits = self.engine.limits
        if not self.engine.settings.max_runs_in_flight:
            return 0
        started = 0
        for run_id in limits.active_runs():
            try:
                meta = self.store.meta(run_id)
            except RunNotFound:
                meta = {}
            if not meta or meta.get("finalized") == "1":
                admitted = limits.release_run(run_id)
            elif meta.get("status") == RunStatus.QUEUED.value:
                admitted = [run_id]
            else:
                continue
            started += sum(1 for r in admitted if self._start(r))
        started += sum(1 for r in limits.release_run() if self._start(r))
        return started

    def _start(self, run_id: str) -> bool:
        try:
            return self.engine.start_queued(run_id)
        except RunNotFound:
            self.engine.limits.release_run(run_id)
            return False
