"""The approvers' inbox (``GET /v1/inbox``, the page at ``/``): what one identity may decide now.

Every gate waiting for a decision that the caller's roles cover, across runs, oldest request
first, with quorum progress, who voted, the deadline and the evidence; and the approval gates of
the same runs that have not parked yet, which the caller may pre-approve.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from prp_tasks.core.approvals import AuditType, PendingApproval
from prp_tasks.core.models import GateStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.errors import RunNotFound
from prp_tasks.service.control import Control


class _Inbox(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CheckCounts(_Inbox):
    passed: int
    failed: int
    skipped: int
    total: int


class InboxItem(_Inbox):
    """One gate the caller may decide: ``parked`` (waiting now) or ``upcoming`` (pre-approve)."""

    kind: str
    run_id: str
    gate_id: str
    gate_name: str
    gate_status: str
    role: str
    escalate_to: str | None
    description: str
    repository: str
    commit_sha: str
    requested_at: str | None
    deadline: str | None
    seconds_left: float | None
    votes: int
    quorum: int
    #: who approved so far (votes toward the quorum)
    voters: list[str]
    #: who decided in advance (upcoming gates)
    preapproved_by: list[str]
    checks: CheckCounts
    #: one line per check: status, name, first line of its output
    evidence: list[str]


class Inbox(_Inbox):
    identity: str
    roles: list[str]
    parked: list[InboxItem]
    upcoming: list[InboxItem]
    #: filter choices: the roles, runs and repositories of the rows
    repositories: list[str]


def _actors(snapshot: RunSnapshot, gate_id: str, kinds: set[AuditType], since: str | None) -> list[str]:
    found: list[str] = []
    for event in snapshot.audit:
        if event.gate_id != gate_id or event.type not in kinds or not event.actor:
            continue
        if since is not None and event.at < since:
            continue
        if event.decision in (None, "approved") and event.actor not in found:
            found.append(event.actor)
    return found


def _counts(snapshot: RunSnapshot, gate_id: str) -> tuple[CheckCounts, list[str]]:
    view = snapshot.gates[gate_id]
    gate = snapshot.spec.workflow.gate(gate_id)
    results = [view.checks[c.name] for c in gate.checks if c.name in view.checks]
    statuses = [r.status.value for r in results]
    counts = CheckCounts(
        passed=statuses.count("pass"),
        failed=statuses.count("fail"),
        skipped=statuses.count("skip"),
        total=len(gate.checks),
    )
    lines = [
        f"{r.status.value} {r.name}: {(r.output or '').strip().splitlines()[0][:160]}"
        if r.output
        else f"{r.status.value} {r.name}"
        for r in results
    ]
    return counts, lines


def _parked_item(snapshot: RunSnapshot, pending: PendingApproval) -> InboxItem:
    counts, lines = _counts(snapshot, pending.gate_id)
    voters = _actors(snapshot, pending.gate_id, {AuditType.VOTE}, pending.requested_at)
    return InboxItem(
        kind="parked",
        run_id=pending.run_id,
        gate_id=pending.gate_id,
        gate_name=pending.gate_name,
        gate_status=GateStatus.AWAITING_APPROVAL.value,
        role=pending.role,
        escalate_to=pending.escalate_to,
        description=pending.description,
        repository=snapshot.spec.repo.full_name,
        commit_sha=pending.commit_sha,
        requested_at=pending.requested_at,
        deadline=pending.deadline,
        seconds_left=pending.seconds_left,
        votes=pending.votes,
        quorum=pending.quorum,
        voters=voters,
        preapproved_by=[],
        checks=counts,
        evidence=list(pending.evidence_summary) or lines,
    )


def _upcoming(snapshot: RunSnapshot, roles: frozenset[str]) -> list[InboxItem]:
    items = []
    for gate in snapshot.spec.workflow.gates:
        status = snapshot.gate_status(gate.id)
        if gate.approval is None or status not in (GateStatus.PENDING, GateStatus.RUNNING):
            continue
        role = gate.approval.role.value
        if role not in roles:
            continue
        counts, lines = _counts(snapshot, gate.id)
        items.append(
            InboxItem(
                kind="upcoming",
                run_id=snapshot.run_id,
                gate_id=gate.id,
                gate_name=gate.display_name,
                gate_status=status.value,
                role=role,
                escalate_to=gate.approval.escalate_to.value if gate.approval.escalate_to else None,
                description=gate.approval.description or gate.display_name,
                repository=snapshot.spec.repo.full_name,
                commit_sha=snapshot.spec.repo.commit_sha,
                requested_at=None,
                deadline=None,
                seconds_left=None,
                votes=0,
                quorum=gate.approval.quorum,
                voters=[],
                preapproved_by=_actors(snapshot, gate.id, {AuditType.PREAPPROVED}, None),
                checks=counts,
                evidence=lines,
            )
        )
    return items


def _wanted(item: InboxItem, role: str | None, run_id: str | None, repository: str | None) -> bool:
    if role is not None and role not in (item.role, item.escalate_to):
        return False
    if run_id is not None and item.run_id != run_id:
        return False
    return repository is None or item.repository == repository


def inbox(
    ctl: Control,
    identity: str,
    roles: Iterable[str],
    *,
    role: str | None = None,
    run_id: str | None = None,
    repository: str | None = None,
) -> Inbox:
    """What ``identity`` (holding ``roles``) may decide now and next, filtered."""
    held = frozenset(roles)
    snapshots: dict[str, RunSnapshot] = {}
    parked: list[InboxItem] = []
    for pending in ctl.pending_approvals():
        if pending.role not in held and pending.escalate_to not in held:
            continue
        try:
            snapshot = snapshots.get(pending.run_id) or ctl.snapshot(pending.run_id)
        except RunNotFound:
            continue  # expired between the listing and now
        snapshots[pending.run_id] = snapshot
        parked.append(_parked_item(snapshot, pending))
    upcoming = [item for snap in snapshots.values() for item in _upcoming(snap, held)]
    every = parked + upcoming
    return Inbox(
        identity=identity,
        roles=sorted(held),
        parked=[i for i in parked if _wanted(i, role, run_id, repository)],
        upcoming=[i for i in upcoming if _wanted(i, role, run_id, repository)],
        repositories=sorted({i.repository for i in every}),
    )
