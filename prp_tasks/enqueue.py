"""What the engine asks of the transport that carries its work, and what it tells a check task.

:class:`Enqueuer` is implemented over Celery messages by
:class:`prp_tasks.celery_app.CeleryEnqueuer`; :class:`CheckRun` is the engine's answer to a check
task (finished, nothing to do, wait for a live lease, or retry later).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Enqueuer(Protocol):
    """How the engine hands work to workers (Celery in production)."""

    def check(
        self, run_id: str, gate_id: str, check: str, queue: str, time_limit_s: float, task_id: str
    ) -> None:
        """Queue one check execution as message ``task_id``."""

    def finalize(self, run_id: str) -> None:
        """Queue the run's finalization."""

    def release_workspaces(self, run_id: str) -> None:
        """Tell every worker to remove its worktree of a finished run (best effort)."""


@dataclass(frozen=True)
class CheckRun:
    """What a check task should do after the engine ran (or declined to run) it."""

    state: str  #: done | stale | busy | retry
    delay_s: float = 0.0
