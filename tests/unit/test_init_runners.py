"""``prp init`` reads what the project runs beyond tox and hooks (Makefile recipes, the shell
scripts CI runs, a noxfile's path constants), which tools it only declares, and what only its type
check needs (an environment of its own)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.intake.init.justfile import just_commands
from prp_tasks.intake.init.tools import _poe_lines
from tests.unit.test_init import parsed, write


def test_a_formatter_only_declared_is_not_a_check(tmp_path: Path) -> None:
    """python-dotenv lists black in requirements.txt but neither configures nor runs it (13 files
    would be reformatted): a required format check failed the run on a rule the project does not
    apply. Configured or run, it is checked."""
    files = {"requirements.txt": "black>=22\npytest\n", "pkg/__init__.py": "", "tests/test_a.py": ""}
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert "format" not in result.profile.governance.commands
    assert "format" not in result.profile.governance.checks
    assert "format: black is only declared (requirements.txt): nothing of the project configures" in text
    write(tmp_path, {"tox.ini": "[testenv:style]\ncommands = black --check pkg\n"})
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["format"][-1:] == ("pkg",)
    assert "format" in result.profile.governance.checks


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


def test_pylint_lints_what_the_project_names_else_its_packages(tmp_path: Path) -> None:
    """python-json-logger declares and configures pylint (its tox runs ``pylint src``): the run
    passed with "no lint tool found" and the required lint check ran nowhere."""
    files = {
        "pyproject.toml": '[project]\nname = "pjl"\n[project.optional-dependencies]\n'
        'dev = ["pylint", "pytest"]\n[tool.pylint.main]\nload-plugins = []\n',
        "src/pjl/__init__.py": "",
        "tests/test_a.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    lint = result.profile.governance.commands["lint"]
    assert lint[:4] == ("python", "-m", "pylint", "--output-format=json:.prp/reports/pylint.json,text")
    assert lint[-1] == "src/pjl" and "(its packages: no command of the project names paths)" in text
    assert "only configured" not in text  # its dev extra names it
    write(tmp_path, {"tox.ini": "[testenv:lint]\ncommands = pylint --disable=C0114 src\n"})
    lint = parsed(tmp_path)[1].profile.governance.commands["lint"]
    assert lint[-2:] == ("--disable=C0114", "src")


def test_a_pylint_only_configured_says_so(tmp_path: Path) -> None:
    """asttokens: a pylint-1.x ``.pylintrc`` that nothing runs or installs; its lint check failed
    with 66 messages, the first about the file's own obsolete options."""
    write(
        tmp_path,
        {".pylintrc": "[MASTER]\nprofile=no\n", "setup.cfg": "[metadata]\nname = at\n", "at/a.py": ""},
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][2] == "pylint"
    assert "only configured: no requirement names pylint and no command runs it (a leftover?)" in text


def test_what_only_the_type_check_needs_gets_an_environment_of_its_own(tmp_path: Path) -> None:
    """natsort: tox's mypy env installs fastnumbers, which its tests run without (installed for
    them, natsort takes another code path); without it mypy reported 10 errors for the project's 6."""
    tox = (
        "[testenv]\ndeps =\n    pytest\n    hypothesis\ncommands = pytest\n"
        "[testenv:mypy]\ndeps =\n    mypy\n    hypothesis\n    fastnumbers>=5.0.1\n"
        "commands = mypy --strict natsort tests\n"
    )
    write(tmp_path, {"tox.ini": tox, "setup.cfg": "[metadata]\nname = natsort\n", "natsort/__init__.py": ""})
    (tmp_path / "tests").mkdir()
    text, result = parsed(tmp_path)
    profile = result.profile
    shared = profile.environment.packages if profile.environment else ()
    assert "hypothesis" in shared and not any(p.startswith("fastnumbers") for p in shared)
    own = profile.environments["type-check"].packages
    assert own[: len(shared)] == shared and own[len(shared) :] == ("fastnumbers>=5.0.1",)
    assert "its type check installs it (tox.ini [testenv:mypy] deps)" in text
    check = builtin_workflow(profile).gate("G3").check("run-type-check")
    assert check.environment is not None and "fastnumbers>=5.0.1" in check.environment.packages
    assert builtin_workflow(profile).gate("G3").check("run-test").environment is None


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


def test_a_mypy_hook_without_args_runs_with_the_hooks_own_defaults(tmp_path: Path) -> None:
    """shortuuid's mirrors-mypy hook gives no ``args``, so it runs with the hook's defaults
    (``--ignore-missing-imports``): prp's mypy reported 2 errors for django imports, the project's 0."""
    hook = (
        "repos:\n  - repo: https://github.com/pre-commit/mirrors-mypy\n    rev: v0.991\n"
        "    hooks:\n      - id: mypy\n"
    )
    write(
        tmp_path,
        {".pre-commit-config.yaml": hook, "pyproject.toml": '[project]\nname = "s"\n', "s/__init__.py": ""},
    )
    command = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert "--ignore-missing-imports" in command
    write(tmp_path, {".pre-commit-config.yaml": hook + "        args: [--strict]\n"})
    command = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert "--strict" in command and "--ignore-missing-imports" not in command


def test_flake8_plugins_the_project_declares_and_mypys_excludes_are_kept(tmp_path: Path) -> None:
    """annotated-types keeps flake8's settings in ``[tool.flake8]``, read only through the
    flake8-pyproject plugin it pins (67 violations without it, 0 with); prettytable's tox runs
    ``mypy . --exclude tests`` (52 errors without the exclude, 0 with)."""
    files = {
        "pyproject.toml": '[project]\nname = "at"\n[tool.flake8]\nmax_line_length = 120\n[tool.mypy]\n',
        "requirements/all.txt": "flake8==6.1.0\nflake8-pyproject==1.2.3\nmypy==1.5.1\n",
        "tox.ini": "[testenv:mypy]\ncommands = mypy . --exclude tests\n",
        "at/__init__.py": "",
        "tests/test_a.py": "",
    }
    write(tmp_path, files)
    profile = parsed(tmp_path)[1].profile
    assert profile.environment is not None and "flake8-pyproject==1.2.3" in profile.environment.packages
    assert profile.governance.commands["type-check"][-3:] == ("--exclude", "tests", ".")


def test_what_a_pre_commit_config_excludes_is_left_out_of_what_its_hooks_lint(tmp_path: Path) -> None:
    """pycodestyle: ``exclude: ^testing/data/`` (its deliberately bad fixtures) over a flake8 hook
    without a files filter: prp linted everything, 598 violations where the project has none."""
    config = (
        "exclude: ^testing/data/\nrepos:\n  - repo: https://github.com/pycqa/flake8\n    rev: 7.1.0\n"
        "    hooks:\n      - id: flake8\n  - repo: https://github.com/psf/black\n    rev: 24.8.0\n"
        "    hooks:\n      - id: black\n        exclude: ^(docs|build)/\n"
    )
    files = {".pre-commit-config.yaml": config, "setup.cfg": "[metadata]\nname = pcs\n", "pcs.py": ""}
    write(tmp_path, files)
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert commands["lint"][-2:] == ("--extend-exclude=testing/data", ".")
    assert commands["format"][-2:] == ("--extend-exclude=^/(testing/data|docs|build)/", ".")
    # an exclusion of another kind cannot be said to the tool: the hook's reach is not followed
    write(tmp_path, {".pre-commit-config.yaml": config.replace("^testing/data/", "\\.pyi$")})
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert commands["lint"][-1] == "pcs.py"


def test_a_flake8_plugin_only_an_unlisted_tox_env_installs_is_not_installed(tmp_path: Path) -> None:
    """mccabe: its ``docstrings`` env (not in envlist) adds flake8-docstrings; installed for the
    lint check, it reported 72 D-codes where the project's flake8 env reports none."""
    tox = (
        "[tox]\nenvlist = py311,flake8\n[testenv]\ndeps = pytest\ncommands = pytest\n"
        "[testenv:flake8]\ndeps = flake8\n    flake8-bugbear\ncommands = flake8\n"
        "[testenv:docstrings]\ndeps =\n    flake8\n    flake8-docstrings\ncommands = flake8\n"
    )
    write(tmp_path, {"tox.ini": tox, "setup.py": "setup(name='mccabe')\n", "mccabe.py": ""})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None
    assert "flake8-bugbear" in environment.packages and "flake8-docstrings" not in environment.packages


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


def test_coverage_run_and_its_report_threshold_become_the_measured_test_command(tmp_path: Path) -> None:
    """more-itertools' Makefile: ``coverage run --include="more_itertools/*.py" -m unittest``, then
    ``coverage report --fail-under=99``; prp init had said "not measured: coverage.py needs two
    commands" and left its 99 unenforced."""
    makefile = (
        "coverage:\n"
        '\tcoverage run --include="more_itertools/*.py" --parallel-mode -m unittest\n'
        "\tcoverage report --show-missing --fail-under=99\n"
    )
    files = {
        "setup.cfg": "[metadata]\nname = more-itertools\n",
        "requirements/testing.txt": "coverage\n",
        "Makefile": makefile,
        "more_itertools/__init__.py": "",
        "tests/test_more.py": "import unittest\n\nclass T(unittest.TestCase):\n    pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    profile = result.profile
    assert profile.governance.commands["test"] == (
        "python",
        "-m",
        "coverage",
        "run",
        "--include=more_itertools/*.py",
        "-m",
        "unittest",
        "discover",
        "-s",
        "tests",
    )  # not --parallel-mode: where the data goes is the check's own choice
    assert profile.reports.coverage == (".prp/reports/coverage.xml",)
    assert profile.budgets.coverage is not None and profile.budgets.coverage.total == 99.0
    assert "from Makefile recipe: --fail-under" in text
    assert profile.environment is not None and "coverage" in profile.environment.packages


def test_pycodestyle_and_its_old_name_pep8_lint_as_the_project_runs_them(tmp_path: Path) -> None:
    """toolz's CI runs ``pep8 --ignore=… --exclude=… -r .`` (prp init had said "no lint tool
    found"); pep8 it stays: pycodestyle's newer checks found 8 W605 that pep8 never reported."""
    ci = (
        "jobs:\n  test:\n    steps:\n      - run: pip install pep8 pytest\n"
        '      - run: pep8 --ignore="E731,W503,E402" --exclude=conf.py,tests,examples,bench -r .\n'
    )
    write(tmp_path, {".github/workflows/test.yml": ci, "toolz/__init__.py": "", "toolz/tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"] == (
        "python", "-m", "pep8", "--ignore=E731,W503,E402", "--exclude=conf.py,tests,examples,bench",
        "-r", ".",
    )  # fmt: skip
    assert result.profile.environment is not None and "pep8" in result.profile.environment.packages
    assert "detected: pep8: .github/workflows/test.yml" in text
    write(tmp_path, {"setup.cfg": "[pycodestyle]\nmax-line-length = 100\n"})  # autopep8 reads it too
    assert parsed(tmp_path)[1].profile.governance.commands["lint"][2] == "pep8"
    write(tmp_path, {"tox.ini": "[testenv:style]\ncommands = pycodestyle --max-line-length=100 toolz\n"})
    _, result = parsed(tmp_path)  # the maintained name wins where the project runs both
    assert result.profile.governance.commands["lint"] == (
        "python", "-m", "pycodestyle", "--max-line-length=100", "toolz",
    )  # fmt: skip


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


def test_black_run_by_darker_on_changed_lines_is_no_format_check(tmp_path: Path) -> None:
    """python-dateutil: ``[tool.black]`` is darker's configuration (black on the lines a change
    touches); prp init checked the whole tree: 35 files "would be reformatted", a major finding
    the project's CI never raises."""
    hooks = (
        "repos:\n  - repo: https://github.com/akaihola/darker\n    rev: 1.7.1\n    hooks:\n    - id: darker\n"
    )
    files = {".pre-commit-config.yaml": hooks, "pyproject.toml": "[tool.black]\nline-length = 88\n"}
    write(tmp_path, {**files, "dateutil/__init__.py": "", "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert "format" not in result.profile.governance.commands
    assert "format: black runs through darker (.pre-commit-config.yaml hook 'darker')" in text
    more = "  - repo: https://github.com/psf/black\n    rev: 24.1.0\n    hooks:\n    - id: black\n"
    write(tmp_path, {".pre-commit-config.yaml": hooks + more})  # black's own hook: the whole tree
    assert parsed(tmp_path)[1].profile.governance.commands["format"][2] == "black"


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


def test_a_requirement_file_only_the_type_checks_env_installs_says_so(tmp_path: Path) -> None:
    """blinker: ``requirements/typing.txt`` was "its tests install it (tox.ini [testenv:typing] deps)"."""
    files = {
        "pyproject.toml": '[project]\nname = "blinker"\n[tool.mypy]\nfiles = ["src/blinker"]\n',
        "tox.ini": "[testenv]\ndeps = -r requirements/tests.txt\ncommands = pytest -v\n"
        "[testenv:typing]\ndeps = -r requirements/typing.txt\ncommands = mypy\n",
        "requirements/tests.txt": "pytest\n",
        "requirements/typing.txt": "mypy\n",
        "src/blinker/__init__.py": "",
        "tests/test_b.py": "import pytest\n",
    }
    write(tmp_path, files)
    text, _ = parsed(tmp_path)
    assert '"requirements/typing.txt"  # its type check installs it (tox.ini [testenv:typing] deps)' in text


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
