"""The Python client for services that enqueue runs: ``Client(redis_url).submit(...) -> RunHandle``.

It talks to Redis directly (the same service layer as the CLI, HTTP API and MCP); workers started
with ``prp worker`` against the same Redis do the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.models import Workflow
from prp_tasks.errors import InputError
from prp_tasks.intake.submission import SubmitRequest
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings, load_settings


@dataclass
class RunHandle:
    """A submitted run."""

    run_id: str
    control: Control
    #: False when an earlier submission with the same idempotency key owns the run
    created: bool = True

    def status(self) -> dict[str, Any]:
        """The run's current JSON view (as ``prp status --json``)."""
        return self.control.get_run(self.run_id).model_dump(mode="json")

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the run is final; raises TimeoutError after ``timeout`` seconds."""
        if not self.control.wait_final(self.run_id, timeout):
            raise TimeoutError(f"run {self.run_id} is not finished after {timeout}s")
        return self.status()

    def cancel(self) -> bool:
        return self.control.cancel(self.run_id, actor="client")

    def output(self, name: str = "prp.md") -> str:
        """One output (``prp.md``, ``review.json``, ``run-manifest.json``) or gate artifact."""
        return self.control.output(self.run_id, name)

    def decide(self, gate: str, *, actor: str, approve: bool = True, rationale: str = "") -> str:
        return self.control.decide(
            self.run_id, gate, actor=actor, approve=approve, rationale=rationale, channel="client"
        ).describe()


class Client:
    """Submit and follow runs on a shared Redis."""

    def __init__(self, redis_url: str | None = None, *, settings: Settings | None = None) -> None:
        settings = settings or load_settings()
        if redis_url is not None:
            settings = settings.model_copy(update={"redis_url": redis_url})
        if settings.redis_url is None:
            raise InputError("Client needs a Redis URL (argument or PRP_REDIS_URL)")
        self.control = Runtime(settings).control

    def submit(
        self,
        *,
        repo: str | Path,
        workflow: str | Path | dict[str, Any] | Workflow | None = None,
        blueprint: str | Path | dict[str, Any] | None = None,
        commit_sha: str | None = None,
        idempotency_key: str | None = None,
        actor: str = "client",
        strict: bool = False,
        auto_approve: bool = False,
        profile_path: str | Path | None = None,
    ) -> RunHandle:
        """Validate and submit a run; the same ``idempotency_key`` returns the same run."""
        if isinstance(workflow, Workflow):
            workflow = workflow.model_dump(mode="json")
        request = SubmitRequest(
            repo=str(repo),
            workflow=str(workflow) if isinstance(workflow, Path) else workflow,
            blueprint=str(blueprint) if isinstance(blueprint, Path) else blueprint,
            profile_path=str(profile_path) if profile_path else None,
            commit_sha=commit_sha,
            strict=strict,
            auto_approve=auto_approve,
            idempotency_key=idempotency_key,
            actor=actor,
        )
        submitted = self.control.submit_request(request, actor=actor)
        return RunHandle(submitted.run_id, self.control, submitted.created)

    def run(self, run_id: str) -> RunHandle:
        """A handle on an existing run."""
        self.control.spec(run_id)
        return RunHandle(run_id, self.control, created=False)

    def find(self, idempotency_key: str) -> RunHandle | None:
        """The run a submission with ``idempotency_key`` created (a raw ``prp.submit_run``
        message included), or None while there is none (not consumed yet, or refused)."""
        run_id = self.control.run_for_key(idempotency_key)
        return None if run_id is None else RunHandle(run_id, self.control, created=False)
