"""What a ``run`` check's command sees and what leaves it (``prp_tasks.checks.command``): no shell,
a scrubbed environment with the variables and preparing commands of its environment, the working
directory and the workspace's paths, redacted and bounded output tails."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

from prp_tasks.checks import execute
from prp_tasks.core.models import CheckStatus, EnvironmentSpec
from tests.unit.test_checks_command import PY, content, context, python, run, stdout_lines

SECRET_NAME, SECRET = "PRP_TEST_SECRET_TOKEN", "s3cr3t-value-123"


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


def test_tls_trust_variables_are_passed_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PyPA build's uv tests failed under prp alone ("invalid peer certificate: UnknownIssuer"):
    the checks' environment dropped SSL_CERT_FILE, which the project's own tox passes."""
    from prp_tasks.settings import DEFAULT_ENV_ALLOWLIST

    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv(SECRET_NAME, SECRET)
    names = set(stdout_lines(python(tmp_path, PRINT_ENV_NAMES, allow=DEFAULT_ENV_ALLOWLIST)))
    assert {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"} <= names
    assert SECRET_NAME not in names


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
