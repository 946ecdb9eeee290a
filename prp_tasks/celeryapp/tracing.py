"""Traces in worker processes: the official Celery instrumentation under the run's trace.

:class:`prp_tasks.telemetry.tracing.Tracing` makes the spans; this installs, in every process that
executes tasks (each prefork child after the fork, or the worker process itself for the threads
and solo pools), ``opentelemetry-instrumentation-celery`` over the same TracerProvider, so each
task has its consumer span (parented on the ``traceparent`` its message carries) with our check
span inside it, and flushes the spans when the process ends. Nothing is done (and nothing of
OpenTelemetry imported) when tracing is off; without the instrumentation package the check spans
are still made, parented on their gate's span directly.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery.signals import worker_init, worker_process_init, worker_process_shutdown, worker_shutdown

from prp_tasks.telemetry.tracing import Tracing

log = logging.getLogger("prp_tasks.celeryapp.tracing")

_instrumented: dict[str, int] = {"pid": 0}


def instrument(tracing: Tracing) -> bool:
    """Install the Celery instrumentation in this process (once); False when it is not installed."""
    if _instrumented["pid"] == os.getpid():
        return True
    try:
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
    except ImportError:
        log.warning("opentelemetry-instrumentation-celery is not installed: check spans only")
        return False
    instrumentor = CeleryInstrumentor()  # type: ignore[no-untyped-call]
    if instrumentor.is_instrumented_by_opentelemetry:  # inherited over a fork: bind this process's provider
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=tracing.provider())
    _instrumented["pid"] = os.getpid()
    return True


def install_tracing(tracing: Tracing) -> None:
    """Connect the worker signals that set tracing up and flush it (nothing when it is off)."""
    if not tracing.enabled:
        return

    def in_child(**_: Any) -> None:
        instrument(tracing)

    def in_worker(sender: Any = None, **_: Any) -> None:
        pool = getattr(sender, "pool_cls", "prefork")
        if "prefork" not in str(pool).lower():  # prefork children instrument themselves after the fork
            instrument(tracing)

    def flush(**_: Any) -> None:
        tracing.shutdown()

    worker_process_init.connect(in_child, weak=False)
    worker_init.connect(in_worker, weak=False)
    worker_process_shutdown.connect(flush, weak=False)
    worker_shutdown.connect(flush, weak=False)
