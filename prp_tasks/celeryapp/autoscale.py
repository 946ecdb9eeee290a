"""Adaptive concurrency for prefork workers: Celery's autoscaler that backs off on a busy host.

Between the class's base and max concurrency (``PRP_SPOOL_CONCURRENCY`` and
``PRP_SPOOL_MAX_CONCURRENCY`` for the automated class) the pool follows the work the worker has
reserved: it grows at once to the number of reserved tasks (at most max) and shrinks back to base
``PRP_AUTOSCALE_KEEPALIVE_S`` after the last task arrived. On top of Celery's behaviour it never
grows while the host is saturated (1-minute load average per CPU above ``PRP_AUTOSCALE_MAX_LOAD``),
and then gives back one idle process per tick instead of waiting for the keepalive, so several
workers on one machine do not oversubscribe it.

Enabled through ``worker_autoscaler`` in :func:`prp_tasks.celeryapp.app.celery_config`; ``--autoscale``
comes from :func:`prp_tasks.celeryapp.workers.worker_argv`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from celery.worker.autoscale import Autoscaler

log = logging.getLogger("prp_tasks.celeryapp.autoscale")


def load_per_cpu() -> float:
    """The 1-minute load average divided by the CPUs this process may use."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return os.getloadavg()[0] / max(1, cpus)


class LoadAwareAutoscaler(Autoscaler):  # type: ignore[misc]
    """Grow to the reserved work up to max unless the host is saturated; shrink after keepalive."""

    #: how the load is read (replaceable in tests)
    read_load: Callable[[], float] = staticmethod(load_per_cpu)

    def __init__(self, pool: Any, max_concurrency: int, min_concurrency: int = 0, **kwargs: Any) -> None:
        super().__init__(pool, max_concurrency, min_concurrency, **kwargs)
        services = getattr(getattr(self.worker, "app", None), "prp_services", None)  # see services_of
        self.max_load = 1.5
        if services is not None:
            self.keepalive = services.settings.autoscale_keepalive_s
            self.max_load = services.settings.autoscale_max_load

    def saturated(self) -> bool:
        try:
            return self.read_load() > self.max_load
        except OSError:
            return False

    def _maybe_scale(self, req: Any = None) -> bool:
        procs = self.processes
        wanted = min(self.qty, self.max_concurrency)
        busy_host = self.saturated()
        if wanted > procs and not busy_host:
            self.scale_up(wanted - procs)
            return True
        floor = max(self.qty, self.min_concurrency)
        if busy_host and procs > self.min_concurrency:
            log.info("host saturated (load per CPU > %g): shrinking by one", self.max_load)
            self._shrink(1)
            return True
        if floor < procs:
            self.scale_down(procs - floor)
            return True
        return False
