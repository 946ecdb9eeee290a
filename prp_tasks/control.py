"""The service layer every front end (CLI, HTTP, MCP, Python client) goes through.

Front ends parse and format; the use cases live here: submit, inspect, decide, cancel, outputs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from celery import Celery

from prp_tasks.approvals.pending import PendingApproval, pending_approvals
from prp_tasks.approvals.service import DecisionResult
from prp_tasks.celery_app import create_celery
from prp_tasks.core.approvals import AuditEvent
from prp_tasks.core.run import FINAL_RUN_STATUSES, RunSpec
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.engine import Engine
from prp_tasks.errors import InputError, RunNotFound
from prp_tasks.settings import Settings
from prp_tasks.store import OUTPUT_FILES, RunStore


@dataclass
class Control:
    """Use cases over one Redis (state + broker)."""

    settings: Settings
    app: Celery

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.runtime.engine
        return engine

    @property
    def store(self) -> RunStore:
        return self.engine.store

    def submit(self, spec: RunSpec) -> str:
        return self.engine.submit(spec)

    def snapshot(self, run_id: str) -> RunSnapshot:
        return self.store.snapshot(run_id)

    def is_final(self, run_id: str) -> bool:
        meta = self.store.meta(run_id)
        return meta.get("finalized") == "1"

    def decide(
        self,
        run_id: str,
        gate_id: str,
        *,
        actor: str,
        approve: bool,
        rationale: str = "",
        channel: str = "cli",
        commit_sha: str | None = None,
    ) -> DecisionResult:
        """Approve or reject one gate (a parked one, or in advance one that has not parked)."""
        return self.engine.approvals.decide(
            run_id,
            gate_id,
            actor=actor,
            approve=approve,
            rationale=rationale,
            channel=channel,
            commit_sha=commit_sha,
        )

    def decide_all(
        self,
        run_ids: list[str],
        *,
        actor: str,
        approve: bool,
        rationale: str = "",
        channel: str = "cli",
        include_upcoming: bool = False,
    ) -> list[DecisionResult]:
        """Decide every parked (and optionally upcoming) gate the actor's roles cover."""
        return self.engine.approvals.decide_all(
            run_ids,
            actor=actor,
            approve=approve,
            rationale=rationale,
            channel=channel,
            include_upcoming=include_upcoming,
        )

    def pending_approvals(self, role: str | None = None) -> list[PendingApproval]:
        return pending_approvals(self.engine.approvals, role)

    def audit(self, run_id: str) -> list[AuditEvent]:
        self.store.spec(run_id)  # RunNotFound for an unknown run
        return self.store.audit(run_id)

    def cancel(self, run_id: str, actor: str = "system") -> bool:
        return self.engine.cancel(run_id, actor)

    def wait_final(self, run_id: str, timeout_s: float | None = None, poll_s: float = 0.05) -> bool:
        """Block until the run's outputs are committed (True) or ``timeout_s`` passes (False)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not self.is_final(run_id):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(poll_s)
        return True

    def write_outputs(self, run_id: str, out_dir: Path) -> dict[str, str]:
        """Write prp.md, review.json, run-manifest.json and gate artifacts under ``out_dir``."""
        outputs = self.store.outputs(run_id)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, content in sorted(outputs.items()):
            target = out_dir / name if name in OUTPUT_FILES else out_dir / "artifacts" / name
            if not _safe_name(name):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            written[name] = str(target)
        return written

    def run_ids(self, offset: int = 0, limit: int = 50) -> list[str]:
        return self.store.list_runs(offset, limit)


def _safe_name(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def connect_control(settings: Settings) -> Control:
    """Control plane for ``settings.redis_url`` (which must be set)."""
    if settings.redis_url is None:
        raise InputError("PRP_REDIS_URL is not set and no embedded run is active")
    return Control(settings, create_celery(settings))


def find_run_url(settings: Settings, run_id: str, candidates: list[str]) -> str:
    """The first of ``candidates`` (Redis URLs) that holds ``run_id``."""
    for url in candidates:
        control = connect_control(settings.model_copy(update={"redis_url": url}))
        try:
            if control.store.exists(run_id):
                return url
        except Exception:
            continue
    raise RunNotFound(f"no such run: {run_id} (checked {len(candidates)} embedded server(s))")


def final(snapshot: RunSnapshot) -> bool:
    return snapshot.status in FINAL_RUN_STATUSES


__all__ = ["Control", "connect_control", "final", "find_run_url"]
