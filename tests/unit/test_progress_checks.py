"""The lines ``prp run`` gives the checks (``prp_tasks.cli.progress``): which checks get one as
they end (a long one, a quick one that failed, ran the tests or runs a command of the profile) and
what it says (the counts, the failing test and why, the tool's version left to the reports)."""

from __future__ import annotations

import io

from rich.console import Console

from prp_tasks.cli.progress import PlainCursor, check_line, final_check_lines, follow, plain_lines
from prp_tasks.core.models import CheckStatus, GateStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import GateView
from tests.unit.render_builders import all_commanded, at, make_spec, pending, run_gate, snap
from tests.unit.test_progress import FakeControl, decided_run, event, pipeline, started


def test_a_long_check_gets_its_line_when_it_ends_before_its_gate_settles() -> None:
    """portalocker, natsort: G3 said nothing for 14 s while its commands ran; a check that ran a
    second or more now says how it went as soon as it ends (a quick one stays quiet)."""
    spec = make_spec(pipeline())
    others = {g: pending(spec.workflow.gate(g)) for g in ("lint", "review")}
    ship = run_gate(spec.workflow.gate("ship"), 3)
    build = ship.checks["build"].model_copy(
        update={"duration": 9_100, "finished_at": at(3, 9), "output": "exit 0 in 9.10s\n12 tests"}
    )
    upload = ship.checks["upload"].model_copy(update={"duration": 40, "finished_at": at(3, 10)})
    running = GateView(gate_id="ship", status=GateStatus.RUNNING, started_at=at(3), checks={"build": build})
    events = (event("ship", "start", at(3)),)
    cursor = PlainCursor()
    lines = plain_lines(
        snap(spec, {**others, "ship": running}, RunStatus.RUNNING, finished_at=None, events=events), cursor
    )
    assert lines[1:] == ["ship: started", "ship › build: passed in 9.1 s: exit 0 in 9.10s; 12 tests"]
    done = started(ship.model_copy(update={"checks": {"build": build, "upload": upload}}), 3)
    events += (event("ship", "settle", at(3, 20), "passed"),)
    lines = plain_lines(snap(spec, {**others, "ship": done}, RunStatus.RUNNING, events=events), cursor)
    assert lines == ["ship: passed in 20.0 s (checks 2/2)"]  # said once; the quick upload stays quiet


def test_a_quick_check_that_ran_tests_gets_its_line_with_its_counts() -> None:
    """fire: run-test took 0.6 s and ran 5 of the project's 261 tests; no line said a count, the
    terminal only "G3 Code Review: passed". A quick check of another kind stays quiet."""
    spec = make_spec(pipeline())
    others = {g: pending(spec.workflow.gate(g)) for g in ("lint", "review")}
    ship = run_gate(spec.workflow.gate("ship"), 3, sources={"build": ["junit.xml"]})  # test evidence
    build = ship.checks["build"].model_copy(
        update={"duration": 600, "finished_at": at(3, 1), "output": "exit 0 in 0.55s\n5 tests: 5 passed"}
    )
    upload = ship.checks["upload"].model_copy(update={"duration": 40, "finished_at": at(3, 2)})
    running = GateView(
        gate_id="ship", status=GateStatus.RUNNING, started_at=at(3), checks={"build": build, "upload": upload}
    )
    events = (event("ship", "start", at(3)),)
    lines = plain_lines(
        snap(spec, {**others, "ship": running}, RunStatus.RUNNING, finished_at=None, events=events),
        PlainCursor(),
    )
    assert lines[1:] == [
        "ship: started",
        "ship › build: passed in 600 ms: exit 0 in 0.55s; 5 tests: 5 passed",
    ]
    done = decided_run().model_copy(update={"gates": {**decided_run().gates, "ship": started(ship.model_copy(
        update={"checks": {"build": build, "upload": upload}}), 3)}})  # fmt: skip
    stream = io.StringIO()
    console = Console(file=stream, width=100, force_terminal=True, no_color=True)
    assert follow(FakeControl(done), "run-test-1", console, live=True) is True  # type: ignore[arg-type]
    tail = stream.getvalue().rstrip().splitlines()[-1]  # a terminal says it below the final table
    assert tail.endswith("ship › build: passed in 600 ms: exit 0 in 0.55s; 5 tests: 5 passed"), tail


def test_a_quick_check_of_the_profile_gets_its_line_and_a_quick_built_in_one_stays_quiet() -> None:
    """yaspin piped: run-lint (0.4 s) had no line while the run where it took 2.3 s had one, and
    "checks 5/6" named neither; G3's built-in checks stay quiet."""
    done = all_commanded()
    g3 = done.gates["G3"]
    ended = {n: c.model_copy(update={"duration": 300, "finished_at": at(3, 1)}) for n, c in g3.checks.items()}
    running = done.model_copy(update={"gates": {**done.gates, "G3": g3.model_copy(update={"checks": ended})}})
    said = [line.partition(":")[0] for line in plain_lines(running, PlainCursor()) if " › " in line]
    expected = ["G3 Code Review › run-lint", "G3 Code Review › run-test", "G3 Code Review › run-type-check"]
    assert said == expected
    assert [line.partition(":")[0] for line in final_check_lines(done)] == expected


def test_a_quick_check_that_failed_gets_its_line() -> None:
    """platformdirs piped: ``checks failed: run-lint`` with no line saying why (ruff took 0.27 s)."""
    spec = make_spec(pipeline())
    others = {g: pending(spec.workflow.gate(g)) for g in ("lint", "review")}
    ship = run_gate(spec.workflow.gate("ship"), 3)
    upload = ship.checks["upload"].model_copy(
        update={
            "status": CheckStatus.FAIL,
            "duration": 270,
            "finished_at": at(3, 1),
            "output": "exit 1 in 0.27s\n3 violations",
        }
    )
    running = GateView(gate_id="ship", status=GateStatus.RUNNING, started_at=at(3), checks={"upload": upload})
    events = (event("ship", "start", at(3)),)
    lines = plain_lines(
        snap(spec, {**others, "ship": running}, RunStatus.RUNNING, finished_at=None, events=events),
        PlainCursor(),
    )
    assert lines[1:] == ["ship: started", "ship › upload: failed in 270 ms: exit 1 in 0.27s; 3 violations"]


def test_a_check_line_keeps_the_counts_and_leaves_the_tool_version_to_the_reports() -> None:
    """pluggy, humanize piped: the test line ended "coverage: …", the number cut off behind the
    tool's version."""
    spec = make_spec(pipeline())
    ship = run_gate(spec.workflow.gate("ship"), 3)
    output = (
        "exit 0 in 2.28s (pytest 9.2.0, coverage 7.18.0, Python 3.11.7)\n124 tests: 124 passed, 0 failed, "
        "0 errors, 0 skipped; coverage: branches 98.99%, lines 99.83%, total 99.77%\nmore"
    )
    build = ship.checks["build"].model_copy(update={"duration": 7_700, "output": output})
    line = check_line({"id": "ship", "name": "ship"}, build)
    assert line == (
        "ship › build: passed in 7.7 s: exit 0 in 2.28s; 124 tests: 124 passed, 0 failed, 0 errors, "
        "0 skipped; coverage: branches 98.99%, lines 99.83%, total 99.77%"
    )
    # cachelib's lint: "passed in 1 min 53 s: exit 0 in 0.10s", its environment's build unsaid
    lint = ship.checks["build"].model_copy(
        update={
            "duration": 113_000,
            "output": "exit 0 in 0.10s\nno ruff violations\nenvironment: built in 111.7s with uv, 3 packages",
        }
    )
    assert check_line({"id": "ship", "name": "ship"}, lint) == (
        "ship › build: passed in 1 min 53 s (its environment built in 111.7 s): exit 0 in 0.10s; "
        "no ruff violations"
    )
    # its tests: "passed in 1 min 01 s" for 1.39 s of tests, the minute spent waiting for that build
    tests = lint.model_copy(
        update={
            "duration": 61_000,
            "output": "exit 0 in 1.39s\n12 tests: 12 passed\n"
            "environment: waited 59.4s for another check's build",
        }
    )
    assert check_line({"id": "ship", "name": "ship"}, tests) == (
        "ship › build: passed in 1 min 01 s (59.4 s of it waiting for its environment's build): "
        "exit 0 in 1.39s; 12 tests: 12 passed"
    )


def test_a_failed_checks_line_names_the_failing_test_and_why() -> None:
    """soupsieve piped: "…, 12 subtests passed; failing: …": the test and its cause were cut."""
    spec = make_spec(pipeline())
    ship = run_gate(spec.workflow.gate("ship"), 3, fail=["build"])
    failing = "tests/test_level4/test_attribute.py::TestAttribute::test_attribute_namespace_wildcard_several"
    output = (
        "exit 1 in 44.71s (pytest 9.2.0, Python 3.11.7)\n750 tests: 749 passed, 1 failed, 0 errors, "
        f"0 skipped, 12 subtests passed; failing: {failing} (AssertionError: assert [] == ['a'])\nmore"
    )
    build = ship.checks["build"].model_copy(update={"duration": 46_200, "output": output})
    line = check_line({"id": "ship", "name": "ship"}, build)
    assert line.endswith(f"failing: {failing} (AssertionError: assert [] == ['a'])"), line


def test_a_wait_for_another_checks_extension_build_is_said_where_the_time_went() -> None:
    """lz4's tests: "passed in 1 min 17 s (its environment built in 29.1 s)" for 1.6 s of tests,
    the rest spent waiting for another check's build of its C extensions."""
    from prp_tasks.environments.extensions import note

    waited = note({"built": True, "built_by_this_check": False, "duration_ms": 46_591, "waited_ms": 46_600})
    assert waited == "extensions: waited 46.6s for another check's build of them"
    assert note({"built": True, "built_by_this_check": False, "duration_ms": 46_591}) == ""  # no wait
    spec = make_spec(pipeline())
    ship = run_gate(spec.workflow.gate("ship"), 3)
    output = (
        f"exit 0 in 1.57s\n12 tests: 12 passed\nenvironment: built in 29.1s with uv, 19 packages\n{waited}"
    )
    tests = ship.checks["build"].model_copy(update={"duration": 77_000, "output": output})
    assert check_line({"id": "ship", "name": "ship"}, tests) == (
        "ship › build: passed in 1 min 17 s (its environment built in 29.1 s; 46.6 s waiting for its "
        "extensions' build): exit 0 in 1.57s; 12 tests: 12 passed"
    )
