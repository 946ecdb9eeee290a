"""Human approvals on real Redis and real workers: parking, quorum, roles, races, expiry, batches."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from prp_tasks.approvals.authz import Authorizer
from prp_tasks.approvals.batch import decide_all
from prp_tasks.approvals.service import Approvals
from prp_tasks.core.approvals import AuditType
from prp_tasks.core.models import GateStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.errors import ConflictError, NotAuthorized
from prp_tasks.housekeeping.sweeper import Sweeper
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from tests.conftest import ROOT, clean_env, wait_until

Submit = Callable[..., str]
Finish = Callable[..., RunSnapshot]


def gates_yaml(*gates: str) -> str:
    return "name: approvals\ngates:\n" + "".join(gates)


def approval_gate(
    gid: str, role: str = "code-reviewer", deps: str = "", check: str = "true", **appr: Any
) -> str:
    extra = "".join(f", {k}: {json.dumps(v)}" for k, v in appr.items())
    dep = f", depends_on: [{deps}]" if deps else ""
    run = json.dumps(check.split())
    return f"  - {{id: {gid}{dep}, checks: [{{name: c, run: {run}}}], approval: {{role: {role}{extra}}}}}\n"


def plain_gate(gid: str, deps: str = "", check: str = "true") -> str:
    dep = f", depends_on: [{deps}]" if deps else ""
    return f"  - {{id: {gid}{dep}, checks: [{{name: c, run: {json.dumps(check.split())}}}]}}\n"


def status_of(control: Control, run_id: str, gate: str) -> GateStatus:
    status = control.store.gate_status(run_id, gate)
    assert status is not None
    return status


def wait_parked(control: Control, run_id: str, gate: str) -> None:
    wait_until(lambda: status_of(control, run_id, gate) == GateStatus.AWAITING_APPROVAL, timeout=20)


def audit_types(control: Control, run_id: str, gate: str | None = None) -> list[str]:
    return [e.type.value for e in control.audit(run_id) if gate is None or e.gate_id == gate]


@pytest.fixture
def with_roles(control: Control) -> Callable[[dict[str, list[str]]], Approvals]:
    """Approvals over the same store and workers, with a role mapping configured."""

    def make(roles: dict[str, list[str]]) -> Approvals:
        engine = control.engine
        authorizer = Authorizer(roles)
        return Approvals(control.settings, control.state, authorizer, engine.lifecycle, engine.followups)

    return make


def test_a_parked_gate_is_a_request_in_redis_and_a_decision_resumes_the_graph(
    control: Control, submit: Submit, finish: Finish, celery_app: Any
) -> None:
    run_id = submit(gates_yaml(approval_gate("A"), plain_gate("B", deps="A")))
    wait_parked(control, run_id, "A")
    (pending,) = [p for p in control.pending_approvals() if p.run_id == run_id]
    assert (pending.gate_id, pending.role, pending.quorum, pending.votes) == ("A", "code-reviewer", 1, 0)
    assert pending.evidence_summary[0].startswith("pass c: exit 0")
    assert pending.deadline > pending.requested_at and pending.batch_id

    # nothing holds a worker slot for the parked gate (once the check task that parked it returned)
    def holding() -> list[Any]:
        active = celery_app.control.inspect(timeout=1.0).active() or {}
        return [t for tasks in active.values() for t in tasks if run_id in json.dumps(t)]

    wait_until(lambda: not holding(), timeout=5.0, interval=0.1)
    time.sleep(0.5)
    assert not holding()
    result = control.decide(run_id, "A", actor="alice", approve=True, rationale="ok")
    assert (result.outcome, result.gate_status) == ("approved", "passed")
    snapshot = finish(run_id)
    assert {g: v.status.value for g, v in snapshot.gates.items()} == {"A": "passed", "B": "passed"}
    assert audit_types(control, run_id, "A") == ["approval.requested", "approval.decided"]
    assert not [p for p in control.pending_approvals() if p.run_id == run_id]


def test_a_quorum_counts_distinct_actors_and_ignores_a_repeat(
    control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit(gates_yaml(approval_gate("A", quorum=2), plain_gate("B", deps="A")))
    wait_parked(control, run_id, "A")
    first = control.decide(run_id, "A", actor="alice", approve=True)
    again = control.decide(run_id, "A", actor="alice", approve=True)
    assert (first.outcome, first.votes, again.outcome, again.votes) == ("counted", 1, "duplicate", 1)
    assert status_of(control, run_id, "A") == GateStatus.AWAITING_APPROVAL
    last = control.decide(run_id, "A", actor="bob", approve=True)
    assert last.outcome == "approved"
    snapshot = finish(run_id)
    assert snapshot.status.value == "passed"
    assert audit_types(control, run_id, "A") == [
        "approval.requested",
        "approval.vote",
        "approval.duplicate",
        "approval.decided",
    ]
    assert [(a.actor, a.decision.value) for a in snapshot.approvals] == [
        ("alice", "approved"),
        ("bob", "approved"),
    ]


def test_the_pending_list_reads_votes_and_drops_entries_of_gates_no_longer_parked(
    control: Control, submit: Submit
) -> None:
    run_id = submit(gates_yaml(approval_gate("A", quorum=2), plain_gate("B", deps="A")))
    wait_parked(control, run_id, "A")
    control.decide(run_id, "A", actor="alice", approve=True)
    index = control.state.keys.approvals("pending")
    stale = f"{run_id}/B"  # B is not parked: an entry left behind by a crash, say
    control.state.client.zadd(index, {stale: 0})
    listed = [(p.gate_id, p.votes, p.quorum) for p in control.pending_approvals() if p.run_id == run_id]
    assert listed == [("A", 1, 2)]
    assert control.state.client.zscore(index, stale) is None
    assert control.state.client.zscore(index, f"{run_id}/A") is not None


def test_the_pending_list_pages_oldest_first_past_stale_entries(control: Control, submit: Submit) -> None:
    runs = [submit(gates_yaml(approval_gate("A"), plain_gate("B", deps="A"))) for _ in range(4)]
    for run_id in runs:
        wait_parked(control, run_id, "A")
    index = control.state.keys.approvals("pending")
    scores = [control.state.client.zscore(index, f"{r}/A") for r in runs]
    for i, score in enumerate(scores[:3]):  # a stale entry right after three of them
        control.state.client.zadd(index, {f"{runs[i]}/B": score + 0.5})
    ours = set(runs)
    # oldest first: in the order they parked (the worker runs them at once, in any order)
    runs = [run_id for _, run_id in sorted(zip(scores, runs, strict=True), key=lambda p: (p[0], f"{p[1]}/A"))]

    def page(limit: int, offset: int) -> list[str]:
        return [p.run_id for p in control.pending_approvals(limit=limit, offset=offset) if p.run_id in ours]

    everything = [p.run_id for p in control.pending_approvals() if p.run_id in ours]
    assert everything == runs
    paged, offset = [], 0
    while chunk := control.pending_approvals(limit=2, offset=offset):
        paged += [p.run_id for p in chunk if p.run_id in ours]
        offset += len(chunk)
    assert paged == runs
    assert page(1000, 0) == runs
    assert not any(control.state.client.zscore(index, f"{r}/B") for r in runs)


def test_one_rejection_rejects_whatever_the_quorum(control: Control, submit: Submit, finish: Finish) -> None:
    run_id = submit(gates_yaml(approval_gate("A", quorum=3), plain_gate("B", deps="A")))
    wait_parked(control, run_id, "A")
    control.decide(run_id, "A", actor="alice", approve=True)
    assert control.decide(run_id, "A", actor="bob", approve=False, rationale="no").outcome == "rejected"
    snapshot = finish(run_id)
    assert {g: v.status.value for g, v in snapshot.gates.items()} == {"A": "failed", "B": "skipped"}


def test_the_requester_cannot_approve_their_own_run_when_self_approval_is_off(
    control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit(gates_yaml(approval_gate("A", no_self_approval=True)), actor="carol")
    wait_parked(control, run_id, "A")
    with pytest.raises(NotAuthorized, match="carol requested this run and may not approve"):
        control.decide(run_id, "A", actor="carol", approve=True)
    assert status_of(control, run_id, "A") == GateStatus.AWAITING_APPROVAL
    control.decide(run_id, "A", actor="dave", approve=True)
    finish(run_id)
    refused = [e for e in control.audit(run_id) if e.type == AuditType.REFUSED]
    assert [(e.actor, e.gate_id) for e in refused] == [("carol", "A")]


def test_an_actor_without_the_gates_role_is_refused_and_the_refusal_audited(
    control: Control, submit: Submit, finish: Finish, with_roles: Callable[..., Approvals]
) -> None:
    approvals = with_roles({"alice": ["code-reviewer"], "bob": ["qa-lead"]})
    run_id = submit(gates_yaml(approval_gate("A")))
    wait_parked(control, run_id, "A")
    with pytest.raises(
        NotAuthorized, match=r"bob may not decide this gate: it needs code-reviewer \(bob has qa-lead\)"
    ):
        approvals.decide(run_id, "A", actor="bob", approve=True)
    with pytest.raises(NotAuthorized, match="mallory has no roles"):
        approvals.decide(run_id, "A", actor="mallory", approve=False)
    assert approvals.decide(run_id, "A", actor="alice", approve=True).outcome == "approved"
    finish(run_id)
    events = control.audit(run_id)
    assert [(e.type.value, e.actor) for e in events if e.type == AuditType.REFUSED] == [
        ("approval.refused", "bob"),
        ("approval.refused", "mallory"),
    ]


def test_a_decision_bound_to_another_commit_is_refused(control: Control, submit: Submit) -> None:
    run_id = submit(gates_yaml(approval_gate("A")))
    wait_parked(control, run_id, "A")
    with pytest.raises(NotAuthorized, match="decision is for commit abc123, run is at unknown"):
        control.decide(run_id, "A", actor="alice", approve=True, commit_sha="abc123")
    control.cancel(run_id)


def test_a_pre_approval_applies_the_moment_the_checks_pass(
    control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit(gates_yaml(approval_gate("A", check="sleep 0.6"), plain_gate("B", deps="A")))
    wait_until(lambda: status_of(control, run_id, "A") == GateStatus.RUNNING)
    result = control.decide(run_id, "A", actor="alice", approve=True, rationale="ahead of time")
    assert result.outcome == "preapproved"
    snapshot = finish(run_id)
    assert snapshot.status.value == "passed"
    types = audit_types(control, run_id, "A")
    assert types == ["approval.preapproved", "approval.requested", "approval.decided"]
    decided = next(e for e in control.audit(run_id) if e.type == AuditType.DECIDED)
    assert decided.details == {"preapproved": True} and decided.actor == "alice"


def test_a_batch_decision_covers_every_parked_gate_the_role_may_decide(
    control: Control, submit: Submit, finish: Finish, with_roles: Callable[..., Approvals]
) -> None:
    approvals = with_roles({"alice": ["code-reviewer"]})
    text = gates_yaml(approval_gate("A"), approval_gate("B"), approval_gate("Q", role="qa-lead"))
    runs = [submit(text), submit(text)]
    for run_id in runs:
        for gate in "ABQ":
            wait_parked(control, run_id, gate)
    results = decide_all(approvals, runs, actor="alice", approve=True, rationale="batch")
    assert sorted((r.run_id, r.gate_id, r.outcome) for r in results) == sorted(
        (run_id, gate, "approved") for run_id in runs for gate in "AB"
    )
    for run_id in runs:
        assert status_of(control, run_id, "Q") == GateStatus.AWAITING_APPROVAL
        control.decide(run_id, "Q", actor="quinn", approve=True)
        assert finish(run_id).status.value == "passed"


def test_a_strict_rejection_stops_every_unstarted_gate_with_a_reason_naming_it(
    control: Control, submit: Submit, finish: Finish
) -> None:
    text = gates_yaml(
        approval_gate("A"),
        plain_gate("B", deps="A"),
        plain_gate("C", check="sleep 0.2"),
        plain_gate("D", deps="C"),
        plain_gate("E", deps="Z"),
        plain_gate("Z", check="sleep 30"),
    )
    run_id = submit(text, strict=True)
    wait_parked(control, run_id, "A")
    wait_until(lambda: status_of(control, run_id, "D") == GateStatus.PASSED)
    control.decide(run_id, "A", actor="alice", approve=False, rationale="scope unclear")
    reasons = {}
    for gate in ("B", "E"):
        record = control.store.record(run_id, gate)
        assert record is not None
        reasons[gate] = record.result.reason
    assert reasons == {g: "strict mode: run stopped after A was rejected" for g in ("B", "E")}
    assert status_of(control, run_id, "Z") == GateStatus.RUNNING  # started before: runs on
    control.cancel(run_id)
    snapshot = finish(run_id)
    assert list(snapshot.gates) == ["A", "B", "C", "D", "E", "Z"]  # stable, declaration order


def test_racing_approve_reject_and_expiry_give_exactly_one_outcome_per_gate(
    control: Control, submit: Submit, finish: Finish
) -> None:
    gates = [approval_gate(f"G{i}", timeout_s=30) for i in range(12)]
    run_id = submit(gates_yaml(*gates))
    for i in range(12):
        wait_parked(control, run_id, f"G{i}")
    outcomes: dict[str, list[str]] = {f"G{i}": [] for i in range(12)}
    barrier = threading.Barrier(4)
    sweeper = Sweeper(control.approvals, control.state.leases, 0.1)

    def act(kind: str) -> None:
        barrier.wait()
        for i in range(12):
            gate = f"G{i}"
            try:
                if kind == "expire":
                    sweeper.sweep_once(time.time() * 1000 + 3_600_000)
                else:
                    control.decide(run_id, gate, actor=kind, approve=kind != "rejecter")
                outcomes[gate].append(kind)
            except ConflictError:
                pass

    threads = [
        threading.Thread(target=act, args=(k,)) for k in ("approver", "rejecter", "approver2", "expire")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    snapshot = finish(run_id)
    for i in range(12):
        gate = f"G{i}"
        settled = [
            e
            for e in snapshot.audit
            if e.gate_id == gate and e.type in (AuditType.DECIDED, AuditType.EXPIRED, AuditType.CLOSED)
        ]
        assert len(settled) == 1, (gate, [e.type for e in snapshot.audit if e.gate_id == gate])
        assert snapshot.gates[gate].status in (GateStatus.PASSED, GateStatus.FAILED, GateStatus.SKIPPED)


@pytest.fixture
def parked_run(control: Control, submit: Submit) -> Iterator[str]:
    run_id = submit(gates_yaml(approval_gate("A")))
    wait_parked(control, run_id, "A")
    yield run_id
    with contextlib.suppress(ConflictError):  # a test that decided the gate may have ended the run
        control.cancel(run_id)


def test_deciding_a_settled_gate_is_a_conflict_stating_its_final_state(
    control: Control, parked_run: str
) -> None:
    control.decide(parked_run, "A", actor="alice", approve=False, rationale="no")
    with pytest.raises(
        ConflictError, match=r"gate A of run-\S+ is already failed \(rejected by alice \(code-reviewer\)\)"
    ):
        control.decide(parked_run, "A", actor="bob", approve=True)


RACER = """
import json, sys, time
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.errors import ConflictError
from prp_tasks.settings import load_settings
control = Runtime(load_settings()).control
run_id, kind, start_at, gates = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4].split(",")
time.sleep(max(0.0, start_at - time.time()))
won = []
for gate in gates:
    try:
        if kind == "expire":
            from prp_tasks.housekeeping.sweeper import Sweeper
            Sweeper(control.approvals, control.state.leases, 0.1).sweep_once(time.time() * 1000 + 3_600_000)
        else:
            result = control.decide(run_id, gate, actor=kind, approve=not kind.startswith("reject"))
            won.append((gate, result.outcome))
    except ConflictError:
        pass
print(json.dumps(won))
"""


def race(settings: Settings, run_id: str, gates: list[str], start_in_s: float, timeout_s: float) -> list[Any]:
    """Three deciding actors and an expiry sweep, each its own process, all released at one
    instant on ``gates``; what each one won."""
    env = clean_env() | {"PRP_REDIS_URL": settings.redis_url or "", "PRP_KEY_PREFIX": settings.key_prefix}
    start_at = str(time.time() + start_in_s)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, run_id, kind, start_at, ",".join(gates)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for kind in ("alice", "reject-bob", "carol", "expire")
    ]
    return [json.loads(p.communicate(timeout=timeout_s)[0] or "[]") for p in procs]


def test_decisions_racing_from_several_processes_settle_each_gate_once(
    control: Control, submit: Submit, finish: Finish, settings: Settings
) -> None:
    names = [f"P{i}" for i in range(10)]
    run_id = submit(gates_yaml(*(approval_gate(g, timeout_s=30) for g in names)))
    for gate in names:
        wait_parked(control, run_id, gate)
    wins = race(settings, run_id, names, start_in_s=2.5, timeout_s=60)
    snapshot = finish(run_id)
    for gate in names:
        settled = [
            e
            for e in snapshot.audit
            if e.gate_id == gate and e.type in (AuditType.DECIDED, AuditType.EXPIRED, AuditType.CLOSED)
        ]
        assert len(settled) == 1, gate
        winners = [outcome for proc_wins in wins for (g, outcome) in proc_wins if g == gate]
        assert len(winners) == (1 if settled[0].type == AuditType.DECIDED else 0), (gate, winners)
