"""Wall-clock budgets and admission, enforced in the background (called by the sweeper).

A run with ``budget.wall_s`` is indexed in ``P:budget:deadlines`` when it is created
(:meth:`prp_tasks.state.runs.RunStore.create_run`). Once the deadline passes, gates still pending
are skipped (``time budget exceeded``, :meth:`prp_tasks.engine.engine.Engine.skip_past_deadline`);
gates about to start are skipped at dispatch (:mod:`prp_tasks.engine.limits`), running checks end
at their own time limits.

The admission set is repaired here too: a run that finished or expired without releasing its
place (a crash between its finalization and the release) gives it up, and queued runs that were
admitted but not started (the same kind of crash) are started.
"""

from __future__ import annotations

import time

from prp_tasks.core.run import RunStatus
from prp_tasks.engine.engine import Engine
from prp_tasks.engine.limits import RunLimits
from prp_tasks.errors import RunNotFound
from prp_tasks.settings import Settings
from prp_tasks.state.manager import State


class Deadlines:
    """Background enforcement of wall-clock budgets and of the admission set."""

    def __init__(self, settings: Settings, state: State, engine: Engine, limits: RunLimits) -> None:
        self.settings = settings
        self.engine = engine
        self.limits = limits
        self.store = state.runs
        self.deadlines = state.deadlines

    def sweep(self, now_ms: float | None = None) -> int:
        """Skip the pending gates of every run past its deadline; returns the gates skipped."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        skipped = 0
        for run_id in self.deadlines.due(now_ms):
            try:
                skipped += self.engine.skip_past_deadline(run_id)
            except RunNotFound:
                pass
            self.deadlines.forget(run_id)
        return skipped

    def repair_admission(self) -> int:
        """Release places of finished or vanished runs; start admitted runs still queued."""
        limits = self.limits
        if not self.settings.max_runs_in_flight:
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
            self.limits.release_run(run_id)
            return False
