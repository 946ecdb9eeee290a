"""Stable views of runs: ``prp run --json``, ``prp status --json``, the HTTP API and MCP.

The shapes are a contract (docs/reference/run-json.md): keys are added, never renamed or removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from prp_tasks.core.approvals import AuditType
from prp_tasks.core.evaluate import elapsed_ms, parse_ts
from prp_tasks.core.models import TERMINAL, GateSpec, GateStatus
from prp_tasks.core.run import RepoInfo, RunStatus, redact_url
from prp_tasks.core.snapshot import GateView, RunSnapshot

#: ``prp run`` exit codes
EXIT_PASSED, EXIT_FAILED, EXIT_INPUT, EXIT_CANCELLED = 0, 1, 2, 3


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CheckView(_View):
    name: str
    status: str
    #: None: the check did not finish (its gate was cut short by a cancel)
    duration_ms: int | None
    output: str


class ApprovalView(_View):
    actor: str
    decision: str
    role: str | None
    channel: str
    rationale: str
    timestamp: str


class GateStateView(_View):
    id: str
    name: str
    status: str
    depends_on: list[str]
    queue: str
    started_at: str | None
    finished_at: str | None
    #: when a parked gate started waiting for its approval
    waiting_since: str | None
    #: from dispatch to settling (for a decided gate: including the wait for the decision)
    duration_ms: int | None
    #: of ``duration_ms``, the time spent waiting for an approval decision (0: auto-approved;
    #: None: the gate did not wait for one); the checks' own time is ``duration_ms - waited_ms``
    waited_ms: int | None
    checks_passed: int
    checks_total: int
    reason: str | None
    approval_role: str | None
    approval: ApprovalView | None
    checks: list[CheckView]


class ActiveGate(_View):
    """A gate running or awaiting approval, and since when."""

    id: str
    status: str
    since: str | None


class FileView(_View):
    """A file a check produced (``files/GATE/NAME`` in ``prp outputs --to DIR``)."""

    gate: str
    check: str
    name: str
    size: int
    sha256: str
    #: the HTTP route serving it (``GET`` with a token)
    url: str


class DocumentView(_View):
    """A stored output (prp.md, review.json, run-manifest.json) or gate report."""

    name: str
    size: int
    sha256: str
    url: str


class RunView(_View):
    run_id: str
    status: str
    #: the A2A task state beside ``status`` (submitted, working, input-required, completed, ...)
    a2a_state: str
    workflow: str
    repo: dict[str, Any]
    actor: str
    strict: bool
    profile: dict[str, Any]
    created_at: str
    finished_at: str | None
    gates: list[GateStateView]
    active_gates: list[ActiveGate]
    #: files the checks produced so far, with sizes and sha256 digests (the service's view of a
    #: run; absent from views built without reading the artifact index)
    files: list[FileView] = []
    #: outputs and gate reports stored so far, with sizes and sha256 digests
    documents: list[DocumentView] = []


#: run status -> the A2A task state beside it (events carry the same in ``a2aState``)
A2A_STATE = {
    RunStatus.QUEUED: "submitted",
    RunStatus.RUNNING: "working",
    RunStatus.AWAITING_APPROVAL: "input-required",
    RunStatus.FINALIZING: "working",
    RunStatus.PASSED: "completed",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "canceled",
}


def a2a_state(status: RunStatus | str) -> str:
    """The A2A task state of a run in ``status``."""
    return A2A_STATE[RunStatus(status)]


def exit_code(snapshot: RunSnapshot, *, timed_out: bool = False) -> int:
    """0 all passed, 1 some gate failed, 3 cancelled / timed out / approval expired."""
    if timed_out or snapshot.status == RunStatus.CANCELLED:
        return EXIT_CANCELLED
    if snapshot.status == RunStatus.PASSED:
        return EXIT_PASSED
    expired = any(
        v.record is not None and (v.record.result.reason or "").startswith("approval expired")
        for v in snapshot.gates.values()
    )
    return EXIT_CANCELLED if expired else EXIT_FAILED


def live_status(snapshot: RunSnapshot) -> RunStatus:
    """Run status including the derived ``awaiting_approval`` (nothing running, a gate parked)."""
    gates = [v.status for v in snapshot.gates.values()]
    return derived_status(snapshot.status, gates, cancelled=snapshot.cancelled)


def derived_status(
    stored: RunStatus | str, gate_statuses: Iterable[GateStatus | str], *, cancelled: bool = False
) -> RunStatus:
    """The run status every surface shows, from the stored one and its gates' statuses: a running
    run with nothing running and a gate parked is ``awaiting_approval``; with every gate settled
    but its outputs not committed yet, ``finalizing``; a cancelled run is ``cancelled`` at once
    (its outputs follow), so an answer right after a cancel is final."""
    stored = RunStatus(stored)
    if cancelled and stored in (RunStatus.RUNNING, RunStatus.QUEUED):
        return RunStatus.CANCELLED
    if stored != RunStatus.RUNNING:
        return stored
    statuses = {GateStatus(s) for s in gate_statuses}
    if GateStatus.AWAITING_APPROVAL in statuses and GateStatus.RUNNING not in statuses:
        return RunStatus.AWAITING_APPROVAL
    if statuses and statuses <= TERMINAL:
        return RunStatus.FINALIZING
    return RunStatus.RUNNING


def gate_view(snapshot: RunSnapshot, view: GateView, *, now: str | None = None) -> GateStateView:
    gate = snapshot.spec.workflow.gate(view.gate_id)
    result = view.record.result if view.record else None
    parked = view.status == GateStatus.AWAITING_APPROVAL
    checks = check_views(gate, view)
    approval = result.human_approval if result else None
    duration = result.duration_ms if result and not parked else None
    if duration is None and view.started_at and now:
        duration = elapsed_ms(view.started_at, now)
    return GateStateView(
        id=gate.id,
        name=gate.display_name,
        status=view.status.value,
        depends_on=list(gate.depends_on),
        queue=gate.queue,
        started_at=view.started_at,
        finished_at=result.finished_at if result and not parked else None,
        waiting_since=result.finished_at if result and parked else None,
        duration_ms=duration,
        waited_ms=waited_ms(snapshot, view, now=now),
        checks_passed=sum(1 for c in checks if c.status == "pass"),
        checks_total=len(gate.checks),
        reason=result.reason if result else None,
        approval_role=gate.approval.role.value if gate.approval else None,
        approval=None
        if approval is None
        else ApprovalView(
            actor=approval.actor,
            decision=approval.decision.value,
            role=approval.role,
            channel=approval.channel,
            rationale=approval.rationale,
            timestamp=approval.timestamp,
        ),
        checks=checks,
    )


def check_views(gate: GateSpec, view: GateView) -> list[CheckView]:
    """The gate's checks that reported, in declaration order; a gate cut short by a cancel also
    lists those that did not finish (as its record does: ``skip``, "did not finish: cancelled")."""
    summaries = {}
    if view.status == GateStatus.SKIPPED and view.record is not None:
        summaries = {c.name: c for c in view.record.result.automated_checks}
    out = []
    for check in gate.checks:
        if (r := view.checks.get(check.name)) is not None:
            out.append(CheckView(name=r.name, status=r.status.value, duration_ms=r.duration, output=r.output))
        elif (a := summaries.get(check.name)) is not None:
            out.append(
                CheckView(name=a.name, status=a.status.value, duration_ms=a.duration, output=a.output or "")
            )
    return out


def waited_ms(snapshot: RunSnapshot, view: GateView, *, now: str | None = None) -> int | None:
    """How long the gate waited for its approval decision: from parking (its checks done) until
    decided, expired or ``now`` while still parked; 0 when an auto-approval rule decided at once
    (the park time of a settled gate is its last ``approval.requested`` audit record)."""
    if view.record is None:
        return None
    result = view.record.result
    if view.status == GateStatus.AWAITING_APPROVAL:
        since = result.finished_at
        return elapsed_ms(since, now) if since and now else None
    parked = parked_at(snapshot, view.gate_id, since=result.timestamp)
    if parked is not None and result.finished_at is not None:
        return elapsed_ms(parked, result.finished_at)
    auto = result.human_approval is not None and result.human_approval.channel == "auto"
    return 0 if auto else None


def parked_at(snapshot: RunSnapshot, gate_id: str, *, since: str) -> str | None:
    """When the gate's execution that started at ``since`` parked (its last approval request)."""
    for event in reversed(snapshot.audit):
        if event.type == AuditType.REQUESTED and event.gate_id == gate_id:
            return event.at if parse_ts(event.at) >= parse_ts(since) else None
    return None


def run_view(snapshot: RunSnapshot, *, now: str | None = None) -> RunView:
    spec = snapshot.spec
    gates = [gate_view(snapshot, snapshot.gates[g], now=now) for g in spec.workflow.gate_ids]
    status = live_status(snapshot)
    return RunView(
        run_id=spec.run_id,
        status=status.value,
        a2a_state=a2a_state(status),
        workflow=spec.workflow.name,
        repo=_repo(spec.repo),
        actor=spec.actor,
        strict=spec.strict,
        profile={"source": spec.profile.source, "sha256": spec.profile.sha256},
        created_at=spec.created_at,
        finished_at=snapshot.finished_at,
        gates=gates,
        active_gates=[
            ActiveGate(id=g.id, status=g.status, since=g.waiting_since or g.started_at)
            for g in gates
            if g.status in ("running", "awaiting_approval")
        ],
    )


def _repo(repo: RepoInfo) -> dict[str, Any]:
    """The source as shown to users: a remote's credentials masked."""
    shown = repo.model_dump()
    if repo.url:
        shown["url"] = redact_url(repo.url)
    return shown
