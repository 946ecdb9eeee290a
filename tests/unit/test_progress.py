"""Run progress for people (``prp_tasks.cli.progress``) and the approval wait in the run view, on
hand-built snapshots: human durations, the status table, and the plain lines printed without a
terminal (one per state change, from the run's event log and audit trail)."""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console

from prp_tasks.cli.progress import (
    PlainCursor,
    approval_hint,
    failed_view_lines,
    final_lines,
    follow,
    plain_lines,
    settle_line,
)
from prp_tasks.cli.tables import checks_cell
from prp_tasks.core.approvals import AuditEvent, AuditType
from prp_tasks.core.models import ApprovalSpec, Role, Workflow
from prp_tasks.core.results import Decision
from prp_tasks.core.run import RunSpec, RunStatus
from prp_tasks.core.snapshot import GateEvent, GateEventType, GateView, RunSnapshot
from prp_tasks.service.views import run_view
from tests.unit.render_builders import (
    approval,
    at,
    custom_gate,
    make_spec,
    pending,
    run_gate,
    skipped,
    snap,
)

NOW = "2026-03-01T10:30:00.000Z"
URL = "unix:///r/.prp/redis.sock"


# the run: lint -> review (parks for a code reviewer) -> ship ---------------------------------


def pipeline() -> Workflow:
    return Workflow(
        name="pipeline",
        gates=(
            custom_gate("lint", ["ruff"], name="Lint"),
            custom_gate(
                "review", ["diff"], depends_on=("lint",), approval=ApprovalSpec(role=Role.CODE_REVIEWER)
            ),
            custom_gate("ship", ["build", "upload"], depends_on=("review",)),
        ),
    )


def requested(spec: RunSpec, gate_id: str, when: str, role: str = "code-reviewer") -> AuditEvent:
    return AuditEvent(type=AuditType.REQUESTED, run_id=spec.run_id, gate_id=gate_id, at=when, role=role)


def event(
    gate_id: str, kind: str, when: str, status: str | None = None, message: str | None = None
) -> GateEvent:
    return GateEvent(
        gate_id=gate_id, type=GateEventType(kind), timestamp=when, status=status, message=message
    )


def parked_run() -> RunSnapshot:
    """lint passed (1:00-1:20), review parked at 2:20 after its checks (2:00-2:20), ship pending."""
    spec = make_spec(pipeline())
    wf = spec.workflow
    views = {
        "lint": started(run_gate(wf.gate("lint"), 1), 1),
        "review": started(run_gate(wf.gate("review"), 2), 2),
        "ship": pending(wf.gate("ship")),
    }
    events = (
        event("lint", "start", at(1)),
        event("lint", "settle", at(1, 20), "passed"),
        event("review", "start", at(2)),
    )
    audit = (requested(spec, "review", at(2, 20)),)
    return snap(spec, views, RunStatus.RUNNING, finished_at=None, events=events, audit=audit)


def decided_run(decision: Decision = Decision.APPROVED) -> RunSnapshot:
    """review decided at 2:30 (10 s after it parked); ship passed or skipped after it."""
    spec = make_spec(pipeline())
    wf = spec.workflow
    verdict = approval("review", 2, decision=decision, role="code-reviewer", actor="alice")
    approved = decision == Decision.APPROVED
    views = {
        "lint": started(run_gate(wf.gate("lint"), 1), 1),
        "review": started(run_gate(wf.gate("review"), 2, decide=verdict), 2),
        "ship": started(run_gate(wf.gate("ship"), 3), 3)
        if approved
        else skipped(wf.gate("ship"), 2, "dependency review failed"),
    }
    events = (*parked_run().events, event("review", "settle", at(2, 30), "passed" if approved else "failed"))
    if approved:
        events += (event("ship", "start", at(3)), event("ship", "settle", at(3, 20), "passed"))
    else:
        events += (event("ship", "settle", at(2, 30), "skipped"),)
    audit = (requested(spec, "review", at(2, 20)),)
    status = RunStatus.PASSED if approved else RunStatus.FAILED
    return snap(spec, views, status, finished_at=at(3, 30), events=events, audit=audit)


def started(view: GateView, minute: int) -> GateView:
    return view.model_copy(update={"started_at": at(minute)})


def gate(snapshot: RunSnapshot, gate_id: str, now: str | None = None) -> dict[str, Any]:
    view = run_view(snapshot, now=now).model_dump(mode="json")
    return next(g for g in view["gates"] if g["id"] == gate_id)


# the approval wait in the run view ----------------------------------------------------------------


def test_a_parked_gate_has_waited_since_its_checks_finished() -> None:
    review = gate(parked_run(), "review", now=NOW)
    assert review["waiting_since"] == at(2, 20)
    assert review["waited_ms"] == (27 * 60 + 40) * 1000  # 10:02:20 until 10:30 (NOW)
    assert review["duration_ms"] - review["waited_ms"] == 20_000  # its checks' own time
    assert gate(parked_run(), "review")["waited_ms"] is None  # no clock: no live figure


def test_a_decided_gate_keeps_its_wait_apart_from_its_duration() -> None:
    review = gate(decided_run(), "review")
    assert (review["duration_ms"], review["waited_ms"]) == (30_000, 10_000)
    rejected = gate(decided_run(Decision.REJECTED), "review")
    assert (rejected["status"], rejected["waited_ms"]) == ("failed", 10_000)


def test_gates_that_never_waited_have_no_wait_and_auto_approval_waits_zero() -> None:
    snapshot = decided_run()
    assert gate(snapshot, "lint")["waited_ms"] is None
    assert gate(snapshot, "ship")["waited_ms"] is None
    spec = snapshot.spec
    auto = approval("review", 2, role="code-reviewer", actor="auto", channel="auto")
    views = {**snapshot.gates, "review": run_gate(spec.workflow.gate("review"), 2, decide=auto)}
    without_request = snapshot.model_copy(update={"gates": views, "audit": ()})
    assert gate(without_request, "review")["waited_ms"] == 0


def test_a_request_from_an_earlier_execution_of_the_gate_does_not_count() -> None:
    snapshot = decided_run()
    stale = (requested(snapshot.spec, "review", at(1, 59)),)  # before this execution started (2:00)
    assert gate(snapshot.model_copy(update={"audit": stale}), "review")["waited_ms"] is None


# the status table -------------------------------------------------------------------------------


# plain lines ------------------------------------------------------------------------------------


def test_plain_lines_say_each_state_change_once_in_order() -> None:
    cursor = PlainCursor()
    first = plain_lines(parked_run(), cursor, redis_url=URL, now=NOW)
    assert first == [
        "run run-test-1: workflow pipeline, 3 gates",
        "lint Lint: started",
        "lint Lint: passed in 20.0 s (checks 1/1)",
        "review: started",
        f"review: awaiting approval (code-reviewer); to approve: PRP_REDIS_URL={URL} "
        "prp approve run-test-1 review --as <you>",
    ]
    assert plain_lines(parked_run(), cursor, redis_url=URL, now=NOW) == []  # nothing new
    rest = plain_lines(decided_run(), cursor, redis_url=URL, final=True)
    assert rest == [
        "review: passed in 20.0 s (checks 1/1); approved by alice (code-reviewer) after 10.0 s",
        "ship: started",
        "ship: passed in 20.0 s (checks 2/2)",
        "run run-test-1 finished: passed in 1 h 03 min (3 passed)",
    ]
    assert plain_lines(decided_run(), cursor, final=True) == []  # the outcome is said once


def test_transitions_between_two_polls_are_not_lost() -> None:
    """A gate that parked and was decided before the first poll still gets both lines."""
    lines = plain_lines(decided_run(), PlainCursor(), final=True)
    assert [line.split(" (")[0].split(";")[0] for line in lines[1:]] == [
        "lint Lint: started",
        "lint Lint: passed in 20.0 s",
        "review: started",
        "review: awaiting approval",
        "review: passed in 20.0 s",
        "ship: started",
        "ship: passed in 20.0 s",
        "run run-test-1 finished: passed in 1 h 03 min",
    ]
    assert "prp approve" not in lines[4]  # decided already: no command to run


def test_a_rejection_fails_the_gate_and_skips_its_dependents_with_reasons() -> None:
    lines = plain_lines(decided_run(Decision.REJECTED), PlainCursor(), final=True)
    assert "review: failed in 20.0 s (checks 1/1): rejected by alice (code-reviewer) after 10.0 s" in lines
    assert "ship: skipped: dependency review failed" in lines
    assert lines[-1] == "run run-test-1 finished: failed in 1 h 03 min (1 passed, 1 failed, 1 skipped)"


def test_a_cancelled_run_says_who_cancelled_and_why_gates_were_skipped() -> None:
    snapshot = parked_run()
    cancel = AuditEvent(type=AuditType.CANCELLED, run_id="run-test-1", at=at(5), actor="bob")
    events = (
        *snapshot.events,
        event("review", "settle", at(5), "skipped", "cancelled"),
        event("ship", "settle", at(5), "skipped", "cancelled"),
    )
    cancelled = snapshot.model_copy(update={"events": events, "audit": (*snapshot.audit, cancel)})
    lines = plain_lines(cancelled, PlainCursor())
    assert lines[-3:] == [
        "run run-test-1: cancelled by bob",
        "review: skipped: cancelled",
        "ship: skipped: cancelled",
    ]


def test_a_plain_follower_quiet_for_a_minute_says_what_is_still_running() -> None:
    """mongoengine piped: after "run-lint: passed in 2.3 s" nothing for ten minutes, until its test
    check's time limit: a reader could not tell a working run from a stuck one."""
    spec = make_spec(pipeline())
    wf = spec.workflow
    lint = started(run_gate(wf.gate("lint"), 1), 1)
    build = run_gate(wf.gate("ship"), 2).checks["build"]  # one of ship's two checks finished
    ship = GateView(gate_id="ship", status="running", started_at=at(2), checks={"build": build})
    views = {"lint": lint, "review": started(run_gate(wf.gate("review"), 1), 1), "ship": ship}
    events = (
        event("lint", "start", at(1)),
        event("lint", "settle", at(1, 20), "passed"),
        event("ship", "start", at(2)),
    )
    running = snap(spec, views, RunStatus.RUNNING, finished_at=None, events=events)
    cursor = PlainCursor()
    assert plain_lines(running, cursor, now=at(2, 5))[-1] == "ship: started"
    assert plain_lines(running, cursor, now=at(2, 50)) == []  # quiet for less than a minute
    assert plain_lines(running, cursor, now=at(3, 10)) == [
        "ship: still running after 1 min 10 s (upload not finished)"
    ]
    assert plain_lines(running, cursor, now=at(3, 40)) == []  # once a minute
    assert plain_lines(running, cursor, now=at(4, 10)) == [
        "ship: still running after 2 min 10 s (upload not finished)"
    ]


def test_the_terminal_hint_and_the_plain_line_give_the_same_command() -> None:
    view = run_view(parked_run(), now=NOW).model_dump(mode="json")
    hint = approval_hint(view, URL)
    assert hint is not None
    assert f"PRP_REDIS_URL={URL} prp approve run-test-1 review --as <you>   # code-reviewer" in hint.plain
    line = plain_lines(parked_run(), PlainCursor(), now=NOW)[-1]
    assert line.endswith("; to approve: prp approve run-test-1 review --as <you>")  # no URL given


# follow without a terminal -----------------------------------------------------------------------


class FakeControl:
    """Replays snapshots, one per poll; final once the last one is reached."""

    def __init__(self, *snapshots: RunSnapshot) -> None:
        self.snapshots = list(snapshots)
        self.polls = 0

    def is_final(self, run_id: str) -> bool:
        return self.polls >= len(self.snapshots) - 1 and self.snapshots[-1].status in (
            RunStatus.PASSED,
            RunStatus.FAILED,
        )

    def snapshot(self, run_id: str) -> RunSnapshot:
        current = self.snapshots[min(self.polls, len(self.snapshots) - 1)]
        self.polls += 1
        return current


class Flushes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


def test_follow_without_a_terminal_writes_plain_lines_flushed_as_they_come() -> None:
    stream = Flushes()
    control = FakeControl(parked_run(), parked_run(), decided_run())
    console = Console(file=stream, width=80)
    assert follow(control, "run-test-1", console, live=False, redis_url=URL) is True  # type: ignore[arg-type]
    lines = stream.getvalue().splitlines()
    assert lines[0] == "run run-test-1: workflow pipeline, 3 gates"
    assert lines[4].startswith("review: awaiting approval (code-reviewer); to approve: PRP_REDIS_URL=")
    assert len(lines[4]) > 80  # never wrapped
    assert lines[-1] == "run run-test-1 finished: passed in 1 h 03 min (3 passed)"
    assert len(stream.flushed) == len(lines)  # each line flushed on its own
    assert stream.flushed[4].endswith("--as <you>\n")  # the command is out before the run ends
    assert "┃" not in stream.getvalue() and "\x1b[" not in stream.getvalue()  # never a table frame


def test_follow_without_a_terminal_gives_up_at_the_timeout() -> None:
    stream = io.StringIO()
    control = FakeControl(parked_run(), parked_run())
    finished = follow(control, "run-test-1", Console(file=stream), live=False, timeout_s=0.3)  # type: ignore[arg-type]
    assert finished is False
    assert "finished" not in stream.getvalue()
    assert "review: awaiting approval" in stream.getvalue()


def test_a_passed_gate_counts_its_skipped_checks_apart() -> None:
    checks = [{"status": "pass"}, {"status": "skip"}, {"status": "skip"}]
    view = {"id": "G2", "name": "Test Plan", "status": "passed", "duration_ms": 36, "reason": None}
    view |= {"checks_passed": 1, "checks_total": 3, "checks": checks, "approval": None}
    assert settle_line(view, "passed") == "G2 Test Plan: passed in 36 ms (checks 1/3, 2 skipped)"
    assert checks_cell(view) == "1/3 (2 skipped)"  # the terminal's table says it too
    cut_short = view | {
        "status": "skipped",
        "checks": [{"status": "pass"}, {"status": "fail"}, {"status": "skip"}],
    }
    assert checks_cell(cut_short) == "1/3 (1 failed, 1 skipped)"  # a cancel cut it short
    view["checks"] = [{"status": "pass"}] * 3
    assert checks_cell(view | {"checks_passed": 3}) == "3/3"
    assert settle_line(view | {"checks_passed": 3}, "passed") == "G2 Test Plan: passed in 36 ms (checks 3/3)"
    # every check skipped (a library: no coverage target, no browser budgets, no test categories):
    # "passed (checks 0/3, 3 skipped)" read as a test plan verified (python-benedict, fabric)
    view["checks"] = [{"status": "skip"}] * 3
    assert settle_line(view | {"checks_passed": 0}, "passed") == (
        "G2 Test Plan: passed in 36 ms (checks 0/3, all 3 skipped: nothing verified)"
    )


def test_on_a_terminal_the_failed_checks_are_said_below_the_final_table() -> None:
    """tomli: the table only named ``run-test`` among the failed checks; its exit and counts were
    in the plain lines alone."""
    snapshot = decided_run()
    spec = snapshot.spec
    failed = run_gate(
        spec.workflow.gate("lint"), 1, fail=["ruff"], outputs={"ruff": "exit 1 in 0.20s\n3 errors"}
    )
    snapshot = snapshot.model_copy(
        update={"gates": {**snapshot.gates, "lint": failed}, "status": RunStatus.FAILED}
    )
    stream = io.StringIO()
    console = Console(file=stream, width=100, force_terminal=True, no_color=True)
    assert follow(FakeControl(snapshot), "run-test-1", console, live=True) is True  # type: ignore[arg-type]
    tail = stream.getvalue().rstrip().splitlines()[-1]
    assert "lint Lint › ruff: failed in " in tail and tail.endswith(": exit 1 in 0.20s; 3 errors"), tail


def test_prp_status_says_why_each_failed_check_failed() -> None:
    """typeguard: ``prp status`` of a failed run said "checks failed: run-type-check", no cause."""
    snapshot = decided_run()
    failed = run_gate(
        snapshot.spec.workflow.gate("lint"), 1, fail=["ruff"], outputs={"ruff": "exit 1 in 0.20s\n3 errors"}
    )
    view = run_view(snapshot.model_copy(update={"gates": {**snapshot.gates, "lint": failed}}))
    lines = failed_view_lines(json.loads(view.model_dump_json()))  # as a run record holds it
    assert len(lines) == 1 and lines[0].startswith("lint Lint › ruff: failed in ")
    assert lines[0].endswith(": exit 1 in 0.20s; 3 errors")


def test_a_final_runs_plain_lines_say_every_gate_the_failed_checks_and_the_end() -> None:
    """Send2Trash: a Ctrl-C as its run ended had the piped output end in a box table, without the
    lines "G3 Code Review: failed …", the skipped gates' and "run … finished"."""
    snapshot = decided_run(Decision.REJECTED)
    lines = final_lines(json.loads(run_view(snapshot).model_dump_json()))
    assert lines[0] == "lint Lint: passed in 20.0 s (checks 1/1)" and "┃" not in "".join(lines)
    assert "review: failed in 20.0 s (checks 1/1): rejected by alice (code-reviewer) after 10.0 s" in lines
    assert "ship: skipped: dependency review failed" in lines
    assert lines[-1] == "run run-test-1 finished: failed in 1 h 03 min (1 passed, 1 failed, 1 skipped)"
