"""Integration helpers: submit a workflow text to the real engine and wait for it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control


@pytest.fixture
def submit(control: Control, make_repo: Callable[..., Path]) -> Callable[..., str]:
    """Submit workflow YAML text on a fresh repo directory; returns the run id."""

    def run(text: str, *, files: dict[str, str] | None = None, **options: Any) -> str:
        spec = prepare_run(make_repo(files), workflow=parse_workflow(text), **options)
        return control.submit(spec)

    return run


@pytest.fixture
def finish(control: Control) -> Callable[..., RunSnapshot]:
    """Wait until a run's outputs are committed and return its snapshot."""

    def wait(run_id: str, timeout: float = 60) -> RunSnapshot:
        assert control.wait_final(run_id, timeout), f"run {run_id} did not finish in {timeout}s"
        return control.snapshot(run_id)

    return wait


def events(snapshot: RunSnapshot, kind: str, gate: str) -> list[str]:
    """Timestamps of ``kind`` (start/settle) events of ``gate``."""
    return [e.timestamp for e in snapshot.events if e.gate_id == gate and e.type == kind]


def check_lines(control: Control, run_id: str) -> dict[str, Any]:
    raw = control.store.redis.hgetall(control.store.k(run_id).checks)
    return {k: json.loads(v) for k, v in raw.items()}
