"""``run`` checks (``prp_tasks.checks.command``) through :func:`prp_tasks.checks.execute`.

These start real (short) subprocesses; no shell, Redis or Celery is involved.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from prp_tasks.checks import execute
from prp_tasks.checks.base import CheckContext
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.models import CheckSpec, CheckStatus, EnvironmentSpec
from prp_tasks.core.profile import ResolvedProfile
from prp_tasks.core.results import CheckResult, EvidenceType, evidence_id
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec
from prp_tasks.processes import spawn as spawn_module
from tests.processes import wait_gone

PY = sys.executable
WORKFLOW = builtin_workflow()
SECRET_NAME, SECRET = "PRP_TEST_SECRET_TOKEN", "s3cr3t-value-123"


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


# no shell, scrubbed environment, working directory --------------------------------------------


def test_arguments_reach_the_program_literally_without_a_shell(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "echo", "$HOME", ";", "rm", "*")
    assert result.status == CheckStatus.PASS
    assert content(result)["stdout_tail"] == "$HOME ; rm *\n"


PRINT_ENV_NAMES = "import os; print('\\n'.join(sorted(os.environ)))"


def test_the_environment_is_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_NAME, SECRET)
    monkeypatch.setenv("MY_VAR", "x")
    names = stdout_lines(python(tmp_path, PRINT_ENV_NAMES, allow=("HOME",)))
    assert SECRET_NAME not in names
    assert "MY_VAR" not in names
    assert set(names) <= {"HOME", "PATH", "LANG", "LC_CTYPE"}  # LC_CTYPE: set by CPython itself
    assert {"PATH", "LANG"} <= set(names)


def test_allow_listed_variables_are_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_NAME, SECRET)
    monkeypatch.setenv("MY_VAR", "x")
    names = stdout_lines(python(tmp_path, PRINT_ENV_NAMES, allow=("MY_VAR", SECRET_NAME)))
    assert {"MY_VAR", SECRET_NAME} <= set(names)


def test_prp_tasks_own_virtualenv_and_python_variables_never_reach_a_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory that is no Python project runs with ``system``: the worker's PATH without
    prp-tasks' virtualenv, and ``python`` falls back to the interpreter that virtualenv was made from."""
    assert sys.prefix != sys.base_prefix, "the suite runs in prp-tasks' virtualenv"
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(PY), "/somewhere/else"]))
    monkeypatch.setenv("PYTHONPATH", "/prp/own/path")
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    code = "import os, sys; print(os.environ['PATH']); print(os.environ.get('PYTHONPATH')); print(sys.prefix)"
    result, _ = run(tmp_path, "python", "-c", code, allow=("PATH", "PYTHONPATH", "VIRTUAL_ENV"))
    path, pythonpath, prefix = stdout_lines(result)
    assert path.split(os.pathsep)[0] == "/somewhere/else" and os.path.dirname(PY) not in path
    assert (pythonpath, prefix) == ("None", sys.base_prefix)
    assert content(result)["environment"]["kind"] == "system"


def test_a_change_of_the_environment_reaches_the_next_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scrubbed environment and the secret values are derived once per change, not per check."""
    code = f"import os; print(os.environ.get('MY_VAR')); print('{SECRET}')"
    monkeypatch.setenv("MY_VAR", "one")
    first = python(tmp_path, code, allow=("MY_VAR",))
    assert stdout_lines(first) == ["one", SECRET]  # not secret yet: no variable holds it
    monkeypatch.setenv("MY_VAR", "two")
    monkeypatch.setenv(SECRET_NAME, SECRET)
    second = python(tmp_path, code, allow=("MY_VAR",))
    assert stdout_lines(second) == ["two", "[REDACTED]"]
    monkeypatch.delenv(SECRET_NAME)
    assert stdout_lines(python(tmp_path, code, allow=("MY_VAR",))) == ["two", SECRET]


def test_the_check_runs_in_the_repository(tmp_path: Path) -> None:
    result = python(tmp_path, "import os; print(os.getcwd())")
    assert stdout_lines(result) == [str(tmp_path.resolve())]


# redaction ------------------------------------------------------------------------------------


def test_secrets_printed_by_the_check_are_redacted(tmp_path: Path) -> None:
    result = python(tmp_path, "print('password=hunter2hunter2')")
    assert content(result)["stdout_tail"] == "password=[REDACTED]\n"
    assert content(result)["argv"][2] == "print('password=[REDACTED]')"
    assert "hunter2" not in result.to_json()


def test_the_value_of_a_secret_environment_variable_is_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_NAME, SECRET)
    code = f"import os, sys; print('env', os.environ[{SECRET_NAME!r}]); sys.exit('arg {SECRET}')"
    result = python(tmp_path, code, allow=(SECRET_NAME,))
    assert stdout_lines(result) == ["env [REDACTED]"]
    assert content(result)["stderr_tail"] == "arg [REDACTED]\n"
    assert SECRET not in result.to_json()


@pytest.mark.parametrize("line", ["password=hunter2hunter2", SECRET])
def test_a_secret_cut_by_the_output_tail_does_not_leak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    monkeypatch.setenv(SECRET_NAME, SECRET)
    # the 200-byte tail starts 7 characters before the end of the secret
    padding = 200 - 7 - 1
    result = python(tmp_path, f"print({line!r} + '.' * {padding})", tail=200)
    assert line[-7:] not in content(result)["stdout_tail"]


def test_the_output_tail_is_bounded(tmp_path: Path) -> None:
    result = python(tmp_path, "print('x' * 100_000 + 'END')", tail=200)
    tail = content(result)["stdout_tail"]
    assert tail.startswith("…") and tail.endswith("END\n")
    assert len(tail.encode()) <= 200 + len("…".encode())
    assert len(result.output) <= 4000


LOUD = (  # 64 MiB to stdout over about a second, then what its stdout holds (on stderr)
    "import os, sys, time\n"
    "for i in range(64):\n"
    "    os.write(1, b'x' * (1 << 20))\n"
    "    if i % 4 == 3: time.sleep(0.06)\n"
    "os.write(1, b'END\\n')\n"
    "st = os.fstat(1)\n"
    "print('size', st.st_size, 'allocated', st.st_blocks * 512, file=sys.stderr)\n"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="holes are punched on Linux only")
def test_a_loud_check_holds_only_the_end_of_its_output(tmp_path: Path) -> None:
    result = python(tmp_path, LOUD, tail=200)
    assert result.status == CheckStatus.PASS
    assert content(result)["stdout_tail"].endswith("xxxEND\n")
    words = content(result)["stderr_tail"].split()
    size, allocated = int(words[1]), int(words[3])
    assert size == (64 << 20) + 4  # the offsets are the output's own
    assert allocated <= 16 << 20, f"{allocated >> 20} MiB of a {size >> 20} MiB output held"


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
    # what it printed before it was killed follows: how far it got
    assert result.output == f"timed out after {timeout_s:g}s (killed)\n{grandchild}"
    assert retryable is True
    assert content(result)["ended"] == "timeout"
    assert wait_gone(int(grandchild)), "the grandchild survived the timeout"


def test_the_environments_variables_reach_the_command(tmp_path: Path) -> None:
    """zipp's tox sets PYTHONWARNDEFAULTENCODING=1: one of its tests skips without it."""
    ctx = context(tmp_path, PY, "-c", "import os; print(os.environ['PYTHONWARNDEFAULTENCODING'])")
    env = EnvironmentSpec(use="system", variables={"PYTHONWARNDEFAULTENCODING": "1"})
    ctx = dataclasses.replace(ctx, check=ctx.check.model_copy(update={"environment": env}))
    result, _ = execute(ctx)
    assert result.status == CheckStatus.PASS and stdout_lines(result) == ["1"]
    with pytest.raises(ValidationError, match="PATH is set by the environment itself"):
        EnvironmentSpec(use="system", variables={"PATH": "/tmp"})


def test_prepare_commands_run_once_per_workspace_before_the_checks(tmp_path: Path) -> None:
    """humanize's tox compiles its translations first (commands_pre): 144 tests skipped without."""
    count = "open('runs', 'a').write('x')"  # one x per run of the commands
    env = EnvironmentSpec(use="system", prepare=((PY, "-c", count), (PY, "-c", "open('compiled', 'w')")))
    ctx = context(tmp_path, PY, "-c", "print(open('compiled').read() == '', open('runs').read())")
    ctx = dataclasses.replace(ctx, workdir=tmp_path, check=ctx.check.model_copy(update={"environment": env}))
    first, _ = execute(ctx)
    assert first.status == CheckStatus.PASS and stdout_lines(first) == ["True x"]
    assert "prepare: 2 command(s) ran in" in first.output
    second, _ = execute(ctx)
    assert stdout_lines(second) == ["True x"] and "prepare:" not in second.output  # once per workspace
    failing = EnvironmentSpec(use="system", prepare=((PY, "-c", "raise SystemExit(3)"),))
    ctx = dataclasses.replace(ctx, check=ctx.check.model_copy(update={"environment": failing}))
    third, _ = execute(ctx)
    assert third.status == CheckStatus.PASS  # the check still runs; what the step costs shows there
    assert "failed (exited, exit 3; see the evidence's log tail): the check ran without it" in third.output


def test_a_test_run_that_times_out_is_test_evidence_with_how_far_it_got(tmp_path: Path) -> None:
    """cachelib's suite waited for services the machine lacks: the summary said only 'timed out'
    and prp.md had no test evidence."""
    (tmp_path / "test_slow.py").write_text(
        "import time\n\ndef test_quick():\n    pass\n\ndef test_waits():\n    time.sleep(30)\n"
    )
    result, _ = run(tmp_path, PY, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_slow.py", timeout_s=5)
    assert result.status == CheckStatus.FAIL and result.evidence[0].type == EvidenceType.TEST
    assert result.output.startswith("timed out after 5s (killed)\n")
    assert "test_slow.py::test_quick PASSED" in result.output


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


def test_paths_in_the_workspace_are_shown_relative_to_the_checkout(tmp_path: Path) -> None:
    """A check runs in a copy of the user's checkout under the cache; its output names files as the
    user knows them (a formatter's "would reformat pkg/mod.py"), not by their path in the cache."""
    workspace = tmp_path / "cache" / "worktrees" / "run-unit"
    (workspace / "pkg").mkdir(parents=True)
    code = (
        "import os; print('would reformat', os.path.abspath('pkg/mod.py')); "
        "print('rootdir:', os.getcwd()); print('elsewhere: /mnt' + os.getcwd() + '/x')"
    )
    ctx = context(tmp_path / "checkout", PY, "-c", code)
    result, _ = execute(replace(ctx, workdir=workspace))
    assert result.status == CheckStatus.PASS
    assert "would reformat pkg/mod.py" in result.output
    details = json.loads(result.evidence[0].content)
    assert details["stdout_tail"].splitlines() == [
        "would reformat pkg/mod.py",
        "rootdir: .",
        f"elsewhere: /mnt{workspace}/x",  # another path that merely ends like it: left alone
    ]


def test_a_command_finds_the_reports_directory_in_its_workspace(tmp_path: Path) -> None:
    """`prp init` points tools at .prp/reports/; ruff before 0.4 does not create it."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    write = "open('.prp/reports/ruff.json', 'w').write('[]')"
    result, _ = execute(replace(context(tmp_path / "checkout", PY, "-c", write), workdir=workspace))
    assert result.status == CheckStatus.PASS, result.output
    assert (workspace / ".prp" / "reports" / "ruff.json").read_text() == "[]"


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
    assert _noted(plain, note).splitlines() == ["exit 0 in 1.00s", note, "some output"]


def test_a_unittest_run_that_found_no_test_fails(tmp_path: Path) -> None:
    """Python 3.11's unittest says OK (exit 0) when discovery finds nothing; 3.12 exits 5."""
    (tmp_path / "tests").mkdir()
    result, _ = run(tmp_path, PY, "-m", "unittest", "discover", "-s", "tests")
    assert result.status == CheckStatus.FAIL, result.output
    first = result.output.splitlines()[0]
    assert first.endswith(", but no test ran") or first.startswith("exit 5"), first
