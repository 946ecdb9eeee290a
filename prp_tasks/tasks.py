"""The ``prp.*`` Celery tasks. Each body is a thin call into the engine; all are idempotent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from celery import Celery, Task
from pydantic import ValidationError

from prp_tasks.errors import PrpError, RunNotFound

if TYPE_CHECKING:
    from prp_tasks.celery_app import Runtime

log = logging.getLogger("prp_tasks.tasks")


def register_tasks(app: Celery, runtime: Runtime) -> dict[str, Task]:
    """Register the tasks on ``app``; they reach services through ``runtime``."""

    @app.task(
        name="prp.run_check",
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=None,
        ignore_result=True,
    )
    def run_check(self: Task, run_id: str, gate_id: str, check: str, queue: str = "automated") -> str:
        """Execute one check of one gate (redelivery-safe)."""
        try:
            outcome = runtime.engine.run_check(run_id, gate_id, check)
        except RunNotFound:
            log.warning("check for unknown (expired?) run", extra={"run_id": run_id, "gate_id": gate_id})
            return "unknown-run"
        if outcome.state in ("busy", "retry"):
            raise self.retry(countdown=outcome.delay_s, max_retries=None)
        return outcome.state

    @app.task(
        name="prp.finalize_run", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True
    )
    def finalize_run(self: Task, run_id: str) -> bool:
        """Render and store the run's outputs once every gate settled."""
        try:
            return runtime.engine.finalize(run_id)
        except RunNotFound:
            return False

    @app.task(
        name="prp.submit_run", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True
    )
    def submit_run(self: Task, **payload: Any) -> str | None:
        """Submit a run from raw Celery: ``send_task("prp.submit_run", kwargs=SubmitRequest)``.

        Redelivery-safe only with an ``idempotency_key`` (as with any at-least-once message).
        """
        from prp_tasks.control import Control
        from prp_tasks.submission import SubmitRequest

        try:
            request = SubmitRequest.model_validate(payload)
            control = Control(runtime.settings, app)
            submitted = control.submit_request(request, actor=request.actor or "celery")
        except (PrpError, ValidationError) as exc:
            log.error("prp.submit_run refused: %s", exc, extra={"payload_keys": sorted(payload)})
            return None
        return submitted.run_id

    tasks: dict[str, Any] = {
        "prp.run_check": run_check,
        "prp.finalize_run": finalize_run,
        "prp.submit_run": submit_run,
    }
    return tasks
