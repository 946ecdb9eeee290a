"""``prp init`` reads a noxfile's sessions as tox's envs: the extras the test session installs and
the default a session gives ``*posargs`` (deepdiff 9.1.0's noxfile)."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.init.commandline import module_run
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


WEBCOLORS_NOX = """import nox


@nox.session(python=["3.12"], tags=["checks"])
def lint_pylint(session: nox.Session) -> None:
    session.install(".", "pylint")
    session.run(f"python{session.python}", "-Im", "pylint", "src/", "tests/")


@nox.session(python=["3.12"], tags=["packaging"])
def package_manifest(session: nox.Session) -> None:
    session.run(f"python{session.python}", "-Im", "check_manifest", "--verbose")


@nox.session(python=["3.12"], tags=["docs"])
def docs_spellcheck(session: nox.Session) -> None:
    session.run(f"{session.bin}/python{session.python}", "-Im", "sphinx", "-W", "--builder", "spelling")
"""


def test_a_session_running_a_module_through_its_python_names_the_tool(tmp_path: Path) -> None:
    """webcolors' sessions run ``f"python{session.python}", "-Im", "pylint", …``: the f-string was
    dropped (the command began with ``-Im``), so its pylint, check-manifest and spelling build
    were not named among the checkers no check runs."""
    assert nox_commands(WEBCOLORS_NOX) == [
        "python -Im pylint src/ tests/",
        "python -Im check_manifest --verbose",
        "bin/python -Im sphinx -W --builder spelling",
    ]
    write(tmp_path, {**FILES, "noxfile.py": WEBCOLORS_NOX})
    text = parsed(tmp_path)[0]
    assert "pylint (noxfile.py)" in text and "check-manifest (noxfile.py)" in text, text
    assert "sphinx-build (noxfile.py)" in text
    assert module_run(["python3", "-W", "error", "-I", "-m", "pytest", "-q"]) == ["pytest", "-q"]
    assert module_run(["python", "-c", "print()"]) == ["python", "-c", "print()"]
