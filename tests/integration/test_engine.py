"""The DAG engine on a real Redis with a real Celery worker."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prp_tasks.celeryapp.publish import CeleryEnqueuer
from prp_tasks.core.models import GateStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from tests.conftest import wait_until
from tests.integration.conftest import events

Submit = Callable[..., str]
Finish = Callable[..., RunSnapshot]


def statuses(snapshot: RunSnapshot) -> dict[str, str]:
    return {g: v.status.value for g, v in snapshot.gates.items()}


def assert_started_after_dependencies(snapshot: RunSnapshot) -> None:
    for gate in snapshot.spec.workflow.gates:
        (started,) = events(snapshot, "start", gate.id)
        for dep in gate.depends_on:
            (settled,) = events(snapshot, "settle", dep)
            assert settled <= started, f"{gate.id} started before {dep} settled"


DIAMOND = """
name: diamond
gates:
  - {id: A, checks: [{name: a, run: ["true"]}]}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}, {name: b2, run: ["true"]}]}
  - {id: C, depends_on: [A], checks: [{name: c, run: ["sleep", "0.2"]}]}
  - {id: D, depends_on: [B, C], checks: [{name: d, run: ["true"]}]}
"""


def test_a_diamond_runs_every_gate_once_after_its_dependencies(submit: Submit, finish: Finish) -> None:
    snapshot = finish(submit(DIAMOND))
    assert snapshot.status == RunStatus.PASSED
    assert set(statuses(snapshot).values()) == {"passed"}
    assert_started_after_dependencies(snapshot)
    for gate in "ABCD":
        assert len(events(snapshot, "settle", gate)) == 1


NOT_SERIES_PARALLEL = """
name: n-shape
gates:
  - {id: A, checks: [{name: a, run: ["sleep", "0.3"]}]}
  - {id: B, checks: [{name: b, run: ["true"]}]}
  - {id: C, depends_on: [A, B], checks: [{name: c, run: ["true"]}]}
  - {id: D, depends_on: [B], checks: [{name: d, run: ["true"]}]}
  - {id: E, depends_on: [D, A], checks: [{name: e, run: ["true"]}]}
"""


def test_a_graph_that_is_not_series_parallel_runs_on_its_own_dependencies(
    submit: Submit, finish: Finish
) -> None:
    snapshot = finish(submit(NOT_SERIES_PARALLEL))
    assert snapshot.status == RunStatus.PASSED
    assert_started_after_dependencies(snapshot)
    # D depends only on B: it must not wait for A (no level barrier)
    (d_started,) = events(snapshot, "start", "D")
    (a_settled,) = events(snapshot, "settle", "A")
    assert d_started < a_settled


CRITICAL_PATH = """
name: critical-path
gates:
  - {id: A, checks: [{name: s, run: ["sleep", "1.0"]}]}
  - {id: B, checks: [{name: s, run: ["sleep", "0.1"]}]}
  - {id: C, depends_on: [B], checks: [{name: s, run: ["sleep", "1.0"]}]}
  - {id: D, depends_on: [A], checks: [{name: s, run: ["sleep", "0.1"]}]}
"""


def test_gates_start_when_their_own_dependencies_finish_not_their_level(
    submit: Submit, finish: Finish
) -> None:
    snapshot = finish(submit(CRITICAL_PATH))
    (c_started,) = events(snapshot, "start", "C")
    (a_settled,) = events(snapshot, "settle", "A")
    (d_started,) = events(snapshot, "start", "D")
    (c_settled,) = events(snapshot, "settle", "C")
    assert c_started < a_settled  # C followed B without waiting for A (~0.9 s margin)
    assert d_started < c_settled  # D followed A without waiting for C


FAILING = """
name: failing
gates:
  - {id: A, checks: [{name: bad, run: ["false"]}, {name: good, run: ["true"]}]}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
  - {id: C, depends_on: [B], checks: [{name: c, run: ["true"]}]}
  - {id: D, checks: [{name: d, run: ["sleep", "0.3"]}]}
  - {id: E, depends_on: [D], checks: [{name: e, run: ["true"]}]}
"""


def test_a_failed_gate_skips_its_dependents_and_independent_branches_continue(
    submit: Submit, finish: Finish
) -> None:
    snapshot = finish(submit(FAILING))
    assert statuses(snapshot) == {"A": "failed", "B": "skipped", "C": "skipped", "D": "passed", "E": "passed"}
    a = snapshot.gates["A"].record
    assert a is not None and a.result.reason == "checks failed: bad"
    for gate in "BC":
        record = snapshot.gates[gate].record
        assert record is not None and record.result.reason == "dependency A failed"
    assert snapshot.status == RunStatus.FAILED


TWO_CHECKS = """
name: two-checks
gates:
  - {id: X, checks: [{name: fast, run: ["true"]}, {name: slow, run: ["sleep", "1.0"]}]}
  - {id: Y, depends_on: [X], checks: [{name: y, run: ["true"]}]}
"""


def test_a_check_completed_twice_is_counted_once(control: Control, submit: Submit, finish: Finish) -> None:
    run_id = submit(TWO_CHECKS)
    wait_until(lambda: "fast" in control.snapshot(run_id).gates["X"].checks, timeout=10)
    # a redelivered copy of the finished check: it must neither re-run nor count down again
    assert control.engine.run_check(run_id, "X", "fast").state == "done"
    assert control.store.redis.hget(control.store.k(run_id).left, "X") == "1"
    snapshot = finish(run_id)
    assert statuses(snapshot) == {"X": "passed", "Y": "passed"}
    assert len(events(snapshot, "start", "Y")) == 1


def test_a_gate_completed_twice_fires_its_dependents_once(
    control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit(TWO_CHECKS)
    snapshot = finish(run_id)
    record_before = snapshot.gates["X"].record
    control.engine.complete_gate(run_id, "X")  # a duplicate evaluation of a settled gate
    control.engine.run_check(run_id, "Y", "y")  # and a duplicate of the dependent's check
    after = control.snapshot(run_id)
    assert after.gates["X"].record == record_before
    assert len(events(after, "start", "Y")) == 1
    assert len(events(after, "settle", "X")) == 1


CANCELLABLE = """
name: cancellable
gates:
  - {id: A, checks: [{name: quick, run: ["true"]}, {name: long, run: ["sleep", "30"]}]}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
"""


def test_cancelling_mid_run_stops_the_check_and_skips_what_did_not_finish(
    control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit(CANCELLABLE)
    lease = control.store.k(run_id).lease("A", "long")
    wait_until(lambda: control.store.redis.exists(lease) == 1, timeout=10)
    wait_until(lambda: "quick" in control.snapshot(run_id).gates["A"].checks, timeout=10)
    time.sleep(0.2)
    started = time.monotonic()
    assert control.cancel(run_id) is True
    snapshot = finish(run_id)
    assert snapshot.status == RunStatus.CANCELLED
    for gate in "AB":
        record = snapshot.gates[gate].record
        assert record is not None and record.result.reason == "cancelled"
        assert snapshot.gates[gate].status == GateStatus.SKIPPED
    # A had started: its record keeps its start, its time and the check that finished
    a, b = snapshot.gates["A"], snapshot.gates["B"]
    assert a.record is not None and a.record.result.timestamp == a.started_at
    assert (a.record.result.duration_ms or 0) >= 200
    summary = [(c.name, c.status.value, c.output) for c in a.record.result.automated_checks]
    assert summary == [("quick", "pass", summary[0][2]), ("long", "skip", "did not finish: cancelled")]
    assert a.record.result.evidence == tuple(e.id for e in a.checks["quick"].evidence)
    view = control.get_run(run_id).gates[0]
    assert [(c.name, c.status) for c in view.checks] == [("quick", "pass"), ("long", "skip")]
    assert view.duration_ms == a.record.result.duration_ms and view.checks[1].duration_ms is None
    # B never started: no start, no checks
    assert b.started_at is None and b.record is not None and b.record.result.automated_checks == ()
    # the heartbeat noticed the cancel and killed the 30 s sleep
    wait_until(lambda: control.store.redis.exists(lease) == 0, timeout=10)
    assert time.monotonic() - started < 10
    assert control.cancel(run_id) is False  # cancelling again changes nothing


LEASED = """
name: leased
gates:
  - {id: A, checks: [{name: slow, run: ["python", "-c", "import time; time.sleep(2); print('done')"]}]}
"""


def test_a_lease_lost_while_its_check_runs_is_taken_back_and_the_check_completes(
    control: Control, submit: Submit, finish: Finish
) -> None:
    """A lease that expired while Redis or the worker stalled, or that a failover lost, and that no
    other delivery took: the check goes on and records its real result. (It was killed and
    recorded as skipped, "stopped: run cancelled", and its gate passed without it.)"""
    run_id = submit(LEASED)
    lease = control.store.k(run_id).lease("A", "slow")
    wait_until(lambda: control.store.redis.exists(lease) == 1, timeout=10)
    time.sleep(0.3)  # the command has started
    control.store.redis.delete(lease)
    snapshot = finish(run_id)
    result = snapshot.gates["A"].checks["slow"]
    assert (result.status.value, result.output) == ("pass", result.output), result.output
    assert result.output.endswith("done") and snapshot.status == RunStatus.PASSED
    assert len(events(snapshot, "settle", "A")) == 1


APPROVAL = """
name: approval
gates:
  - id: A
    checks: [{name: a, run: ["true"]}]
    approval: {role: code-reviewer}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
"""


def test_an_approval_gate_parks_until_a_decision_resumes_the_graph(
    control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit(APPROVAL)
    wait_until(lambda: control.snapshot(run_id).gates["A"].status == GateStatus.AWAITING_APPROVAL)
    assert control.snapshot(run_id).gates["B"].status == GateStatus.PENDING
    control.decide(run_id, "A", actor="alice", approve=True, rationale="looks good")
    snapshot = finish(run_id)
    assert statuses(snapshot) == {"A": "passed", "B": "passed"}
    record = snapshot.gates["A"].record
    assert record is not None and record.result.human_approval is not None
    assert record.result.human_approval.actor == "alice"
    assert record.result.human_approval.role == "code-reviewer"
    assert [a.actor for a in snapshot.approvals] == ["alice"]


def test_a_rejection_fails_the_gate_and_skips_its_dependents(
    control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit(APPROVAL)
    wait_until(lambda: control.snapshot(run_id).gates["A"].status == GateStatus.AWAITING_APPROVAL)
    control.decide(run_id, "A", actor="bob", approve=False, rationale="missing tests")
    snapshot = finish(run_id)
    assert statuses(snapshot) == {"A": "failed", "B": "skipped"}
    record = snapshot.gates["A"].record
    assert record is not None and record.result.reason == "rejected by bob (code-reviewer)"


def test_auto_approve_records_the_auto_actor(submit: Submit, finish: Finish) -> None:
    snapshot = finish(submit(APPROVAL, auto_approve=True))
    assert snapshot.status == RunStatus.PASSED
    (approval,) = snapshot.approvals
    assert (approval.actor, approval.channel) == ("auto", "auto")
    assert "--auto-approve" in approval.rationale


def test_the_finished_run_has_its_three_outputs(control: Control, submit: Submit, finish: Finish) -> None:
    run_id = submit(DIAMOND)
    finish(run_id)
    outputs = control.store.outputs(run_id)
    assert {"prp.md", "review.json", "run-manifest.json"} <= set(outputs)
    assert outputs["prp.md"].startswith("# PRP Document")


def test_the_run_index_forgets_runs_whose_state_expired(
    control: Control, submit: Submit, finish: Finish
) -> None:
    from prp_tasks.state.run_index import prune_index

    one = "name: idx\ngates:\n  - {id: A, checks: [{name: a, run: ['true']}]}\n"
    expired, kept = finish(submit(one)).spec.run_id, finish(submit(one)).spec.run_id
    redis, keys = control.store.redis, control.store.keys
    base = keys.run(expired).base
    redis.delete(base, *redis.keys(f"{base}:*"))  # as if its retention had passed
    assert prune_index(control.store, older_than_s=3600) == 0  # too young to have expired
    assert prune_index(control.store, older_than_s=0) >= 1
    assert redis.zscore(keys.runs, expired) is None and redis.zscore(keys.runs, kept) is not None


def test_a_check_reading_only_the_spec_runs_without_the_runs_workspace(
    control: Control, make_repo: Callable[..., Path], finish: Callable[..., RunSnapshot]
) -> None:
    """A built-in that reads only the profile and blueprint needs no workspace: it passes even
    when the submitted directory is gone before it runs, and none is created for it; a command
    check of the same run fails saying the directory is gone."""
    repo = make_repo()
    text = (
        "name: spec-only\ngates:\n"
        "  - {id: P, checks: [{name: targets, builtin: coverage-targets}]}\n"
        '  - {id: C, checks: [{name: cmd, run: ["true"]}]}\n'
    )
    spec = prepare_run(repo, workflow=parse_workflow(text))
    shutil.rmtree(repo)
    snapshot = finish(control.submit(spec))
    assert snapshot.gates["P"].status == GateStatus.PASSED
    assert snapshot.gates["C"].status == GateStatus.FAILED
    assert "is gone" in snapshot.gates["C"].checks["cmd"].output


def test_only_a_run_that_may_have_a_workspace_asks_the_workers_to_release_it(
    control: Control, submit: Callable[..., str], finish: Callable[..., RunSnapshot], monkeypatch: Any
) -> None:
    """The release broadcast reaches every worker; a run whose checks all read only its spec
    never had a workspace anywhere, so its finalization sends none."""
    released: list[str] = []
    message = CeleryEnqueuer.release_message

    def recorded(self: CeleryEnqueuer, run_id: str) -> tuple[tuple[str, ...], str] | None:
        released.append(run_id)  # published on the state store's connection (the session's broker)
        return message(self, run_id)

    monkeypatch.setattr(CeleryEnqueuer, "release_message", recorded)
    monkeypatch.setattr(CeleryEnqueuer, "release_workspaces", lambda self, run_id: released.append(run_id))
    spec_only = submit("name: s\ngates:\n  - {id: P, checks: [{name: t, builtin: coverage-targets}]}\n")
    assert finish(spec_only).status == RunStatus.PASSED
    with_command = submit('name: c\ngates:\n  - {id: C, checks: [{name: c, run: ["true"]}]}\n')
    assert finish(with_command).status == RunStatus.PASSED
    wait_until(lambda: with_command in released, timeout=10)  # after the commit the waiter saw
    # (the run of the test before may release after its waiter woke, while this test runs)
    assert [r for r in released if r in (spec_only, with_command)] == [with_command]


def test_the_release_the_commit_publishes_removes_a_workers_workspace(
    runtime: Any, celery_app: Any, make_repo: Callable[..., Path]
) -> None:
    """The broadcast a finalization publishes on the state store's connection (kombu's pidbox
    message, built by the enqueuer) is a remote-control command the worker runs: its workspace of
    the run goes."""
    executor, run_id = runtime.executor, f"release-{time.time_ns()}"
    with executor.workspaces.local(run_id, make_repo({"a.txt": "x"}), "unknown", executor.owner) as path:
        assert (path / "a.txt").exists()
    release = runtime.enqueuer.release_message(run_id)
    assert release is not None
    topics, message = release
    for topic in topics:
        runtime.state.client.publish(topic, message)
    wait_until(lambda: not path.exists() and run_id not in executor.workspaces.run_ids(), timeout=10)
