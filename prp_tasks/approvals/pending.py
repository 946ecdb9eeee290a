"""Listing parked gates across runs (``prp approvals``, ``GET /v1/approvals``)."""

from __future__ import annotations

import time

from prp_tasks.approvals.requests import to_ms
from prp_tasks.approvals.service import Approvals
from prp_tasks.core.approvals import PendingApproval
from prp_tasks.state.approvals import split_member


def pending_approvals(
    approvals: Approvals, role: str | None = None, limit: int = 1000
) -> list[PendingApproval]:
    """Parked gates, oldest request first; ``role`` keeps those that role may decide."""
    now_ms = time.time() * 1000
    out = []
    members = [value for value, _ in approvals.astore.indexed("pending", limit=limit)]
    for value, (request, votes) in zip(members, approvals.astore.parked_requests(members), strict=True):
        run_id, gate_id = split_member(value)
        if request is None:  # settled or expired by other means: drop the stale entry
            approvals.astore.reschedule("pending", value, None)
            continue
        if role is not None and role not in (request.role, request.escalate_to):
            continue
        out.append(
            PendingApproval(
                run_id=run_id,
                gate_id=gate_id,
                gate_name=request.gate_name,
                role=request.role,
                description=request.description,
                commit_sha=request.commit_sha,
                requested_at=request.requested_at,
                deadline=request.deadline,
                age_s=round((now_ms - to_ms(request.requested_at)) / 1000, 3),
                seconds_left=round((to_ms(request.deadline) - now_ms) / 1000, 3),
                votes=votes,
                quorum=request.quorum,
                batch_id=request.batch_id,
                escalate_to=request.escalate_to,
                evidence_summary=request.evidence_summary,
            )
        )
    return out
