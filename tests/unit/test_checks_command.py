"""``run`` checks (``prp_tasks.checks.command``) through :func:`prp_tasks.checks.execute`: exit
codes, the evidence and its summary, time limits, stopping, and starting the program.

These start real (short) subprocesses; no shell, Redis or Celery is involved. What the command sees
and the redaction of what it prints are in ``test_checks_command_environment.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.checks import execute
from prp_tasks.checks.base import CheckContext
from prp_tasks.checks.crashes import enclosing_function
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.models import CheckSpec, CheckStatus
from prp_tasks.core.profile import ResolvedProfile
from prp_tasks.core.results import CheckResult, EvidenceType, evidence_id
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec
from prp_tasks.processes import spawn as spawn_module
from tests.processes import wait_gone

PY = sys.executable
WORKFLOW = builtin_workflow()


def context(
    repo: Path, *argv: str, timeout_s: float = 20, allow: tuple[str, ...] = (), tail: int = 4000
) -> CheckContext:
    spec = RunSpec(
        run_id="run-unit",
        workflow=WORKFLOW,
        blueprint=Blueprint(title="t"),
        repo=RepoInfo(path=str(repo), commit_sha="c0ffee"),
        profile=ResolvedProfile(),
        created_at="2026-03-01T10:00:00.000Z",
    )
    return CheckContext(
        spec=spec,
        gate=WORKFLOW.gate("G3"),
        check=CheckSpec(name="cmd", run=argv),
        timeout_s=timeout_s,
        env_allowlist=allow,
        output_tail_bytes=tail,
    )


def run(repo: Path, *argv: str, **options: Any) -> tuple[CheckResult, bool]:
    return execute(context(repo, *argv, **options))


def python(repo: Path, code: str, **options: Any) -> CheckResult:
    result, _ = run(repo, PY, "-c", code, **options)
    return result


def content(result: CheckResult) -> dict[str, Any]:
    details: dict[str, Any] = json.loads(result.evidence[0].content)
    return details


def stdout_lines(result: CheckResult) -> list[str]:
    tail: str = content(result)["stdout_tail"]
    return tail.splitlines()


# exit codes and evidence ----------------------------------------------------------------------


def test_exit_0_passes(tmp_path: Path) -> None:
    result, retryable = run(tmp_path, PY, "-c", "print('all good')")
    assert result.status == CheckStatus.PASS
    assert re.fullmatch(r"exit 0 in \d+\.\d\ds\nall good", result.output)
    assert retryable is False


def test_a_non_zero_exit_fails(tmp_path: Path) -> None:
    result, retryable = run(tmp_path, PY, "-c", "import sys; sys.exit(3)")
    assert result.status == CheckStatus.FAIL
    assert "exit 3" in result.output
    assert retryable is False


def test_the_evidence_records_argv_exit_code_duration_and_output_tails(tmp_path: Path) -> None:
    code = "import sys; print('to out'); print('to err', file=sys.stderr); sys.exit(3)"
    result = python(tmp_path, code)
    details = content(result)
    assert details["argv"] == [PY, "-c", code]
    assert details["exit_code"] == 3
    assert details["ended"] == "exited"
    assert isinstance(details["duration_ms"], int) and details["duration_ms"] >= 0
    assert (details["stdout_tail"], details["stderr_tail"]) == ("to out\n", "to err\n")
    assert details["status"] == "fail"
    assert details["output"] == result.output
    [evidence] = result.evidence
    assert evidence.type == EvidenceType.COMMAND
    assert evidence.id == evidence_id("run-unit", "G3", "cmd")
    assert evidence.commit_sha == "c0ffee"
    assert evidence.metadata == {"gate": "G3", "check": "cmd", "attempt": 1}
    assert result.duration >= 0 and result.started_at and result.finished_at


def test_the_summary_keeps_the_last_lines_of_stdout_and_of_stderr(tmp_path: Path) -> None:
    result = python(tmp_path, "for i in range(30): print(f'line {i}')")
    assert result.output.splitlines()[1:] == [f"line {i}" for i in range(15, 30)]
    failing = python(tmp_path, "import sys; print('out'); sys.exit('boom')")
    assert failing.output.splitlines()[1:] == ["out", "boom"]
    both = python(tmp_path, "import sys; [print(i) for i in range(30)]; print('warn', file=sys.stderr)")
    assert both.output.splitlines()[1:] == [*(str(i) for i in range(20, 30)), "warn"]


def test_the_environment_note_follows_the_facts_line_so_reports_keep_the_counts() -> None:
    from prp_tasks.checks.base import Outcome
    from prp_tasks.checks.command import _noted

    note = "environment: built in 0.8s with uv, 14 packages"
    understood = Outcome(
        CheckStatus.PASS,
        "exit 0 in 1.00s\n3 tests: 3 passed, 0 failed\n== 3 passed ==",
        details={"facts": {"pytest": {"tests": 3}}},
    )
    assert _noted(understood, note).splitlines() == [
        "exit 0 in 1.00s",
        "3 tests: 3 passed, 0 failed",
        note,
        "== 3 passed ==",
    ]
    plain = Outcome(CheckStatus.PASS, "exit 0 in 1.00s\nsome output")
    # without facts, the tool's own last lines come first (cachetools' "25 files already formatted")
    assert _noted(plain, note).splitlines() == ["exit 0 in 1.00s", "some output", note]


def test_a_unittest_run_that_found_no_test_fails(tmp_path: Path) -> None:
    """Python 3.11's unittest says OK (exit 0) when discovery finds nothing; 3.12 exits 5."""
    (tmp_path / "tests").mkdir()
    result, _ = run(tmp_path, PY, "-m", "unittest", "discover", "-s", "tests")
    assert result.status == CheckStatus.FAIL, result.output
    first = result.output.splitlines()[0]
    assert first.endswith(", but no test ran") or first.startswith("exit 5"), first
    # no "OK" beside the failure (tomli's sdist, which ships no tests: "0 tests ran: OK")
    assert "OK" not in result.output.splitlines()[1], result.output


def test_a_failed_unittest_run_names_a_failure_whose_report_is_longer_than_the_tail(tmp_path: Path) -> None:
    """unittest prints each failed test's block (its header, traceback and message: here a long
    list diff) before its summary; with only the stored tail read, a block longer than the tail
    lost its ``FAIL:`` header, and the evidence counted the failure but named no test and no
    cause. The facts of a failed command are read from a longer end of its output; the stored
    tail stays as long as configured."""
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "__init__.py").write_text("")
    (tests / "test_a.py").write_text(
        "import unittest\n\nclass A(unittest.TestCase):\n    maxDiff = None\n\n"
        "    def test_lists(self):\n"
        "        self.assertEqual([f'item {i}' for i in range(100)], [f'item {i}!' for i in range(100)])\n"
    )
    result, _ = run(tmp_path, PY, "-m", "unittest", "discover", "-s", "tests", "-t", ".", tail=1000)
    details = content(result)
    facts = details["facts"]["unittest"]
    assert (facts["tests"], facts["failures"]) == (1, 1), facts
    assert facts["failing"] == ["tests.test_a.A.test_lists"], facts
    assert facts["cause"].startswith("AssertionError: Lists differ"), facts
    assert facts["failing_at"] == ["tests/test_a.py:7"], facts
    assert "failing: tests.test_a.A.test_lists" in result.output
    assert len(details["stderr_tail"]) <= 1001  # the stored tail: as configured


def test_a_pytest_run_that_collected_no_test_says_so(tmp_path: Path) -> None:
    """iniconfig's sdist ships no tests: pytest exits 5, which the check's first line explains."""
    (tmp_path / "tests").mkdir()
    result, _ = run(tmp_path, PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert result.status == CheckStatus.FAIL, result.output
    assert result.output.splitlines()[0].endswith("s: no test was found to run"), result.output


# time limit, stop, start failure --------------------------------------------------------------

SPAWN_SLEEP = "import subprocess; p = subprocess.Popen(['sleep', '30']); print(p.pid, flush=True); p.wait()"
SPAWN_TERM_IGNORING = (
    "import subprocess, sys\n"
    "child = 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print(1, flush=True); time.sleep(30)'\n"
    "p = subprocess.Popen([sys.executable, '-c', child], stdout=subprocess.PIPE)\n"
    "p.stdout.readline()\n"
    "print(p.pid, flush=True)\n"
    "p.wait()\n"
)


@pytest.mark.parametrize(
    ("code", "timeout_s"),
    [(SPAWN_SLEEP, 0.4), (SPAWN_TERM_IGNORING, 0.75)],  # the second starts two interpreters
    ids=["sleep", "ignores-sigterm"],
)
def test_a_timeout_kills_the_whole_process_group(tmp_path: Path, code: str, timeout_s: float) -> None:
    result, retryable = run(tmp_path, PY, "-c", code, timeout_s=timeout_s)
    assert result.status == CheckStatus.FAIL
    [grandchild] = stdout_lines(result)
    # what it printed before it was killed follows: how far it got; and which limit it ran into
    limit = f"timed out after {timeout_s:g}s (killed; the limit: PRP_CHECK_TIMEOUT_S)"
    assert result.output.splitlines()[:2] == [limit, grandchild]
    assert retryable is True
    assert content(result)["ended"] == "timeout"
    assert wait_gone(int(grandchild)), "the grandchild survived the timeout"


def test_a_test_run_that_times_out_is_test_evidence_with_how_far_it_got(tmp_path: Path) -> None:
    """cachelib's suite waited for services the machine lacks: the summary said only 'timed out'
    and prp.md had no test evidence; then, with ``-q``, only "…FFFFFFFF". Interrupted before it is
    killed, pytest says where it was, counts what ran and writes its report."""
    (tmp_path / "test_slow.py").write_text(
        "import time\n\ndef test_quick():\n    pass\n\ndef test_waits():\n    time.sleep(30)\n"
    )
    # (the limits leave pytest time to start on a loaded machine: interrupted while importing, it
    # says nothing of where it was, and is killed)
    result, _ = run(tmp_path, PY, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_slow.py", timeout_s=6)
    assert result.status == CheckStatus.FAIL and result.evidence[0].type == EvidenceType.TEST
    assert result.output.startswith(
        "timed out after 6s (interrupted at test_slow.py:7 in test_waits, then stopped; the limit: "
        "PRP_CHECK_TIMEOUT_S)\n"
        "until then: pytest: 1 passed\n"
    )
    assert "test_slow.py::test_waits" in result.output
    assert content(result)["interrupted_at"] == ["test_slow.py:7"]  # where review.json points
    # hpack's hanging test was in hypothesis: what ran is said, no repository place made up
    (tmp_path / "test_slow.py").write_text(
        "import threading\n\ndef test_waits():\n    threading.Event().wait(30)\n"
    )
    result, _ = run(tmp_path, PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_slow.py", timeout_s=6)
    first = result.output.splitlines()[0]
    assert re.fullmatch(
        r"timed out after 6s \(interrupted in threading\.py:\d+ \(Python's standard library\), then stopped;"
        r" the limit: PRP_CHECK_TIMEOUT_S\)",
        first,
    ), first
    assert "interrupted_at" not in content(result)


def test_a_test_run_killed_before_its_summary_says_how_far_its_progress_got(tmp_path: Path) -> None:
    """tyro's suite, killed at its limit (no interruption of pytest said where it was): "timed out
    after 600s (killed …); …… [  1%]", its first progress row, where 14% had run."""
    (tmp_path / "conftest.py").write_text("import signal\nsignal.signal(signal.SIGINT, lambda *_: None)\n")
    (tmp_path / "test_many.py").write_text(
        "import time, pytest\n\n@pytest.mark.parametrize('n', range(150))\ndef test_quick(n):\n"
        "    assert n != 7\n\ndef test_waits():\n    time.sleep(60)\n"
    )
    result, _ = run(tmp_path, PY, "-m", "pytest", "-p", "no:cacheprovider", "test_many.py", timeout_s=6)
    lines = result.output.splitlines()
    assert result.status == CheckStatus.FAIL and lines[0].startswith("timed out after 6s (killed;"), lines
    said = r"until then: pytest's progress reached \d+%, 1 marked failing \(F or E\) in its last \d rows"
    assert re.fullmatch(said, lines[1]), result.output


def test_setting_stop_ends_a_long_check_as_skipped(tmp_path: Path) -> None:
    ctx = context(tmp_path, PY, "-c", "import time; time.sleep(30)")
    timer = threading.Timer(0.2, ctx.stop.set)
    timer.start()
    started = time.monotonic()
    try:
        result, retryable = execute(ctx)
    finally:
        timer.cancel()
        timer.join()
    assert time.monotonic() - started < 5
    assert (result.status, result.output) == (CheckStatus.SKIP, "stopped: run cancelled")
    assert retryable is False
    assert content(result)["ended"] == "stopped"


def test_a_program_that_does_not_exist_cannot_start(tmp_path: Path) -> None:
    result, retryable = run(tmp_path, "prp-no-such-program", "--flag")
    assert result.status == CheckStatus.FAIL
    assert result.output == "cannot start 'prp-no-such-program': No such file or directory"
    assert content(result)["argv"] == ["prp-no-such-program", "--flag"]
    assert retryable is False


def test_a_program_on_path_that_moves_or_goes_away_is_looked_up_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Programs are looked up on the check's PATH once and then exec'd directly; one that moved
    is found where it went (as a PATH walk would), one that is gone cannot start."""
    first, second = tmp_path / "first", tmp_path / "second"
    tool = first / "prp-test-tool"
    for directory in (first, second):
        directory.mkdir()
    monkeypatch.setenv("PATH", os.pathsep.join([str(first), str(second), os.environ["PATH"]]))
    tool.write_text('#!/bin/sh\necho "first $1"\n')
    tool.chmod(0o755)
    assert stdout_lines(run(tmp_path, tool.name, "x", allow=("PATH",))[0]) == ["first x"]
    assert stdout_lines(run(tmp_path, tool.name, "y", allow=("PATH",))[0]) == ["first y"]
    tool.rename(second / tool.name)
    moved, _ = run(tmp_path, tool.name, "z", allow=("PATH",))
    assert moved.status == CheckStatus.PASS and stdout_lines(moved) == ["first z"]
    (second / tool.name).unlink()
    gone, _ = run(tmp_path, tool.name, allow=("PATH",))
    assert gone.output == "cannot start 'prp-test-tool': No such file or directory"


def test_a_program_installed_earlier_on_path_is_used_once_the_lookup_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        directory.mkdir()
    monkeypatch.setenv("PATH", os.pathsep.join([str(first), str(second), os.environ["PATH"]]))
    monkeypatch.setattr(spawn_module, "LOOKUP_TTL_S", 1.0)
    for directory in (second, first):  # second now; first (earlier on PATH) is installed later
        tool = directory / "prp-test-later"
        tool.write_text(f'#!/bin/sh\necho "{directory.name}"\n')
        tool.chmod(0o755)
        if directory == second:
            assert stdout_lines(run(tmp_path, tool.name, allow=("PATH",))[0]) == ["second"]
    assert stdout_lines(run(tmp_path, "prp-test-later", allow=("PATH",))[0]) == ["second"]  # remembered
    time.sleep(1.1)
    assert stdout_lines(run(tmp_path, "prp-test-later", allow=("PATH",))[0]) == ["first"]


def test_a_script_relative_to_the_repository_runs_and_a_non_executable_one_cannot_start(
    tmp_path: Path,
) -> None:
    script = tmp_path / "bin" / "check.sh"
    script.parent.mkdir()
    script.write_text('#!/bin/sh\necho from-the-repo "$1"\n')
    refused, _ = run(tmp_path, "./bin/check.sh", "x")
    assert refused.output == "cannot start './bin/check.sh': Permission denied"
    script.chmod(0o755)
    result, _ = run(tmp_path, "./bin/check.sh", "x")
    assert result.status == CheckStatus.PASS and stdout_lines(result) == ["from-the-repo x"]
    missing, _ = run(tmp_path, "./bin/absent.sh")
    assert missing.output == "cannot start './bin/absent.sh': No such file or directory"


def test_a_check_with_a_workdir_runs_its_command_in_that_folder(tmp_path: Path) -> None:
    """markdown2's tests run as ``cd test && python test.py``: the command starts in the folder,
    its reports are read there; a folder the repository lacks (or one outside it) fails the check
    before anything starts, saying so."""
    import dataclasses

    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "here.txt").write_text("x")
    code = "import os; print(os.getcwd()); open('here.txt')"
    ctx = context(tmp_path, PY, "-c", code)
    placed = dataclasses.replace(ctx, check=CheckSpec(name="cmd", run=(PY, "-c", code), workdir="test"))
    result, _ = execute(placed)
    assert result.status == CheckStatus.PASS, result.output
    assert stdout_lines(result)[0] == str(tmp_path / "test")
    assert execute(ctx)[0].status == CheckStatus.FAIL  # at the top there is no here.txt
    (tmp_path.parent / "elsewhere").mkdir(exist_ok=True)
    (tmp_path / "link").symlink_to(tmp_path.parent / "elsewhere")  # a folder outside the checkout
    for workdir in ("tests", "test/here.txt", "link"):
        missing = dataclasses.replace(ctx, check=CheckSpec(name="cmd", run=(PY, "-c", code), workdir=workdir))
        result, _ = execute(missing)
        assert result.status == CheckStatus.FAIL
        assert result.output.startswith(f"cannot run in {workdir}/: it is not a folder of the repository")


def test_a_unittest_run_out_of_time_says_which_test_not_its_traceback(tmp_path: Path) -> None:
    """tomli's hanging test under unittest: the summary's line after the limit was a frame of the
    KeyboardInterrupt traceback, ``return self.run(*args, **kwds)``; the test's name was only in
    review.json's text."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "test_misc.py").write_text(
        "import time\nimport unittest\n\n\nclass T(unittest.TestCase):\n"
        "    def test_quick(self):\n        pass\n\n    def test_hang(self):\n        time.sleep(30)\n"
    )
    ctx = context(tmp_path, PY, "-m", "unittest", "discover", "-s", "tests", "-t", ".", timeout_s=3)
    result, _ = execute(dataclasses.replace(ctx, workdir=tmp_path))  # (its frames' paths: absolute)
    assert result.status == CheckStatus.FAIL and result.evidence[0].type == EvidenceType.TEST
    lines = result.output.splitlines()
    assert lines[0] == (
        "timed out after 3s (interrupted at tests/test_misc.py:10 in test_hang, then stopped;"
        " the limit: PRP_CHECK_TIMEOUT_S)"
    )
    assert not [line for line in lines if "File " in line or "self.run" in line or "^^^" in line], lines
    assert content(result)["interrupted_at"] == ["tests/test_misc.py:10"]


def test_the_function_an_interrupt_found_is_read_from_the_file(tmp_path: Path) -> None:
    """pytest's interrupt says only ``tests/test_x.py:12``; the summary names the function too."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import time\n\n\nclass TestX:\n    def test_wait(self):\n        x = 1\n"
        "        time.sleep(x)\n\n\nasync def test_async():\n\tawait thing()\n"
    )
    assert enclosing_function(tmp_path, "tests/test_x.py:7") == "test_wait"
    assert enclosing_function(tmp_path, "tests/test_x.py:11") == "test_async"  # (a tab)
    assert enclosing_function(tmp_path, "tests/test_x.py:1") == ""  # at the module's top
    assert enclosing_function(tmp_path, "tests/test_x.py:99") == ""  # past its end
    assert enclosing_function(tmp_path, "tests/missing.py:3") == ""
    (tmp_path.parent / "outside.py").write_text("def f():\n    pass\n")
    assert enclosing_function(tmp_path, "../outside.py:2") == ""  # only the checkout's files are read


def test_a_coloured_test_run_out_of_time_says_where_in_plain_words(tmp_path: Path) -> None:
    """wcwidth's tox addopts ``--color=yes``: "interrupted at \\x1b[1m\\x1b[31m/var/tmp/prp-…/
    worktrees/run-…/tests/test_core.py\\x1b[0m:33": escape codes, and prp's workspace, not the repository."""
    (tmp_path / "test_slow.py").write_text("import time\n\ndef test_waits():\n    time.sleep(30)\n")
    argv = (PY, "-m", "pytest", "-q", "--color=yes", "-p", "no:cacheprovider", str(tmp_path / "test_slow.py"))
    ctx = context(tmp_path, *argv, timeout_s=4)
    result, _ = execute(dataclasses.replace(ctx, workdir=tmp_path))
    first = result.output.splitlines()[0]
    said = "timed out after 4s (interrupted at test_slow.py:4 in test_waits, then stopped"
    assert first.startswith(said), first
    assert "\x1b" not in first
