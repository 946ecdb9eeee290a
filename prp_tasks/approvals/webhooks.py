"""Sending webhook deliveries: signed, retried with exponential backoff, outcomes audited.

Each POST carries ``X-PRP-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256(secret, ``"<t>." + body``) (the receiver checks it and rejects old timestamps),
``X-PRP-Delivery`` (stable across retries: receivers deduplicate on it), ``X-PRP-Event`` and
``X-PRP-Attempt``. A 2xx answer is delivered; anything else is retried after
``backoff_s * 2**(attempt-1)`` (capped at ``backoff_max_s``) until ``max_attempts``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from prp_tasks import __version__
from prp_tasks.approvals.notify import Notifier, slack_body
from prp_tasks.core.approvals import AuditEvent, AuditType
from prp_tasks.core.evaluate import utc_now
from prp_tasks.errors import PrpError

log = logging.getLogger("prp_tasks.approvals.webhooks")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-PRP-Signature`` value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, *, tolerance_s: int = 300, now: float | None = None
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance_s`` of ``now``."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def _request(notifier: Notifier, delivery: dict[str, Any]) -> tuple[str, bytes, dict[str, str]] | None:
    hooks = notifier.settings.notify.webhooks
    index = int(delivery["hook"])
    if index >= len(hooks) or str(hooks[index].url) != delivery["url"]:
        return None  # the webhook is no longer configured
    hook = hooks[index]
    body = delivery["body"] | {"delivery_id": delivery["id"]}
    payload = slack_body(body) if delivery["format"] == "slack" else body
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"prp-tasks/{__version__}",
        "X-PRP-Delivery": delivery["id"],
        "X-PRP-Event": delivery["event"],
        "X-PRP-Attempt": str(delivery["attempts"]),
    }
    if hook.secret is not None:
        headers["X-PRP-Signature"] = signature(hook.secret.get_secret_value(), int(time.time()), data)
    return delivery["url"], data, headers


def _attempt(
    notifier: Notifier, client: httpx.Client, delivery: dict[str, Any]
) -> tuple[bool, str, int | None]:
    """One POST: (delivered, what happened, HTTP status)."""
    built = _request(notifier, delivery)
    if built is None:
        return False, "the webhook is no longer configured", None
    url, data, headers = built
    try:
        response = client.post(url, content=data, headers=headers)
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {str(exc)[:200]}", None
    if 200 <= response.status_code < 300:
        return True, f"HTTP {response.status_code}", response.status_code
    return False, f"HTTP {response.status_code}", response.status_code


def _audit(
    notifier: Notifier, delivery: dict[str, Any], kind: AuditType, outcome: str, **details: Any
) -> None:
    where = urlsplit(delivery["url"])
    gates = delivery["gates"]
    for run_id in delivery["runs"]:
        event = AuditEvent(
            type=kind,
            run_id=run_id,
            at=utc_now(),
            gate_id=gates[0].split("/", 1)[1] if len(gates) == 1 else None,
            role=delivery["role"],
            batch_id=delivery.get("batch_id"),
            reason=outcome,
            details={
                "delivery": delivery["id"],
                "event": delivery["event"],
                "webhook": f"{where.scheme}://{where.netloc}",  # never the path: it may hold a secret
                "format": delivery["format"],
                "attempt": delivery["attempts"],
                "gates": gates,
                **details,
            },
        )
        try:
            notifier.runs.append_audit(run_id, event)
        except PrpError as exc:
            log.warning("could not audit delivery %s for %s: %s", delivery["id"], run_id, exc)


def _settle(
    notifier: Notifier, delivery: dict[str, Any], ok: bool, outcome: str, status: int | None, now_ms: float
) -> None:
    config = notifier.settings.notify
    if ok:
        notifier.outbox.done(delivery["id"])
        _audit(notifier, delivery, AuditType.NOTIFIED, outcome, status=status)
        return
    if delivery["attempts"] >= config.max_attempts or outcome.startswith("the webhook is no longer"):
        notifier.outbox.done(delivery["id"])
        _audit(notifier, delivery, AuditType.NOTIFY_FAILED, outcome, status=status)
        log.warning(
            "gave up delivery %s to %s: %s", delivery["id"], urlsplit(delivery["url"]).netloc, outcome
        )
        return
    delay_s = min(config.backoff_s * 2 ** (delivery["attempts"] - 1), config.backoff_max_s)
    next_ms = now_ms + delay_s * 1000
    notifier.outbox.retry(delivery, next_ms)
    next_at = datetime.fromtimestamp(next_ms / 1000, UTC).isoformat().replace("+00:00", "Z")
    _audit(notifier, delivery, AuditType.NOTIFY_RETRY, outcome, status=status, next_attempt_at=next_at)


def deliver_due(
    notifier: Notifier, now_ms: float | None = None, still_ours: Callable[[], bool] | None = None
) -> int:
    """Send the deliveries whose time came (at most ``per_sweep``, within about two attempt
    timeouts); returns how many were delivered. ``still_ours`` (renewing the sender's lease) is
    asked before each attempt: once it says no, another sender has taken over."""
    config = notifier.settings.notify
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    due = notifier.outbox.due(now_ms, config.per_sweep)
    if not due:
        return 0
    budget = time.monotonic() + 2 * config.timeout_s
    delivered = 0
    with httpx.Client(timeout=config.timeout_s, follow_redirects=False) as client:
        for delivery in due:
            if time.monotonic() > budget or (still_ours is not None and not still_ours()):
                break  # the rest wait for the next pass
            delivery["attempts"] = int(delivery.get("attempts", 0)) + 1
            ok, outcome, status = _attempt(notifier, client, delivery)
            _settle(notifier, delivery, ok, outcome, status, time.time() * 1000)
            delivered += ok
    return delivered
