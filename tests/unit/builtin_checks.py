"""Helpers of the built-in check tests: run one built-in check of the built-in workflow against a
real directory, write report files, make gate records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prp_tasks.checks import outcome_of
from prp_tasks.checks.base import CheckContext, Outcome
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.models import CheckStatus, GateStatus
from prp_tasks.core.profile import EnforcementProfile, InitialDoc, ResolvedProfile
from prp_tasks.core.results import AutomatedCheck, GateRecord, GateResult
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec

PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP
WORKFLOW = builtin_workflow()
BLUEPRINT = Blueprint(
    title="Checkout", description="Users abandon carts.", requirements=("Cut abandonment by 10%",)
)


def gate_of(check: str) -> str:
    return next(g.id for g in WORKFLOW.gates if any(c.name == check for c in g.checks))


def run_check(
    repo: Path,
    check: str,
    profile: Mapping[str, Any] | None = None,
    *,
    blueprint: Blueprint = BLUEPRINT,
    doc: InitialDoc | None = None,
    records: Mapping[str, GateRecord] | None = None,
    artifacts: frozenset[str] = frozenset(),
    resolved: ResolvedProfile | None = None,
) -> Outcome:
    """Run built-in ``check`` of the built-in workflow against ``repo`` (crashes become FAILs);
    ``resolved``: a profile read from a file (its values' origins), instead of ``profile``."""
    resolved = resolved or ResolvedProfile(
        profile=EnforcementProfile.model_validate(profile or {}), doc=doc or InitialDoc()
    )
    spec = RunSpec(
        run_id="run-unit",
        workflow=WORKFLOW,
        blueprint=blueprint,
        repo=RepoInfo(path=str(repo)),
        profile=resolved,
        created_at="2026-03-01T10:00:00.000Z",
    )
    gate = WORKFLOW.gate(gate_of(check))
    ctx = CheckContext(
        spec=spec,
        gate=gate,
        check=gate.check(check),
        timeout_s=10,
        env_allowlist=(),
        output_tail_bytes=4000,
        load_records=lambda: dict(records or {}),
        load_artifact_names=lambda: artifacts,
    )
    return outcome_of(ctx)


def write(repo: Path, name: str, content: str | Mapping[str, Any]) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))


def record(gate_id: str, status: GateStatus, **checks: CheckStatus) -> GateRecord:
    return GateRecord(
        result=GateResult(
            id=gate_id,
            name=gate_id,
            status=status,
            timestamp="2026-03-01T10:00:00.000Z",
            automated_checks=tuple(AutomatedCheck(name=n, status=s) for n, s in checks.items()),
        )
    )
