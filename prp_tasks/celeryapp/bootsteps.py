"""Housekeeping in every worker process, whatever its pool and queue classes.

Each worker runs the sweeper's pass (:class:`prp_tasks.housekeeping.sweeper.Sweeper`: approval
deadlines, reminders, escalations and batches, wall-clock budgets, admission, and the repair loop
of :mod:`prp_tasks.housekeeping.reconciler`) every ``PRP_SWEEP_INTERVAL_S``; the sweeper lease in
Redis lets one process at a time do it, so the deployment sweeps about once per interval however many workers
there are, and keeps sweeping as long as any worker is up. ``prp doctor`` and ``prp worker-check``
report when no pass has run recently.

The pass runs on the worker's own timer (its event loop's, in the consumer's thread), not in a
thread of its own: a prefork worker forks pool processes from that thread at any time
(autoscaling), and a fork while another thread holds a lock leaves that lock held forever in the
child. The webhook sender is the exception: an HTTP request may take seconds, and on the timer it
would stop the worker's consumer for that long. Its thread shares nothing a pool process uses: its
HTTP client is created per pass, its Redis connection is its own (redis-py starts a child's pools
afresh), and logging re-creates its locks in a forked child.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, bootsteps

from prp_tasks.celeryapp.app import services_of

log = logging.getLogger("prp_tasks.celeryapp.bootsteps")


class Housekeeping(bootsteps.StartStopStep):  # type: ignore[misc]
    """A worker bootstep: the sweeper's pass on the worker's timer, its webhook sender in a thread."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None
        self.sweeper: Any = None

    def start(self, worker: Any) -> None:
        services = services_of(worker.app)
        interval = services.settings.sweep_interval_s
        self.sweeper = services.sweeper
        self.tref = worker.timer.call_repeatedly(interval, self.tick)
        self.sweeper.start_sender()  # webhooks are sent in a thread: never on the worker's timer

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        if self.sweeper is not None:
            self.sweeper.stop()

    def tick(self) -> None:
        try:
            self.sweeper.sweep_once()
        except Exception:  # Redis away for a moment, or a bug: the next tick tries again
            log.warning("housekeeping pass failed", exc_info=True)


def install_housekeeping(app: Celery) -> None:
    """Every worker of ``app`` started from now on does housekeeping."""
    steps = app.steps["worker"]
    if Housekeeping not in steps:
        steps.add(Housekeeping)
