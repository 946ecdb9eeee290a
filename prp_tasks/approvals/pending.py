"""Listing parked gates across runs (``prp approvals``, ``GET /v1/approvals``, the inbox).

The global ``pending`` index is read a page at a time, each page's requests and votes in one
round trip, so a listing costs what its page holds, not what is parked: a page of 100 reads
about 100 entries whether 100 or 10,000 gates wait (``bench/scale.py``).
"""

from __future__ import annotations

import time

from prp_tasks.approvals.requests import to_ms
from prp_tasks.approvals.service import Approvals
from prp_tasks.core.approvals import ApprovalRequest, PendingApproval
from prp_tasks.state.approvals import split_member

#: most entries of the index read per round trip
PAGE = 1000


def pending_approvals(
    approvals: Approvals, role: str | None = None, limit: int = 1000, offset: int = 0
) -> list[PendingApproval]:
    """Parked gates, oldest request first; ``role`` keeps those that role may decide. The first
    ``offset`` of them are skipped and at most ``limit`` returned (a shorter list is the end)."""
    now_ms = time.time() * 1000
    out: list[PendingApproval] = []
    skip, start, page = offset, 0, min(PAGE, max(limit, 100))
    while len(out) < limit:
        members = [value for value, _ in approvals.astore.indexed("pending", limit=page, start=start)]
        dropped = 0
        for value, (request, votes) in zip(members, approvals.astore.parked_requests(members), strict=True):
            if request is None:  # settled or expired by other means: drop the stale entry
                approvals.astore.reschedule("pending", value, None)
                dropped += 1
            elif role is None or role in (request.role, request.escalate_to):
                if skip:
                    skip -= 1
                    continue
                out.append(pending_of(value, request, votes, now_ms))
                if len(out) == limit:
                    break
        if len(members) < page:
            break
        start += len(members) - dropped  # dropped entries left the index: later ones moved up
    return out


def pending_of(member: str, request: ApprovalRequest, votes: int, now_ms: float) -> PendingApproval:
    run_id, gate_id = split_member(member)
    return PendingApproval(
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
