"""``prp init`` reads a noxfile's sessions as tox's envs: the extras the test session installs and
the default a session gives ``*posargs`` (deepdiff 9.1.0's noxfile)."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.init.noxfile import nox_commands, nox_test_extras
from tests.unit.test_init import parsed, write

DEEPDIFF_NOX = """import nox


@nox.session
def flake8(session) -> None:
    posargs = session.posargs if session.posargs else ["deepdiff"]
    session.install(".[cli,dev,static]")
    session.run("python", "-m", "flake8", *posargs)


@nox.session(python=["3.10", "3.11"])
def pytest(session) -> None:
    posargs = session.posargs or ["-vv", "tests"]
    session.install("-e", ".[cli,dev,static,test]")
    session.run("python", "-m", "pytest", "--cov=deepdiff", *posargs)
"""
PYPROJECT = (
    '[project]\nname = "deepdiff"\n[project.optional-dependencies]\ncli = ["click"]\ndev = ["numpy"]\n'
    'static = ["flake8"]\ntest = ["pytest", "pytest-cov"]\n[tool.flake8]\nmax-line-length = 120\n'
)

FILES = {"noxfile.py": DEEPDIFF_NOX, "pyproject.toml": PYPROJECT, "deepdiff/__init__.py": "", "tests/t": ""}


def test_the_extras_a_nox_test_session_installs_are_the_checks(tmp_path: Path) -> None:
    """Its tests import click, numpy … from the extras ``session.install(".[cli,dev,static,test]")``
    installs; with the test extra alone, collection failed on 9 missing modules."""
    assert nox_test_extras(DEEPDIFF_NOX) == ["cli", "dev", "static", "test"]
    write(tmp_path, FILES)
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert set(result.profile.environment.extras) == {"cli", "dev", "static", "test"}
    assert '"cli"  # its tests install it (noxfile.py session.install)' in text
    assert nox_test_extras(DEEPDIFF_NOX.split("@nox.session(python")[0]) == []  # a lint session's are not


def test_a_sessions_default_posargs_are_its_commands_arguments(tmp_path: Path) -> None:
    """``flake8 *posargs`` with ``posargs = session.posargs if session.posargs else ["deepdiff"]``
    lints ``deepdiff``: read as ``flake8`` alone, the check linted the whole checkout (840
    violations for the project's 416)."""
    assert nox_commands(DEEPDIFF_NOX) == [
        "python -m flake8 deepdiff",
        "python -m pytest --cov=deepdiff -vv tests",
    ]
    write(tmp_path, FILES)
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert commands["lint"][-1] == "deepdiff"
