"""Deciding many gates in one call: every parked (and optionally upcoming) gate a role covers."""

from __future__ import annotations

from collections.abc import Iterable

from prp_tasks.approvals.authz import Authorizer
from prp_tasks.approvals.service import Approvals
from prp_tasks.core.approvals import DecisionResult
from prp_tasks.core.models import GateStatus
from prp_tasks.errors import ConflictError, NotAuthorized
from prp_tasks.state.approvals import split_member


def decide_all(
    approvals: Approvals,
    run_ids: Iterable[str],
    *,
    actor: str,
    approve: bool,
    rationale: str = "",
    channel: str = "cli",
    include_upcoming: bool = False,
    authorizer: Authorizer | None = None,
) -> list[DecisionResult]:
    """Decide every parked (and with ``include_upcoming`` every not-yet-parked) gate the
    actor's roles cover, across ``run_ids`` (all runs with parked gates when empty)."""
    authz = authorizer or approvals.authz
    runs = list(run_ids) or sorted({split_member(m)[0] for m, _ in approvals.astore.indexed("pending")})
    held = authz.roles_of(actor)
    results = []
    for run_id in runs:
        spec = approvals.store.spec(run_id)
        statuses = approvals.store.gate_statuses(run_id)
        for gate in spec.workflow.gates:
            if gate.approval is None or gate.approval.role.value not in held:
                continue
            status = statuses.get(gate.id)
            parked = status == GateStatus.AWAITING_APPROVAL
            upcoming = include_upcoming and status in (GateStatus.PENDING, GateStatus.RUNNING)
            if parked or upcoming:
                results.append(_try(approvals, run_id, gate.id, actor, approve, rationale, channel, authz))
    return results


def _try(
    approvals: Approvals,
    run_id: str,
    gate_id: str,
    actor: str,
    approve: bool,
    rationale: str,
    channel: str,
    authz: Authorizer,
) -> DecisionResult:
    try:
        return approvals.decide(
            run_id,
            gate_id,
            actor=actor,
            approve=approve,
            rationale=rationale,
            channel=channel,
            authorizer=authz,
        )
    except (ConflictError, NotAuthorized) as exc:
        return DecisionResult(run_id, gate_id, f"refused: {exc.message}", "unchanged")
