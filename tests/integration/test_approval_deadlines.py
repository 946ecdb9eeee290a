"""Approvals and time: batch announcements, expiry (also by another process after a restart),
``on_timeout``, reminders and escalation, all driven by the sweeper's pass."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from prp_tasks.approvals.service import Approvals
from prp_tasks.core.approvals import AuditType
from prp_tasks.core.models import GateStatus
from prp_tasks.errors import NotAuthorized
from prp_tasks.housekeeping.sweeper import Sweeper
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from tests.conftest import ROOT, clean_env, wait_until
from tests.integration.test_approvals import (
    Finish,
    Submit,
    approval_gate,
    audit_types,
    gates_yaml,
    plain_gate,
    status_of,
    wait_parked,
    with_roles,  # noqa: F401  (a fixture)
)


def test_requests_are_announced_in_batches_per_role(
    control: Control, submit: Submit, finish: Finish, settings: Settings
) -> None:
    run_id = submit(gates_yaml(*(approval_gate(g, role="architect") for g in "ABC")))
    for gate in "ABC":
        wait_parked(control, run_id, gate)
    requests = {g: control.engine.approvals.astore.request(run_id, g) for g in "ABC"}
    batch_ids = {r.batch_id for r in requests.values() if r}
    assert len(batch_ids) == 2  # batch size 2: two requests share one batch, the third opens another
    sweeper = Sweeper(control.approvals, control.state.leases, 0.1)
    wait_until(
        lambda: (
            bool(sweeper.sweep_once(time.time() * 1000 + 60_000) or True)
            and len([e for e in control.audit(run_id) if e.type == AuditType.BATCH]) == 2
        ),
        timeout=10,
    )
    batches = [e for e in control.audit(run_id) if e.type == AuditType.BATCH]
    # other tests' parked gates of the same role may share the second batch: look at this run's
    assert all(len(e.details["members"]) <= 2 for e in batches)
    ours = sorted(m for e in batches for m in e.details["members"] if m.startswith(run_id))
    assert ours == [f"{run_id}/{g}" for g in "ABC"]
    assert {e.batch_id for e in batches} == batch_ids
    control.cancel(run_id)


def test_an_expired_request_fails_the_gate_even_after_a_worker_restart(
    control: Control, submit: Submit, finish: Finish, settings: Settings
) -> None:
    run_id = submit(gates_yaml(approval_gate("A", timeout_s=1), plain_gate("B", deps="A")))
    wait_parked(control, run_id, "A")
    time.sleep(1.1)
    # a different process (as after a restart) finds the durable deadline in Redis
    env = {"PRP_REDIS_URL": settings.redis_url or "", "PRP_KEY_PREFIX": settings.key_prefix}
    swept = subprocess.run(
        [sys.executable, "-m", "prp_tasks.cli", "sweeper", "--once"],
        env=clean_env() | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(swept.stdout)["expired"] >= 1 or status_of(control, run_id, "A") == GateStatus.FAILED
    snapshot = finish(run_id)
    record = snapshot.gates["A"].record
    assert record is not None and record.result.reason is not None
    assert record.result.reason.startswith("approval expired")
    assert snapshot.gates["B"].status == GateStatus.SKIPPED
    assert "approval.expired" in audit_types(control, run_id, "A")


def test_on_timeout_approve_records_an_auto_decision(
    control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit(gates_yaml(approval_gate("A", timeout_s=0.5, on_timeout="approve")))
    wait_parked(control, run_id, "A")
    sweeper = Sweeper(control.approvals, control.state.leases, 0.1)
    wait_until(
        lambda: bool(sweeper.sweep_once()) and status_of(control, run_id, "A") != GateStatus.AWAITING_APPROVAL
    )
    snapshot = finish(run_id)
    assert snapshot.status.value == "passed"
    (approval,) = snapshot.approvals
    assert (approval.actor, approval.channel) == ("auto", "auto")
    assert "on_timeout: approve" in approval.rationale


def test_reminders_and_escalation_are_audited_and_escalation_widens_who_may_decide(
    control: Control,
    submit: Submit,
    finish: Finish,
    with_roles: Callable[..., Approvals],  # noqa: F811  (the fixture imported above)
) -> None:
    approvals = with_roles({"alice": ["code-reviewer"], "mona": ["maintainer"]})
    gate = approval_gate("A", reminder_s=0.2, escalate_after_s=0.3, escalate_to="maintainer")
    run_id = submit(gates_yaml(gate))
    wait_parked(control, run_id, "A")
    with pytest.raises(NotAuthorized):
        approvals.decide(run_id, "A", actor="mona", approve=True)
    time.sleep(0.4)
    Sweeper(control.approvals, control.state.leases, 0.1).sweep_once()
    types = audit_types(control, run_id, "A")
    assert "approval.reminder" in types and "approval.escalated" in types
    assert approvals.decide(run_id, "A", actor="mona", approve=True).outcome == "approved"
    decided = next(e for e in control.audit(run_id) if e.type == AuditType.DECIDED)
    assert decided.role == "maintainer"
    finish(run_id)
