"""Webhook notifications against a real receiver: one notification per batch of requests, signed,
retried with backoff after failures, outcomes in the audit trail, and a dead webhook never
holding a gate up. The session worker's own sweeper delivers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.approvals.authz import Authorizer
from prp_tasks.approvals.webhooks import verify
from prp_tasks.core.approvals import AuditType
from prp_tasks.core.models import GateStatus
from prp_tasks.housekeeping.sweeper import Sweeper
from prp_tasks.service.control import Control
from prp_tasks.settings import NotifySettings, Settings, Webhook
from tests.conftest import wait_until
from tests.integration.test_http_api import free_port
from tests.integration.test_worker_loss import Workers, private, workers  # noqa: F401  (fixtures)
from tests.integration.test_worker_loss import submit as submit_on

SECRET = "s3cret-for-tests"
THREE = """
name: three-reviews
gates:
  - {id: S1, checks: [{name: a, run: ["true"]}], approval: {role: security-reviewer}}
  - {id: S2, checks: [{name: b, run: ["true"]}], approval: {role: security-reviewer}}
  - {id: S3, checks: [{name: c, run: ["true"]}], approval: {role: security-reviewer}}
"""


class Receiver:
    """Counts deliveries; answers 500 to the first ``fail_first`` attempts of each delivery."""

    def __init__(self, fail_first: int, delay_s: float = 0.0) -> None:
        self.fail_first = fail_first
        self.delay_s = delay_s  #: how long each answer takes (a webhook that hangs)
        self.received: list[tuple[str, dict[str, str], bytes, int]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    delivery = self.headers.get("X-PRP-Delivery", "")
                    seen = sum(1 for r in receiver.received if r[1].get("X-PRP-Delivery") == delivery)
                    status = 500 if seen < receiver.fail_first else 200
                    receiver.received.append((self.path, dict(self.headers.items()), body, status))
                time.sleep(receiver.delay_s)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def at(self, path: str) -> list[tuple[str, dict[str, str], bytes, int]]:
        with self.lock:
            return [r for r in self.received if r[0] == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(fail_first=2)
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def configured(
    runtime: Any, settings: Settings, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The session worker's approvals with a batch size of 3 and three webhooks."""
    notify = NotifySettings(
        webhooks=(
            Webhook(role="security-reviewer", url=f"{receiver.url}/json", secret=SECRET),  # type: ignore[arg-type]
            Webhook(role="security-reviewer", url=f"{receiver.url}/slack", format="slack", secret=SECRET),  # type: ignore[arg-type]
            Webhook(role="security-reviewer", url=f"http://127.0.0.1:{free_port()}/dead"),  # type: ignore[arg-type]
        ),
        backoff_s=0.2,
        max_attempts=3,
        timeout_s=2,
        public_url="https://prp.example.test",
    )
    changed = settings.model_copy(
        update={"notify": notify, "approval_batch_size": 3, "approval_batch_window_s": 60}
    )
    approvals = runtime.approvals
    monkeypatch.setattr(approvals, "settings", changed)
    monkeypatch.setattr(approvals.notifier, "settings", changed)
    return changed


@pytest.fixture
def sweeping(runtime: Any) -> Iterator[None]:
    """The sweeper's pass and its webhook sender's every 0.1 s (as a worker's housekeeping does
    every PRP_SWEEP_INTERVAL_S, in two threads)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.1):
            runtime.sweeper.sweep_once()
            runtime.sweeper.deliver_once()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def test_a_batch_of_three_requests_is_one_signed_notification_retried_until_accepted(
    configured: Settings,
    sweeping: None,
    receiver: Receiver,
    submit: Callable[..., str],
    control: Control,
    finish: Callable[..., Any],
) -> None:
    run_id = submit(THREE, actor="submitter")
    wait_until(lambda: len([r for r in receiver.at("/json") if r[3] == 200]) == 1, timeout=30)
    wait_until(lambda: len([r for r in receiver.at("/slack") if r[3] == 200]) == 1, timeout=30)
    generic = receiver.at("/json")
    assert [r[3] for r in generic] == [500, 500, 200]  # failed twice, then accepted
    assert len({r[1]["X-PRP-Delivery"] for r in generic}) == 1  # one notification for three requests
    assert [r[1]["X-PRP-Attempt"] for r in generic] == ["1", "2", "3"]
    for _, headers, body, _ in generic + receiver.at("/slack"):
        assert verify(SECRET, headers["X-PRP-Signature"], body), headers
        assert not verify("another secret", headers["X-PRP-Signature"], body)
        assert not verify(SECRET, headers["X-PRP-Signature"], body + b" ")
    payload = json.loads(generic[-1][2])
    assert (payload["type"], payload["role"], payload["count"]) == (
        "approval.requested",
        "security-reviewer",
        3,
    )
    assert sorted(r["gate_id"] for r in payload["requests"]) == ["S1", "S2", "S3"]
    assert payload["requests"][0]["run_url"] == f"https://prp.example.test/runs/{run_id}"
    slack = json.loads(receiver.at("/slack")[-1][2])
    assert "3 approval requests for security-reviewer" in slack["text"] and len(slack["blocks"]) == 5
    # the dead webhook is given up after its attempts, and never held a gate up
    wait_until(lambda: any(e.type == AuditType.NOTIFY_FAILED for e in control.audit(run_id)), timeout=30)
    for gate in ("S1", "S2", "S3"):
        control.decide(
            run_id,
            gate,
            actor="sam",
            approve=True,
            channel="cli",
            authorizer=Authorizer({"sam": {"security-reviewer"}}),
        )
    assert finish(run_id).status == "passed"
    trail = [
        (e.type, e.details.get("webhook"), e.details.get("attempt"))
        for e in control.audit(run_id)
        if e.type.value.startswith("notification.")
    ]
    json_hook = [t for t in trail if t[1] == receiver.url and t[0] != AuditType.NOTIFY_FAILED]
    assert (AuditType.NOTIFY_RETRY, receiver.url, 1) in json_hook and (
        AuditType.NOTIFIED,
        receiver.url,
        3,
    ) in json_hook
    dead = [t for t in trail if t[1] != receiver.url]
    assert [t[0] for t in dead] == [AuditType.NOTIFY_RETRY, AuditType.NOTIFY_RETRY, AuditType.NOTIFY_FAILED]
    assert all("/dead" not in str(e.details) for e in control.audit(run_id))  # no URL paths in the trail


FOLLOW_UPS = """
name: follow-ups
gates:
  - id: M
    checks: [{name: m, run: ["true"]}]
    approval: {role: maintainer, reminder_s: 0.5, escalate_after_s: 0.5, escalate_to: release-manager}
"""


def test_reminders_and_escalations_reach_the_webhooks_of_their_roles(
    runtime: Any,
    settings: Settings,
    receiver: Receiver,
    sweeping: None,
    submit: Callable[..., str],
    control: Control,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.fail_first = 0
    notify = NotifySettings(
        webhooks=(
            Webhook(role="maintainer", url=f"{receiver.url}/maintainer"),  # type: ignore[arg-type]
            Webhook(role="release-manager", url=f"{receiver.url}/release", format="slack"),  # type: ignore[arg-type]
        ),
        backoff_s=0.2,
    )
    changed = settings.model_copy(update={"notify": notify, "approval_batch_size": 1})
    monkeypatch.setattr(runtime.approvals, "settings", changed)
    monkeypatch.setattr(runtime.approvals.notifier, "settings", changed)
    run_id = submit(FOLLOW_UPS, actor="submitter")

    def kinds(path: str) -> list[str]:
        return [r[1]["X-PRP-Event"] for r in receiver.at(path)]

    wait_until(lambda: {"approval.requested", "approval.reminder"} <= set(kinds("/maintainer")), timeout=30)
    wait_until(lambda: kinds("/release") == ["approval.escalated"], timeout=30)
    assert "approval.escalated" not in kinds("/maintainer")
    escalated = json.loads(receiver.at("/release")[0][2])
    assert escalated["text"].startswith("1 escalated approval request for release-manager")
    assert "X-PRP-Signature" not in receiver.at("/release")[0][1]  # no secret: unsigned
    control.cancel(run_id, "test")


HANGING = """
name: hanging-webhook
gates:
  - {id: A, checks: [{name: a, run: ["true"]}], approval: {role: maintainer, timeout_s: 1}}
"""


def test_a_webhook_that_hangs_holds_up_no_approval_deadline(
    runtime: Any,
    settings: Settings,
    submit: Callable[..., str],
    control: Control,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Deliveries have a thread of their own: while one waits out its 5 s timeout, the sweeper's
    pass still expires a gate whose deadline passed."""
    slow = Receiver(fail_first=0, delay_s=8)
    slow.thread.start()
    notify = NotifySettings(webhooks=(Webhook(role="maintainer", url=f"{slow.url}/slow"),), timeout_s=5)  # type: ignore[arg-type]
    changed = settings.model_copy(update={"notify": notify, "approval_batch_size": 1})
    monkeypatch.setattr(runtime.approvals, "settings", changed)
    monkeypatch.setattr(runtime.approvals.notifier, "settings", changed)
    sweeper = Sweeper(runtime.approvals, control.state.leases, 0.1).start()
    try:
        run_id = submit(HANGING, actor="submitter")
        wait_until(lambda: control.store.gate_status(run_id, "A") == GateStatus.AWAITING_APPROVAL, timeout=30)
        wait_until(lambda: slow.at("/slow"), timeout=10)  # the sender now waits for an answer
        parked = time.monotonic()
        wait_until(lambda: control.store.gate_status(run_id, "A") == GateStatus.FAILED, timeout=30)
        assert time.monotonic() - parked < 3.5, "the expiry waited for the webhook"
        record = control.store.record(run_id, "A")
        assert record is not None and "expired" in (record.result.reason or "")
    finally:
        sweeper.stop()
        slow.server.shutdown()
        slow.server.server_close()


def test_a_prefork_worker_sends_the_notifications_from_its_sender_thread(
    private: Settings,  # noqa: F811  (the fixture imported above)
    workers: Workers,  # noqa: F811
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    """A real `prp worker` (prefork): the housekeeping bootstep's sweep queues the notification,
    its sender thread delivers it."""
    receiver.fail_first = 0
    hooks = json.dumps([{"role": "maintainer", "url": f"{receiver.url}/worker"}])
    env = {"PRP_NOTIFY__WEBHOOKS": hooks, "PRP_APPROVAL_BATCH_SIZE": "1", "PRP_SWEEP_INTERVAL_S": "0.2"}
    workers.start(env)
    text = (
        'name: one\ngates:\n  - {id: A, checks: [{name: a, run: ["true"]}], approval: {role: maintainer}}\n'
    )
    control, run_id = submit_on(private, tmp_path, text)
    wait_until(lambda: bool(receiver.at("/worker")), timeout=30)
    body = json.loads(receiver.at("/worker")[0][2])
    assert (body["type"], body["requests"][0]["run_id"]) == ("approval.requested", run_id)
    control.cancel(run_id, "test")


def test_without_webhooks_announced_batches_are_handled_without_reading_a_request(
    control: Control, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten thousand parked gates announce thousands of batches: with nobody to notify, the
    sweeper marks them handled in one command instead of reading every request of each."""
    notifier = control.approvals.notifier
    assert control.settings.notify.webhooks == ()
    notifier.outbox.announce("batch-nobody-hears", 0)

    def read(*_: Any) -> list[str]:
        raise AssertionError("a batch was read although no webhook is configured")

    monkeypatch.setattr(type(notifier.astore), "batch_members", read)
    assert notifier.announce() == 0
    assert notifier.outbox.announced_batches() == []
