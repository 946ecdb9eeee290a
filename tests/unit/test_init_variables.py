"""``prp init`` carries the variables a project's test runs set to ``environment.variables``: tox's
``setenv``/``set_env``, a noxfile's ``session.run(env=…)``, Hatch environments' ``env-vars`` and a
GitHub workflow's ``env:`` for its test jobs."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_init import parsed, write

NOX_ENV = """\
import os
import nox


@nox.session
def tests(session):
    env = dict(os.environ, PYTHONWARNDEFAULTENCODING="1", PATH="/x")
    session.run("pytest", "--pythonwarnings=error", env=env)


@nox.session
def docs(session):
    session.run("sphinx-build", "docs", "build", env={"SPHINX_ONLY": "1"})
    session.run("coverage", "run", "-m", "pytest", env={"COVERAGE_CORE": "sysmon", 1: "x"})


def git_clone(session, url):
    session.run("git", "clone", "--depth", "1", url, external=True)


@nox.session
def downstream_niquests(session):
    git_clone(session, "https://github.com/jawah/niquests")
    session.chdir("niquests")
    session.run("pytest", "tests", env={"NIQUESTS_STRICT_OCSP": "1"})


@nox.session
def coverage(session):
    git_clone(session, "https://github.com/ousret/char-dataset")
    session.run("coverage", "run", "-m", "pytest", env={"DATASET": "char-dataset"})
"""


def test_the_variables_a_noxfiles_test_run_sets_are_the_checks(tmp_path: Path) -> None:
    """jsonschema-specifications runs its tests with ``env = dict(os.environ,
    PYTHONWARNDEFAULTENCODING="1")``; tox's ``setenv`` was carried, nox's was not. Not those of a
    session that clones another project and runs its tests there (charset-normalizer's
    ``downstream_niquests``: ``NIQUESTS_STRICT_OCSP``); a session beside a clone is the project's."""
    write(
        tmp_path, {"noxfile.py": NOX_ENV, "pyproject.toml": '[project]\nname = "js"\n', "js/__init__.py": ""}
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.variables == {
        "PYTHONWARNDEFAULTENCODING": "1",
        "COVERAGE_CORE": "sysmon",
        "DATASET": "char-dataset",
    }
    assert 'PYTHONWARNDEFAULTENCODING: "1"  # its tests set it (noxfile.py session.run(env=…))' in text


def test_the_env_vars_of_the_hatch_environment_that_runs_the_tests_are_set(tmp_path: Path) -> None:
    """Hatch's ``env-vars`` are to its test scripts what tox's ``setenv`` is (zipp sets
    PYTHONWARNDEFAULTENCODING there); context fields and PATH are left out."""
    hatch = (
        '[project]\nname = "h"\n[tool.hatch.envs.default.env-vars]\nCOVERAGE_CORE = "sysmon"\n'
        '[tool.hatch.envs.test.scripts]\nrun = "pytest {args:tests}"\n'
        '[tool.hatch.envs.test.env-vars]\nPYTHONWARNDEFAULTENCODING = "1"\n'
        'DATA = "{root}/data"\nPATH = "/x"\n'
        '[tool.hatch.envs.docs.env-vars]\nSPHINX = "1"\n'
    )
    write(tmp_path, {"pyproject.toml": hatch, "h/__init__.py": "", "tests/test_a.py": ""})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None
    assert environment.variables == {"PYTHONWARNDEFAULTENCODING": "1", "COVERAGE_CORE": "sysmon"}


WEBSOCKETS_WORKFLOW = """\
name: Run tests
on: [push]
env:
  WEBSOCKETS_TESTS_TIMEOUT_FACTOR: 20
  FORCE_COLOR: 1
  TOKEN: ${{ secrets.TOKEN }}
jobs:
  docs:
    runs-on: ubuntu-latest
    env:
      SPHINX_STRICT: 1
    steps:
    - run: sphinx-build docs build
  tests:
    runs-on: ubuntu-latest
    env:
      HYPOTHESIS_PROFILE: ci
      PYTHONDEVMODE: true
      PIP_NO_CACHE_DIR: 1
      HOME_DIR: $HOME/x
    steps:
    - run: pip install tox
    - run: tox -e py
"""


def test_the_variables_a_ci_workflow_sets_for_its_test_runs_are_the_checks(tmp_path: Path) -> None:
    """websockets' workflow sets ``WEBSOCKETS_TESTS_TIMEOUT_FACTOR: 20`` for its test jobs; without
    it a test of its reconnection never ended and the check timed out after 10 minutes. The
    workflow's and its test jobs' ``env:`` are carried, as tox's ``setenv``; expressions, the CI's
    tooling and output variables and a job that runs no tests are not."""
    files = {"pyproject.toml": '[project]\nname = "w"\n', "w/__init__.py": "", "tests/test_a.py": ""}
    write(tmp_path, {**files, ".github/workflows/tests.yml": WEBSOCKETS_WORKFLOW})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.variables == {
        "WEBSOCKETS_TESTS_TIMEOUT_FACTOR": "20",
        "HYPOTHESIS_PROFILE": "ci",
        "PYTHONDEVMODE": "true",
    }
    assert "its tests set it (.github/workflows/tests.yml env)" in text
    # the tests' tox env's own value wins
    write(tmp_path, {"tox.ini": "[testenv]\ncommands = pytest\nsetenv =\n    HYPOTHESIS_PROFILE = dev\n"})
    assert parsed(tmp_path)[1].profile.environment.variables["HYPOTHESIS_PROFILE"] == "dev"


def test_a_workflow_whose_tox_runs_only_checker_envs_sets_no_test_variables(tmp_path: Path) -> None:
    """prettytable's lint workflow: ``env: RUFF_OUTPUT_FORMAT: github`` and a job running
    ``tox -e mypy``, read as a test run: the variable was written as "its tests set it"."""
    lint = (
        "name: Lint\non: [push]\nenv:\n  RUFF_OUTPUT_FORMAT: github\njobs:\n  mypy:\n    runs-on: x\n"
        "    steps:\n    - run: uvx --with tox-uv tox -e mypy\n  docs:\n    runs-on: x\n"
        "    steps:\n    - run: nox -s docs lint\n"
    )
    files = {"pyproject.toml": '[project]\nname = "w"\n', "w/__init__.py": "", "tests/test_a.py": ""}
    write(tmp_path, {**files, ".github/workflows/lint.yml": lint})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is None or "RUFF_OUTPUT_FORMAT" not in environment.variables
    write(tmp_path, {".github/workflows/lint.yml": lint.replace("tox -e mypy", "tox -e mypy,py312")})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and environment.variables["RUFF_OUTPUT_FORMAT"] == "github"


def test_tox_4s_set_env_spelling_in_tox_ini_is_read(tmp_path: Path) -> None:
    """prettytable's tox.ini: ``set_env = COVERAGE_CORE = sysmon`` (tox 4 reads both spellings;
    only ``setenv`` was read)."""
    tox = "[tox]\nenv_list = py3\n[testenv]\nextras = tests\nset_env =\n    COVERAGE_CORE = sysmon\n"
    tox += "commands =\n    pytest --cov prettytable tests\n"
    files = {
        "tox.ini": tox,
        "pyproject.toml": '[project]\nname = "pkg"\n'
        '[project.optional-dependencies]\ntests = ["pytest", "pytest-cov"]\n',
        "src/pkg/__init__.py": "",
        "tests/test_pkg.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    _, result = parsed(tmp_path)
    assert result.profile.environment.variables == {"COVERAGE_CORE": "sysmon"}
