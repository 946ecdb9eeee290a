"""Webhook notifications of approval requests, reminders and escalations (per role).

A published batch (``PRP_APPROVAL_BATCH_SIZE`` requests of one role, or fewer once
``PRP_APPROVAL_BATCH_WINDOW_S`` passed) is one notification per matching webhook, not one per
request. The park and flush scripts record the publication atomically; the sweeper builds the
deliveries (:meth:`Notifier.announce`) and sends them (:mod:`prp_tasks.approvals.webhooks`) with
retries and backoff, so nothing here ever blocks or fails a gate. Each outcome is an audit record
of every run the notification covers.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from prp_tasks.core.approvals import ApprovalRequest
from prp_tasks.core.evaluate import utc_now
from prp_tasks.settings import Settings, Webhook
from prp_tasks.state.approvals import ApprovalStore
from prp_tasks.state.manager import State
from prp_tasks.state.notifications import NotificationOutbox

log = logging.getLogger("prp_tasks.approvals.notify")

#: requests listed in one Slack message (the JSON payload lists all)
SLACK_ROWS = 20


def hooks_for(settings: Settings, role: str) -> list[tuple[int, Webhook]]:
    """The configured webhooks (with their index) that receive ``role``'s requests."""
    return [(i, h) for i, h in enumerate(settings.notify.webhooks) if h.role in ("*", role)]


def _request_row(settings: Settings, request: ApprovalRequest) -> dict[str, Any]:
    base = settings.notify.public_url.rstrip("/")
    return {
        "run_id": request.run_id,
        "gate_id": request.gate_id,
        "gate_name": request.gate_name,
        "description": request.description,
        "role": request.role,
        "commit_sha": request.commit_sha,
        "requested_at": request.requested_at,
        "deadline": request.deadline,
        "quorum": request.quorum,
        "evidence_summary": list(request.evidence_summary),
        "run_url": f"{base}/runs/{request.run_id}" if base else f"/runs/{request.run_id}",
    }


def generic_body(
    settings: Settings, event: str, role: str, rows: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    base = settings.notify.public_url.rstrip("/")
    return {
        "type": event,
        "role": role,
        "count": len(rows),
        "requests": rows,
        "inbox_url": f"{base}/?role={role}" if base else f"/?role={role}",
        "sent_at": utc_now(),
        **extra,
    }


def slack_body(body: dict[str, Any]) -> dict[str, Any]:
    """The same notification as a Slack incoming-webhook message (``text`` + ``blocks``)."""
    what = {
        "approval.requested": "approval request",
        "approval.reminder": "reminder: approval waiting",
        "approval.escalated": "escalated approval request",
    }.get(body["type"], body["type"])
    count = body["count"]
    title = f"{count} {what}{'s' if count != 1 and what.endswith('request') else ''} for *{body['role']}*"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]
    for row in body["requests"][:SLACK_ROWS]:
        line = (
            f"• <{row['run_url']}|{row['run_id']} {row['gate_id']}> {row['gate_name']}: "
            f"deadline {row['deadline']}, quorum {row['quorum']}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{body['inbox_url']}|Open the inbox>"}]}
    )
    return {"text": title.replace("*", ""), "blocks": blocks}


class Notifier:
    """Builds and queues webhook deliveries; :mod:`~prp_tasks.approvals.webhooks` sends them."""

    def __init__(self, settings: Settings, state: State, astore: ApprovalStore) -> None:
        self.settings = settings
        self.runs = state.runs
        self.astore = astore
        self.outbox = NotificationOutbox(state.runs.redis, state.runs.keys)

    def _deliveries(
        self, key: str, event: str, role: str, requests: list[ApprovalRequest], **extra: Any
    ) -> list[dict[str, Any]]:
        rows = [_request_row(self.settings, r) for r in requests]
        out = []
        for index, hook in hooks_for(self.settings, role):
            body = generic_body(self.settings, event, role, rows, **extra)
            out.append(
                {
                    "id": f"{key}#{index}",
                    "event": event,
                    "role": role,
                    "hook": index,
                    "url": str(hook.url),
                    "format": hook.format,
                    "body": body,
                    "runs": sorted({r.run_id for r in requests}),
                    "gates": [f"{r.run_id}/{r.gate_id}" for r in requests],
                    "batch_id": extra.get("batch_id"),
                    "attempts": 0,
                }
            )
        return out

    def announce(self, now_ms: float | None = None) -> int:
        """Turn every published batch into deliveries (one per webhook of its role). Without any
        webhook configured the batches are only marked handled (nothing is read per request)."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        batches = self.outbox.announced_batches()
        if not self.settings.notify.webhooks:
            self.outbox.handled(batches)
            return 0
        queued = 0
        for batch_id in batches:
            members = self.astore.batch_members(batch_id)
            # still parked (a settled one needs nobody any more), read in one round trip
            requests = [r for r, _votes in self.astore.parked_requests(members) if r is not None]
            deliveries = []
            if requests:
                role = requests[0].role
                deliveries = self._deliveries(
                    batch_id, "approval.requested", role, requests, batch_id=batch_id
                )
            self.outbox.add(deliveries, now_ms, batch_id=batch_id)
            queued += len(deliveries)
        return queued

    def follow_up(self, event: str, request: ApprovalRequest, role: str, now_ms: float) -> int:
        """A reminder (``approval.reminder``) or escalation (``approval.escalated``) of one
        waiting request to ``role``'s webhooks; never raises."""
        key = f"{event}:{request.run_id}/{request.gate_id}:{int(now_ms)}"
        try:
            deliveries = self._deliveries(key, event, role, [request], batch_id=request.batch_id)
            self.outbox.add(deliveries, now_ms)
        except Exception as exc:  # a notification must never stop the sweep
            log.warning("could not queue %s of %s/%s: %s", event, request.run_id, request.gate_id, exc)
            return 0
        return len(deliveries)
