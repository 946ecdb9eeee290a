"""The ``prp.*`` Celery tasks. Each body is a thin call into the engine; all are idempotent.

Task functions reach the services through ``self.services``: :func:`register_tasks` gives every
task of an app a base class carrying the :class:`Services` the composition root built for it.

What monitors see: a check that failed, timed out or was stopped by a cancel ends its task with
:class:`~prp_tasks.errors.CheckFailed` (the reason as the exception text), raised only after its
result is recorded; a refused ``prp.submit_run`` ends with
:class:`~prp_tasks.errors.SubmissionRefused`. Both are in the tasks' ``throws`` (logged without a
traceback), and Celery acknowledges a late-acked message whose task failed
(``task_acks_on_failure_or_timeout``, on by default and set explicitly by
:func:`prp_tasks.celeryapp.app.celery_config`): no redelivery, no retry, the result counted once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any, Protocol

from celery import Celery, Task
from pydantic import ValidationError

from prp_tasks.engine.engine import Engine
from prp_tasks.engine.execution import CheckExecutor
from prp_tasks.engine.ports import CheckRun
from prp_tasks.errors import CheckFailed, PrpError, RunNotFound, StoreError, SubmissionRefused, TaskOutcome
from prp_tasks.housekeeping.sweeper import Sweeper
from prp_tasks.intake.submission import SubmitRequest
from prp_tasks.routing import FINALIZE_RUN, RUN_CHECK, SUBMIT_RUN
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from prp_tasks.telemetry.tracing import Tracing

log = logging.getLogger("prp_tasks.celeryapp.tasks")

#: every task: late ack, requeue when the worker process dies, no result backend
OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}


class Services(Protocol):
    """What tasks and worker hooks use (:class:`prp_tasks.celeryapp.runtime.Runtime` provides it)."""

    settings: Settings

    @property
    def engine(self) -> Engine: ...

    @property
    def executor(self) -> CheckExecutor: ...

    @property
    def control(self) -> Control: ...

    @property
    def sweeper(self) -> Sweeper: ...

    @property
    def tracing(self) -> Tracing: ...


def _services(task: Task) -> Services:
    services: Services = task.services
    return services


def run_check(
    self: Task,
    run_id: str,
    gate_id: str,
    check: str,
    queue: str = "automated",
    enqueued_at: float | None = None,
) -> str:
    """Execute one check of one gate (redelivery-safe), in a span of the run's trace."""
    services = _services(self)
    worker = f"{self.request.hostname or 'worker'}/{os.getpid()}"
    waited = max(0.0, time.time() - enqueued_at) if enqueued_at is not None else None
    tracing = services.tracing
    with tracing.check_span(
        run_id, gate_id, check, self.request, queue=queue, worker=worker, queue_wait_s=waited
    ) as span:
        outcome = _run_check(self, services, run_id, gate_id, check, queue, enqueued_at, worker)
        span.update(_span_attributes(outcome))
    if outcome.state in ("busy", "retry"):
        raise retry(self, outcome.delay_s)
    failed = check_failure(gate_id, check, outcome)
    if failed is None and outcome.state == "stale" and _cancelled(services, run_id):
        failed = CheckFailed(f"{gate_id}/{check} cancelled: the run was cancelled before the check started")
    if failed is not None:
        raise failed
    return outcome.state


def retry(task: Task, countdown: float) -> BaseException:
    """Celery's ``retry`` (no limit) of the task, its message keeping the argument reprs the first
    one carried: Celery republishes without them, and monitors (Flower) would then show the
    kwargs' repr instead of ``{run_id: …, gate: …, check: …}``."""
    request = task.request
    reprs = {name: value for name in ("argsrepr", "kwargsrepr") if (value := getattr(request, name, None))}
    retried: BaseException = task.retry(countdown=countdown, max_retries=None, **reprs)
    return retried


def _cancelled(services: Services, run_id: str) -> bool:
    """A stale delivery of a cancelled run's check (read only for stale deliveries)."""
    try:
        return services.engine.store.meta(run_id).get("cancelled") == "1"
    except (RunNotFound, StoreError):
        return False


def _run_check(
    self: Task,
    services: Services,
    run_id: str,
    gate_id: str,
    check: str,
    queue: str,
    enqueued_at: float | None,
    worker: str,
) -> CheckRun:
    try:
        return services.engine.run_check(
            run_id, gate_id, check, queue=queue, enqueued_at=enqueued_at, worker=worker
        )
    except RunNotFound:
        log.warning("check for unknown (expired?) run", extra={"run_id": run_id, "gate_id": gate_id})
        return CheckRun("unknown-run")
    except StoreError as exc:  # Redis unreachable: try again later (the lease fences duplicates)
        log.warning("state store unavailable, retrying: %s", exc, extra={"run_id": run_id})
        raise retry(self, min(30.0, 2.0 ** min(self.request.retries, 5))) from exc


#: a check's status as a span's (and a metric's) outcome
_OUTCOMES = {"pass": "passed", "fail": "failed", "skip": "skipped"}


def _span_attributes(outcome: CheckRun) -> dict[str, Any]:
    """What the check's span records: its outcome (``passed``/``failed``/``skipped``, or what the
    delivery did: ``stale``, ``busy``, ``retry``...), commit, attempt and reason."""
    attributes: dict[str, Any] = {"outcome": _OUTCOMES.get(outcome.status, outcome.status or outcome.state)}
    if outcome.state == "done":
        attributes.update(commit=outcome.commit, attempt=outcome.attempt, reason=outcome.reason[:200])
    return attributes


def check_failure(gate_id: str, check: str, outcome: CheckRun) -> CheckFailed | None:
    """The exception that ends the task of a check that failed, timed out or was stopped by a
    cancel (its result already recorded), or None."""
    stopped = outcome.status == "skip" and outcome.reason.startswith("stopped:")
    if outcome.state != "done" or not (outcome.status == "fail" or stopped):
        return None
    return CheckFailed(f"{gate_id}/{check} {outcome.status}: {outcome.reason}".rstrip(": "))


def finalize_run(self: Task, run_id: str) -> bool:
    """Render and store the run's outputs once every gate settled."""
    try:
        return _services(self).engine.finalize(run_id)
    except RunNotFound:
        return False


def submit_run(self: Task, **payload: Any) -> str:
    """Submit a run from raw Celery: ``send_task("prp.submit_run", kwargs=SubmitRequest)``.

    Returns the run id (the task's result, shown by Flower). An invalid payload ends the task with
    :class:`SubmissionRefused` (the validation message as its text); an unreachable Redis retries.
    Redelivery-safe only with an ``idempotency_key`` (as with any at-least-once message).
    """
    try:
        request = SubmitRequest.model_validate(payload)
        submitted = _services(self).control.submit_request(request, actor=request.actor or "celery")
    except StoreError as exc:
        log.warning("state store unavailable, retrying prp.submit_run: %s", exc)
        raise retry(self, min(30.0, 2.0 ** min(self.request.retries, 5))) from exc
    except (PrpError, ValidationError) as exc:
        log.error("prp.submit_run refused: %s", exc, extra={"payload_keys": sorted(payload)})
        raise SubmissionRefused(f"prp.submit_run refused: {exc}") from None
    return submitted.run_id


#: task name -> (function, extra options)
TASKS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    RUN_CHECK: (run_check, {"max_retries": None, "throws": (TaskOutcome,)}),
    FINALIZE_RUN: (finalize_run, {}),
    SUBMIT_RUN: (submit_run, {"max_retries": None, "throws": (TaskOutcome,)}),
}


def register_tasks(app: Celery, services: Services) -> dict[str, Task]:
    """Register the tasks on ``app``; their base class carries ``services``."""
    base = type("PrpTask", (Task,), {"services": services, "abstract": True})
    # shared=False: a shared task would be added to every app finalized later in this process,
    # carrying this app's services (its Redis) into theirs
    return {
        name: app.task(name=name, base=base, shared=False, **OPTIONS, **extra)(fn)
        for name, (fn, extra) in TASKS.items()
    }
