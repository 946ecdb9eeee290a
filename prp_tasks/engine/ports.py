"""What the engine asks of the transport that carries its work, and what it tells a check task.

:class:`Enqueuer` is implemented over Celery messages by
:class:`prp_tasks.celeryapp.app.CeleryEnqueuer`; :class:`CheckRun` is the engine's answer to a check
task (finished, nothing to do, wait for a live lease, or retry later).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class CheckMessage:
    """One check execution to queue as message ``task_id``."""

    run_id: str
    gate_id: str
    check: str
    queue: str  #: queue class
    time_limit_s: float  #: the check's own timeout
    task_id: str
    enqueued_at: float  #: epoch seconds

    def kwargs(self) -> dict[str, Any]:
        """The check task's keyword arguments."""
        return {
            "run_id": self.run_id,
            "gate_id": self.gate_id,
            "check": self.check,
            "queue": self.queue,
            "enqueued_at": self.enqueued_at,
        }


class InTransaction(Protocol):
    """Messages a state script queues itself (the broker is the state Redis)."""

    def payloads(self) -> list[tuple[str, str]]:
        """(queue list, message as the broker stores it), in the order of the messages."""

    def announce(self) -> None:
        """After the script: tell monitors the messages were sent."""


class Enqueuer(Protocol):
    """How the engine hands work to workers (Celery in production)."""

    #: the broker is the state Redis: scripts queue messages themselves (:meth:`in_transaction`)
    direct: bool

    def check(self, message: CheckMessage) -> None:
        """Queue one check execution (a broker other than the state Redis)."""

    def in_transaction(self, messages: Sequence[CheckMessage]) -> InTransaction | None:
        """The messages for a state script to queue, or None when the broker is elsewhere (then
        each is sent with :meth:`check`)."""

    def finalize(self, run_id: str) -> None:
        """Queue the run's finalization (a broker other than the state Redis)."""

    def finalize_message(self, run_id: str) -> tuple[str, str] | None:
        """(queue list, message) of the run's finalization for a state script, or None (then
        :meth:`finalize` sends it)."""

    def release_workspaces(self, run_id: str) -> None:
        """Tell every worker to remove its worktree of a finished run (best effort)."""

    def release_message(self, run_id: str) -> tuple[tuple[str, ...], str] | None:
        """(Pub/Sub topics, message) of :meth:`release_workspaces`'s broadcast for the state
        store's connection to publish, or None (then :meth:`release_workspaces` sends it)."""


@dataclass(frozen=True)
class CheckRun:
    """What a check task should do after the engine ran (or declined to run) it."""

    state: str  #: done | stale | busy | retry
    delay_s: float = 0.0
    #: ``done``: the recorded check's status (pass | fail | skip) and the first line of its output
    status: str = ""
    reason: str = ""
    commit: str = ""  #: the run's commit (for the check's span)
    attempt: int = 0
