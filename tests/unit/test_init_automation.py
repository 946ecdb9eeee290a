"""``prp init`` reads what the project runs: Makefile and justfile recipes, poe tasks, the shell
scripts and directories of CI steps, a noxfile's path constants and variables, Hatch environments'
variables, tox factors and changedir, and the extras a ``uv run`` of the tests installs."""

from __future__ import annotations

import tomllib
from pathlib import Path

from prp_tasks.core.builtin_workflow import command_checks
from prp_tasks.intake.init.justfile import just_commands
from prp_tasks.intake.init.tools import _poe_lines
from tests.unit.test_init import parsed, write

BACKOFF_MAKEFILE = """\
PY_VERSION := $(wordlist 2,4,$(subst ., ,$(shell python --version 2>&1)))
PACKAGE = backoff

flake8:
\t@flake8 --ignore=E741,W503,W504 $(PACKAGE) tests

mypy:\t
\t@mypy --show-error-codes ${PACKAGE} tests

test: clean
\t@PYTHONPATH=. py.test --cov-report term-missing --cov backoff tests

check: flake8 mypy test
\t@coverage report | grep ^TOTAL | grep 100% >/dev/null || \\
\t{ echo 'Unit tests coverage is incomplete.'; exit 1; }
\t@echo $(shell date)
"""


def test_a_makefiles_recipes_are_commands_the_project_runs(tmp_path: Path) -> None:
    """backoff's CI runs ``make check``: its flake8 ignores E741 (3 violations otherwise, and G3
    failed), its mypy checks the tests too."""
    files = {
        "pyproject.toml": '[tool.poetry]\nname = "backoff"\n[tool.poetry.dev-dependencies]\n'
        'flake8 = "^4"\nmypy = "^0.942"\npytest = "^7"\npytest-cov = "^3"\n',
        "Makefile": BACKOFF_MAKEFILE,
        "backoff/__init__.py": "",
        "tests/test_backoff.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["lint"][-3:] == ("--ignore=E741,W503,W504", "backoff", "tests")
    assert commands["type-check"][-2:] == ("backoff", "tests")
    assert "--cov=backoff" in commands["test"] and commands["test"][-1] != "clean"
    assert "Makefile recipe" in text


def test_a_shell_script_a_ci_step_runs_is_read(tmp_path: Path) -> None:
    """sniffio's CI runs ``./ci.sh``, where its pytest, coverage and mypy commands are."""
    script = (
        "#!/bin/bash\nset -ex\n# the tests\n"
        "python -m pytest -W error -r a --verbose tests --cov=sniffio \\\n    --cov-config=.coveragerc\n"
        "mypy --strict sniffio\n"
    )
    workflow = "jobs:\n  t:\n    steps:\n      - run: ./ci.sh\n"
    files = {
        "ci.sh": script,
        ".github/workflows/ci.yml": workflow,
        "sniffio/__init__.py": "",
        "tests/t.py": "",
    }
    write(tmp_path, {**files, "pyproject.toml": '[project]\nname = "sniffio"\n'})
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["type-check"][-2:] == ("--strict", "sniffio")
    assert "-W" in commands["test"] and "tests" in commands["test"]
    assert "ci.sh (run by .github/workflows/ci.yml)" in text


NOXFILE = """\
from pathlib import Path
import nox

ROOT = Path(__file__).parent
PACKAGE = ROOT / "referencing"
TESTS = PACKAGE / "tests"


@nox.session
def tests(session):
    session.run("pytest", "--cov", PACKAGE, *session.posargs, TESTS)


@nox.session
def typing(session):
    session.run("python", "-m", "mypy", "--strict", PACKAGE)
"""


def test_a_noxfiles_path_constants_are_its_commands_targets(tmp_path: Path) -> None:
    """referencing's noxfile names its paths through ``ROOT = Path(__file__).parent`` constants:
    its mypy and test targets were left out."""
    files = {"noxfile.py": NOXFILE, "referencing/__init__.py": "", "referencing/tests/test_a.py": ""}
    write(tmp_path, {**files, "pyproject.toml": '[project]\nname = "referencing"\n'})
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["type-check"][-2:] == ("--strict", "referencing")
    assert "referencing/tests" in commands["test"]
    assert "referencing/tests as noxfile.py runs it" in text


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
"""


def test_the_variables_a_noxfiles_test_run_sets_are_the_checks(tmp_path: Path) -> None:
    """jsonschema-specifications runs its tests with ``env = dict(os.environ,
    PYTHONWARNDEFAULTENCODING="1")``; tox's ``setenv`` was carried, nox's was not."""
    write(
        tmp_path, {"noxfile.py": NOX_ENV, "pyproject.toml": '[project]\nname = "js"\n', "js/__init__.py": ""}
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.variables == {
        "PYTHONWARNDEFAULTENCODING": "1",
        "COVERAGE_CORE": "sysmon",
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


def test_a_ci_step_that_changes_directory_runs_its_tests_there(tmp_path: Path) -> None:
    """jmespath's CI: ``cd tests/ && py.test --cov jmespath``; prp ran pytest from the root, which
    collected ``extra/test_hypothesis.py`` (hypothesis not installed): 0 tests, 1 error."""
    ci = "jobs:\n  test:\n    steps:\n      - run: cd tests/ && py.test --cov jmespath --cov-report term\n"
    files = {
        ".github/workflows/run-tests.yml": ci,
        "requirements.txt": "pytest==6.2.5\npytest-cov==3.0.0\n",
        "jmespath/__init__.py": "",
        "tests/test_a.py": "",
        "extra/test_hypothesis.py": "import hypothesis\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    test = result.profile.governance.commands["test"]
    assert "tests" in test and "extra" not in " ".join(test) and "--cov=jmespath" in test
    assert "tests as .github/workflows/run-tests.yml runs it" in text


def test_a_command_behind_a_braced_tox_factor_is_read(tmp_path: Path) -> None:
    """munch's tox: ``{py27,py35,py36,pypy}-full: coverage run --source=munch -m pytest`` was read
    as a tool named ``{py27,…}-full:`` (coverage "not configured")."""
    tox = "[testenv]\ncommands =\n    {py27,py35,pypy}-full: coverage run --source=munch -m pytest\n"
    write(
        tmp_path,
        {"tox.ini": tox, "setup.cfg": "[tool:pytest]\n", "munch/__init__.py": "", "tests/test_a.py": ""},
    )
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert test[:7] == ("python", "-m", "coverage", "run", "--source=munch", "-m", "pytest")


POE_TASKS = """[project]
name = "tenacity"
[tool.poe.tasks]
test = "pytest"
docs = ["docs-html"]
docs-html = "sphinx-build -b html doc/source doc/build"
types = { cmd = ["mypy", "tenacity"] }
[tool.poe.tasks.lint]
sequence = [{ cmd = "ruff check ." }, { cmd = "ruff format --check ." }, "types"]
[tool.poe.tasks.flake]
shell = "# the old linter\\nflake8 --max-line-length=100 tenacity && echo done"
"""


def test_poe_tasks_are_commands_the_project_runs(tmp_path: Path) -> None:
    """tenacity: its CI runs ``uv run poe lint``, whose task runs ``ruff format --check .``; prp
    did not read poe tasks, and a file ruff would reformat passed the run."""
    write(tmp_path, {"pyproject.toml": POE_TASKS, "tenacity/__init__.py": "", "tests/test_t.py": ""})
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["format"] == ("python", "-m", "ruff", "format", "--check", "--no-cache", ".")
    assert "[tool.poe.tasks] lint" in text
    assert commands["type-check"][-1] == "tenacity"  # a cmd given as its words
    tasks = tomllib.loads(POE_TASKS)["tool"]["poe"]["tasks"]
    assert _poe_lines(tasks["docs"]) == [] and _poe_lines(tasks["test"]) == ["pytest"]  # a reference: none
    assert _poe_lines(tasks["lint"]) == ["ruff check .", "ruff format --check ."]
    assert _poe_lines(tasks["flake"]) == ["flake8 --max-line-length=100 tenacity && echo done"]


def test_a_tox_env_run_in_another_directory_gives_the_checkouts_paths(tmp_path: Path) -> None:
    """glom's tox: ``changedir = .tox`` and ``coverage run --rcfile {toxinidir}/.tox-coveragerc
    -m pytest --doctest-modules {envsitepackagesdir}/glom``; prp's check (at the top) was given
    ``--rcfile=../.tox-coveragerc`` and the target ``.tox``: "Couldn't read '../.tox-coveragerc'"."""
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='glom')\n",
        "tox.ini": "[testenv]\nchangedir = .tox\ndeps = -rrequirements.txt\ncommands = coverage run "
        "--parallel --rcfile {toxinidir}/.tox-coveragerc -m pytest -vv --doctest-modules "
        "{envsitepackagesdir}/glom {posargs}\n",
        ".tox-coveragerc": "[run]\nsource = glom\n",
        "requirements.txt": "coverage\npytest\n",
        "glom/__init__.py": "",
        "glom/test/test_basic.py": "",
    }
    write(tmp_path, files)
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert test[:6] == ("python", "-m", "coverage", "run", "--rcfile=.tox-coveragerc", "-m")
    assert test[-2:] == ("--doctest-modules", "glom")


JUSTFILE = """\
python := ""

# Sync the environment
sync version="":
    uv sync {{ if python != '' { '-p ' + python } else { '' } }} --all-extras

lint:
\tuv run -p python3.14 --group lint ruff check src/ tests bench
\tuv run -p python3.14 --group lint ruff format --check src tests docs/conf.py

cov *args="-x --ff -n auto tests":
    uv run {{ if python != '' { '-p ' + python } else { '' } }} --all-extras coverage run -m pytest {{args}}
    {{ if covcleanup == "true" { "uv run coverage combine" } else { "" } }}
    @rm .coverage*

bench:
\tuv run --group test pytest bench --benchmark-save base {{unknown}}
"""


def test_a_justfiles_recipes_are_commands_the_project_runs(tmp_path: Path) -> None:
    """cattrs: its CI runs ``just cov`` and ``just lint``; prp collected ``bench/`` with the tests
    and format-checked ``bench/test_enums.py``, which the project never format-checks."""
    assert just_commands(JUSTFILE) == [
        ("sync", "uv sync  --all-extras"),
        ("lint", "uv run -p python3.14 --group lint ruff check src/ tests bench"),
        ("lint", "uv run -p python3.14 --group lint ruff format --check src tests docs/conf.py"),
        ("cov", "uv run  --all-extras coverage run -m pytest -x --ff -n auto tests"),
        ("cov", "rm .coverage*"),
    ]  # (a line with an expression it cannot say is left out)
    files = {
        "Justfile": JUSTFILE,
        "pyproject.toml": '[project]\nname = "cattrs"\n[tool.ruff]\n[tool.ruff.format]\n',
        "src/cattrs/__init__.py": "",
        "tests/test_a.py": "",
        "bench/test_b.py": "",
        "docs/conf.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["test"][-1] == "tests" and "tests as Justfile recipe cov runs it" in text
    assert commands["lint"][-3:] == ("src", "tests", "bench")
    assert commands["format"][-3:] == ("src", "tests", "docs/conf.py")


def test_the_extras_and_groups_a_uv_run_of_the_tests_installs_are_installed(tmp_path: Path) -> None:
    """cattrs' justfile: ``uv run --all-extras --group test --group lint pytest``; without its
    extras four test modules could not import msgspec, yaml and bson."""
    pyproject = (
        '[project]\nname = "cattrs"\n[project.optional-dependencies]\n'
        'msgspec = ["msgspec"]\nyaml = ["pyyaml"]\n'
        '[dependency-groups]\ntest = ["pytest"]\nlint = ["ruff"]\ndocs = ["sphinx"]\n'
    )
    justfile = "test:\n    uv run --all-extras --group test --group lint pytest tests\n"
    ci = "jobs:\n  d:\n    steps:\n      - run: uv run --extra yaml --group docs sphinx-build docs out\n"
    ci += "      - run: uv run --extra=msgspec --group=test python -m pytest tests\n"
    files = {"pyproject.toml": pyproject, "Justfile": justfile, ".github/workflows/docs.yml": ci}
    write(tmp_path, {**files, "src/cattrs/__init__.py": "", "tests/test_a.py": "import pytest\n"})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None
    assert environment.extras == ("msgspec", "yaml") and environment.groups == ("test", "lint")  # not docs
    (tmp_path / "Justfile").unlink()  # the CI step alone: ``--extra=msgspec`` (not yaml: docs')
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and environment.extras == ("msgspec",)


def test_the_versions_a_ci_steps_pip_install_asks_for_are_the_tools_versions(tmp_path: Path) -> None:
    """A CI step's ``pip install "mypy>=1.10" ruff==0.5.0 -e .[test]``: the type check and the lint
    get those versions (as a requirements file's pins and bounds), not the newest."""
    workflow = (
        "jobs:\n  t:\n    steps:\n"
        '      - run: python -m pip install "mypy>=1.10" ruff==0.5.0 -r requirements/x.txt -e .[test]\n'
        "      - run: |\n          ruff check src\n          mypy src\n          pytest tests\n"
    )
    files = {
        ".github/workflows/ci.yml": workflow,
        "pyproject.toml": '[project]\nname = "pkg"\n[project.optional-dependencies]\ntest = ["pytest"]\n',
        "src/pkg/__init__.py": "",
        "tests/test_pkg.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    packages = result.profile.environment.packages
    assert "ruff==0.5.0" in packages and "mypy>=1.10" in packages, packages
    assert ".github/workflows/ci.yml (pip install)" in text


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


def test_a_tox_env_in_a_changedir_the_checkout_lacks_keeps_its_test_paths(tmp_path: Path) -> None:
    """boltons' tox: ``changedir = .tox`` and ``pytest --doctest-modules
    {envsitepackagesdir}/boltons {toxinidir}/tests``: ``.tox/../tests`` was no path (no ``.tox``
    in the checkout), so 150 doctests ran and the 423 tests in tests/ did not."""
    tox = "[testenv]\nchangedir = .tox\ndeps = pytest\ncommands =\n"
    tox += "    pytest --doctest-modules {envsitepackagesdir}/boltons {toxinidir}/tests {posargs}\n"
    write(tmp_path, {"tox.ini": tox, "boltons/__init__.py": "", "tests/test_a.py": "", "setup.py": ""})
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert test[-3:] == ("--doctest-modules", "boltons", "tests"), test


def test_a_tox_envs_own_variables_are_put_into_its_commands(tmp_path: Path) -> None:
    """hyperlink's tox: ``setenv = PY_MODULE=hyperlink`` and ``pytest --doctest-modules
    {posargs:src/{env:PY_MODULE}}``: the path was dropped (pytest then collected docs/conf.py)."""
    tox = "[testenv]\nsetenv =\n    PY_MODULE=hyperlink\ndeps =\n    pytest\n    flake8\ncommands =\n"
    tox += "    pytest --doctest-modules {posargs:src/{env:PY_MODULE}}\n"
    tox += "[testenv:flake8]\ncommands = flake8 {posargs:setup.py src/{env:PY_MODULE:hyperlink}}\n"
    files = {"tox.ini": tox, "src/hyperlink/__init__.py": "", "setup.py": "", "docs/conf.py": ""}
    write(tmp_path, files)
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert commands["test"][-2:] == ("--doctest-modules", "src/hyperlink"), commands["test"]
    assert commands["lint"][-2:] == ("setup.py", "src/hyperlink"), commands["lint"]


STRUCTLOG_CI = """\
jobs:
  tests:
    strategy:
      matrix:
        python-version: ["3.9", "3.13"]
    steps:
      - run: uv run coverage run -m pytest
      - uses: actions/upload-artifact@v4
  coverage:
    needs: tests
    steps:
      - uses: actions/download-artifact@v4
      - run: |
          coverage combine
          coverage report --fail-under=100
"""


def test_a_threshold_on_coverage_combined_from_several_jobs_is_not_one_runs_budget(tmp_path: Path) -> None:
    """structlog's CI: ``coverage report --fail-under=100`` on the data of every Python and extra
    combined; one environment measures 94.4% and G4 failed "94.4% < required 100%"."""
    files = {
        ".github/workflows/ci.yml": STRUCTLOG_CI,
        "pyproject.toml": '[project]\nname = "pkg"\n[tool.coverage.run]\nsource = ["pkg"]\n',
        "pkg/__init__.py": "",
        "tests/test_a.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.budgets.coverage is None
    assert "applies in .github/workflows/ci.yml job 'coverage' to coverage combined" in text
    one_job = (  # parallel data of one run combined where it ran: its threshold is that run's
        "jobs:\n  tests:\n    steps:\n      - run: |\n          coverage run -p -m pytest\n"
        "          coverage combine\n          coverage report --fail-under=100\n"
    )
    write(tmp_path, {".github/workflows/ci.yml": one_job})
    budget = parsed(tmp_path)[1].profile.budgets.coverage
    assert budget is not None and budget.total == 100.0


MARKDOWN2_MAKEFILE = """\
SHELL=/bin/bash

.PHONY: test
test:
\tcd test && python testall.py

.PHONY: testone
testone:
\tcd test && python test.py -- -knownfailure

testredos:
\tpython test/test_redos.py
"""


def test_the_projects_own_test_runner_runs_where_its_tox_env_runs_it(tmp_path: Path) -> None:
    """markdown2's tox runs ``make testone``, whose recipe is ``cd test && python test.py --
    -knownfailure``: unittest discovery of ``test/`` ran 8 modules and none of its 260 tests."""
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='markdown2', package_dir={'': 'lib'})\n",
        "lib/markdown2.py": "",
        "tox.ini": "[tox]\nenvlist = py{310,311}\n\n[testenv]\nallowlist_externals = make\n"
        "commands = make testone\n",
        "Makefile": MARKDOWN2_MAKEFILE,
        "test/test.py": "import sys\n",
        "test/testall.py": "import sys\n",
        "test/test_redos.py": "import unittest\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    governance = result.profile.governance
    assert governance.commands["test"] == ("python", "test.py", "--", "-knownfailure")
    assert governance.workdirs == {"test": "test"}
    assert "as Makefile recipe testone runs it in test/ (tox.ini [testenv] runs make testone)" in text
    check = next(c for c in command_checks(result.profile) if c.name == "run-test")
    assert check.workdir == "test" and "(in test/)" in check.description


def test_without_tox_the_makefiles_test_recipe_names_the_runner(tmp_path: Path) -> None:
    """No tox env says which target: the ``test`` recipe's script; a ``cd`` out of the checkout
    is not followed, and a script that is no test runner (``setup.py``) is not one."""
    makefile = "test:\n\tcd tests && python runtests.py -v\nbuild:\n\tpython setup.py build\n"
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='x')\n",
        "x/__init__.py": "",
        "Makefile": makefile,
        "tests/runtests.py": "",
        "tests/test_x.py": "import unittest\n",
    }
    write(tmp_path, files)
    _, result = parsed(tmp_path)
    governance = result.profile.governance
    assert governance.commands["test"] == ("python", "runtests.py", "-v")
    assert governance.workdirs == {"test": "tests"}
    (tmp_path / "Makefile").write_text("test:\n\tcd .. && python x/runtests.py\n")
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:4] == ("python", "-m", "unittest", "discover")
    assert result.profile.governance.workdirs == {}


def test_a_test_script_the_tox_env_runs_wins_over_pytest_guessed_from_modules(tmp_path: Path) -> None:
    """dill's tox runs ``{envpython} dill/tests/__main__.py``, which runs each ``test_*.py`` as a
    script (30 pass); its modules of plain ``def test_…`` made prp init guess pytest, whose
    collection failed with 6 errors. A pytest the project configures still wins."""
    tox = "[tox]\nenvlist = py311\n\n[testenv]\ncommands =\n    {envpython} -m pip install .\n"
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='dill')\n",
        "dill/__init__.py": "",
        "dill/tests/__init__.py": "",
        "dill/tests/__main__.py": "import glob\n",
        "dill/tests/test_abc.py": "def test_abc():\n    pass\n",
        "tox.ini": tox + "    {envpython} dill/tests/__main__.py\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "dill/tests/__main__.py")
    assert "the project's own test runner, as tox.ini [testenv] runs it" in text
    assert result.profile.governance.workdirs == {}
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\naddopts = -ra\n")
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:3] == ("python", "-m", "pytest")


def test_a_tox_command_behind_uv_run_is_the_tools(tmp_path: Path) -> None:
    """croniter's tox runs every tool as ``uv run --group=mypy --active mypy .``: its type check
    was ``mypy src/croniter`` and its ``ruff format`` env unseen."""
    tox = (
        "[tox]\nenvlist = lint,test\n\n[testenv]\ncommands =\n    uv run --active py.test -v .\n\n"
        "[testenv:mypy]\ncommands = uv run --group=mypy --active mypy .\n\n"
        "[testenv:fmt]\ncommands = uv run --group=format --active ruff format\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "cron"\n[tool.mypy]\n[tool.ruff]\n',
        "src/cron/__init__.py": "",
        "tox.ini": tox,
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["type-check"][-1] == "." and "checks .: as the project runs it" in text
    assert commands["format"][:4] == ("python", "-m", "ruff", "format")


PYDASH_TASKS = """\
from functools import partial
from invoke import Context, run as _run, task

PACKAGE_NAME = "pydash"
PACKAGE_SOURCE = f"src/{PACKAGE_NAME}"
MYPY_TESTS_DIR = "tests/pytest_mypy_testing"
TEST_TARGETS = f"{PACKAGE_SOURCE} tests"
LINT_TARGETS = f"{TEST_TARGETS} tasks.py"
run = partial(_run, pty=True)


@task()
def mypy(ctx: Context) -> None:
    run(f"mypy {LINT_TARGETS} --no-error-summary")


@task(help={"args": "Override default pytest arguments"})
def test(
    ctx: Context, args: str = f"{TEST_TARGETS} --cov={PACKAGE_NAME}", with_mypy_tests: bool = False
) -> None:
    site = os.getenv("TOX_ENV_SITE_PACKAGES_DIR")
    if site:
        args = args.replace(PACKAGE_SOURCE, site)
    ignored_dirs = f"--ignore={MYPY_TESTS_DIR}" if with_mypy_tests is False else ""
    run(f"pytest {args} {ignored_dirs}")


def helper(c):
    c.run(f"pytest {UNKNOWN}")
"""


def test_an_invoke_tasks_files_commands_are_the_projects(tmp_path: Path) -> None:
    """pydash's tox runs ``inv ci``, whose ``test`` task runs ``pytest src/pydash tests
    --cov=pydash --ignore=tests/pytest_mypy_testing``: unread, the tests ran its 339 opt-in mypy
    tests (failing on an older mypy's wording) and measured tasks.py's coverage, 97.63%
    against its 100. A Celery ``tasks.py`` (``@app.task``) is no invoke file."""
    from prp_tasks.intake.init.invoke_tasks import task_commands

    assert task_commands(PYDASH_TASKS) == [
        ("mypy", "mypy src/pydash tests tasks.py --no-error-summary"),
        ("test", "pytest src/pydash tests --cov=pydash --ignore=tests/pytest_mypy_testing"),
    ]
    celery = "from celery import Celery\napp = Celery()\n\n@app.task\ndef t():\n    run('pytest x')\n"
    assert task_commands(celery) == []
    files = {
        "pyproject.toml": '[project]\nname = "pydash"\n[project.optional-dependencies]\n'
        'dev = ["pytest-cov", "mypy"]\n'
        '[tool.pytest.ini_options]\naddopts = "--cov-fail-under=100"\n[tool.mypy]\n',
        "src/pydash/__init__.py": "",
        "tests/test_x.py": "import pytest\n",
        "tasks.py": PYDASH_TASKS,
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["test"][7:10] == ("src/pydash", "tests", "--ignore=tests/pytest_mypy_testing")
    assert "--cov=pydash" in commands["test"] and "as tasks.py task test runs it" in text
    assert commands["type-check"][-4:] == (".prp/reports/mypy.xml", "src/pydash", "tests", "tasks.py")


def test_a_runner_script_in_a_tests_folder_without_test_modules_runs_the_tests(tmp_path: Path) -> None:
    """feedparser's ``tests/runtests.py`` builds its 4335 cases from the data files beside it (its
    sdist has no tox.ini): unittest discovery of ``tests/`` ran none and failed the suite."""
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='feedparser')\n",
        "feedparser/__init__.py": "",
        "tests/runtests.py": "import unittest\n",
        "tests/wellformed/a.xml": "<feed/>",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "tests/runtests.py")
    assert "the project's own test runner: tests/runtests.py, no test module beside it" in text
    write(tmp_path, {"tests/test_a.py": "import unittest\n"})  # discovery finds modules: they run
    assert parsed(tmp_path)[1].profile.governance.commands["test"][2:4] == ("unittest", "discover")


def test_a_test_script_the_project_runs_under_coverage_is_run_so(tmp_path: Path) -> None:
    """argcomplete's CI runs ``make test``: ``coverage run --source=argcomplete --omit=… ./test/test.py
    -v`` (191 tests); unittest discovery of ``test/`` ran 232, a fixture package's module among them."""
    makefile = (
        "test:\n\tcoverage run --source=argcomplete --omit=argcomplete/packages/_shlex.py ./test/test.py -v\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "argcomplete"\n[project.optional-dependencies]\n'
        'test = ["coverage"]\n',
        "argcomplete/__init__.py": "",
        "test/__init__.py": "",
        "test/test.py": "import unittest\n",
        "test/test_contrib_shells.py": "import unittest\n",
        "Makefile": makefile,
        ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: make test\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == (
        "python", "-m", "coverage", "run", "--source=argcomplete", "--omit=argcomplete/packages/_shlex.py",
        "./test/test.py", "-v",
    )  # fmt: skip
    assert "as Makefile recipe test runs it (.github/workflows/ci.yml runs make test)" in text
    assert result.profile.reports.coverage == (".prp/reports/coverage.xml",)


def test_the_targets_a_makefiles_phony_lists_are_no_commands(tmp_path: Path) -> None:
    """tqdm's ``.PHONY:`` lists its targets one per tab-indented line: ``flake8`` among them read as
    a flake8 command "detected: … Makefile recipe .PHONY"."""
    makefile = ".PHONY:\n\tflake8\n\tpytest\n\nflake8:\n\t@+pre-commit run -a flake8\n"
    write(tmp_path, {"setup.cfg": "[metadata]\nname = t\n", "t/__init__.py": "", "Makefile": makefile})
    text = parsed(tmp_path)[0]
    assert ".PHONY" not in text and "no lint tool found" in text


def test_a_tests_package_that_runs_its_own_suite_is_the_test_runner(tmp_path: Path) -> None:
    """simplejson's ``simplejson/tests/__init__.py`` runs its suite as a script (setup.py's test
    command does): 570 tests, the C speedups off as well as on, and its doctests; discovery of the
    package ran 283 and passed with half the suite unrun."""
    main = "import unittest\n\ndef main():\n    pass\n\nif __name__ == '__main__':\n    main()\n"
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='simplejson')\n",
        "simplejson/__init__.py": "",
        "simplejson/tests/__init__.py": main,
        "simplejson/tests/test_a.py": "import unittest\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "simplejson/tests/__init__.py")
    assert "the project's own test runner: simplejson/tests/__init__.py runs its suite" in text
    write(tmp_path, {"simplejson/tests/__init__.py": ""})  # a plain package: discovery
    assert parsed(tmp_path)[1].profile.governance.commands["test"][2:4] == ("unittest", "discover")


def test_a_test_module_the_project_runs_with_python_m_is_its_runner(tmp_path: Path) -> None:
    """toposort's Makefile: ``PYTHONPATH=src:test python3 -m test.test_toposort``; its module ends
    in a bare ``unittest.main()``, which under discovery read discover's arguments and exited 2:
    "1 test ran: 1 errors" for a suite of 11 that passes."""
    makefile = "test:\tunittest doctest\n\nunittest:\n\tPYTHONPATH=src:test python3 -m test.test_toposort\n"
    files = {
        "setup.cfg": "[metadata]\nname = toposort\n",
        "src/toposort.py": "",
        "test/__init__.py": "",
        "test/test_toposort.py": "import unittest\nunittest.main()\n",
        "Makefile": makefile,
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "-m", "test.test_toposort")
    assert "the project's own test runner, as Makefile recipe unittest runs it" in text
