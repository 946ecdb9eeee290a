"""``prp init`` reads what the project runs: Makefile and justfile recipes, poe tasks, the shell
scripts and directories of CI steps, a noxfile's path constants, tox factors and changedir, and
the extras a ``uv run`` of the tests installs (the variables its test runs set:
``test_init_variables.py``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from prp_tasks.intake.init.justfile import just_commands
from prp_tasks.intake.init.tools import _task_lines
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
    # the real script runs mypy as an if's condition: it was read as run by nothing
    checked = 'if [ "$CHECK" = "1" ]; then\n    if ! mypy --pretty sniffio; then\n        exit 1\n    fi\n'
    checked += "fi\n"
    write(tmp_path, {"ci.sh": script.replace("mypy --strict sniffio\n", checked)})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-2:] == ("--pretty", "sniffio")
    assert "none of the project's CI steps" not in text


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
    assert commands["format"] == (
        "python", "-m", "ruff", "format", "--check", "--no-cache", "--output-format=concise",
        "--extend-exclude=initial.md", ".",
    )  # fmt: skip
    assert "[tool.poe.tasks] lint" in text
    assert commands["type-check"][-1] == "tenacity"  # a cmd given as its words
    tasks = tomllib.loads(POE_TASKS)["tool"]["poe"]["tasks"]
    assert _task_lines(tasks["docs"]) == [] and _task_lines(tasks["test"]) == ["pytest"]  # a reference: none
    assert _task_lines(tasks["lint"]) == ["ruff check .", "ruff format --check ."]
    assert _task_lines(tasks["flake"]) == ["flake8 --max-line-length=100 tenacity && echo done"]


PIXI_TASKS = """[project]
name = "sqlparse"
[tool.pixi.tasks]
test-py311 = "pixi run -e py311 pytest tests/"
lint = "pixi run -e py311 flake8 sqlparse/"
[tool.pixi.feature.typing.tasks]
types = { cmd = ["mypy", "sqlparse"] }
"""


def test_pixi_tasks_are_commands_the_project_runs(tmp_path: Path) -> None:
    """sqlparse: its CI runs ``pixi run lint``, whose task is ``pixi run -e py311 flake8 sqlparse/``;
    its flake8 read "only configured: … (a leftover?)", linting ``sqlparse, tests``, where its
    ``.flake8`` excludes the tests."""
    files = {"pyproject.toml": PIXI_TASKS, ".flake8": "[flake8]\nexclude = tests\n"}
    write(tmp_path, {**files, "sqlparse/__init__.py": "", "tests/test_t.py": ""})
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["lint"][-1] == "sqlparse" and "tests" not in commands["lint"]
    assert "pyproject.toml [tool.pixi.tasks] lint; lints sqlparse, as the project does" in text
    assert "a leftover?" not in text
    assert commands["type-check"][-1] == "sqlparse"  # a feature's task, its cmd given as words
    assert "[tool.pixi.feature.typing.tasks] types" in text
    odd = '[project]\nname = "x"\n[tool.pixi]\nfeature = ["a"]\n[tool.pixi.tasks]\nb = {cmd = 5}\n'
    write(tmp_path / "odd", {"pyproject.toml": odd + 'c = ["x", 3]\n'})
    assert "lint" not in parsed(tmp_path / "odd")[1].profile.governance.commands  # read, nothing made of it


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
    assert commands["test"][-2:] == ("tests", "--continue-on-collection-errors")  # (its -n auto)
    assert "tests as Justfile recipe cov runs it" in text
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


def test_the_extras_a_uv_sync_installs_in_a_job_that_runs_the_tests_are_installed(tmp_path: Path) -> None:
    """pydantic-settings' CI job ``test``: ``uv sync --group testing --all-extras``, then ``make
    test``; prp installed the two extras whose packages its tests import outside a ``try``, and its
    run stopped at 64 of 1392 tests on the Azure source's tests (no ``azure``)."""
    pyproject = (
        '[project]\nname = "pkg"\n[project.optional-dependencies]\nazure = ["azure-core"]\n'
        'gcp = ["google-cloud"]\n[dependency-groups]\ntesting = ["pytest"]\nlinting = ["ruff"]\n'
    )
    ci = (
        "jobs:\n  lint:\n    steps:\n      - run: uv sync --group linting --extra gcp\n"
        "      - run: uv run ruff check\n"
        "  test:\n    steps:\n      - run: |\n          uv sync --group testing --all-extras\n"
        "      - run: make test\n"
    )
    files = {"pyproject.toml": pyproject, ".github/workflows/ci.yml": ci, "Makefile": "test:\n\tpytest\n"}
    write(tmp_path, {**files, "pkg/__init__.py": "", "tests/test_a.py": "import pytest\n"})
    text, result = parsed(tmp_path)
    environment = result.profile.environment
    assert environment is not None and environment.extras == ("azure", "gcp")
    assert "its tests install it (.github/workflows/ci.yml job 'test' uv sync)" in text
    ci = ci.replace("--all-extras", "--extra azure")  # the lint job's extra is not the tests'
    write(tmp_path, {".github/workflows/ci.yml": ci})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and environment.extras == ("azure",)


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


def test_the_targets_a_makefiles_phony_lists_are_no_commands(tmp_path: Path) -> None:
    """tqdm's ``.PHONY:`` lists its targets one per tab-indented line: ``flake8`` among them read as
    a flake8 command "detected: … Makefile recipe .PHONY"."""
    makefile = ".PHONY:\n\tflake8\n\tpytest\n\nflake8:\n\t@+pre-commit run -a flake8\n"
    write(tmp_path, {"setup.cfg": "[metadata]\nname = t\n", "t/__init__.py": "", "Makefile": makefile})
    text = parsed(tmp_path)[0]
    assert ".PHONY" not in text and "no lint tool found" in text


def test_a_docs_recipes_pytest_run_is_not_the_suite(tmp_path: Path) -> None:
    """icalendar's sdist: its ``make test`` runs tox (whose tox.ini the sdist leaves out) and its
    ``doctest`` recipe ``pytest src/icalendar/tests/test_with_doctest.py``, which became the test
    command: 376 of its 18,000 tests, a failing test elsewhere unseen, coverage 48.71% for 98%."""
    makefile = (
        "test: .venv\n\tuv run tox\n\ndoctest: .venv  ## docs snippets\n"
        "\t@pytest src/ical/tests/test_with_doctest.py\n"
    )
    pyproject = '[project]\nname = "ical"\n[tool.pytest.ini_options]\ntestpaths = ["src/ical/tests"]\n'
    files = {"Makefile": makefile, "pyproject.toml": pyproject, "src/ical/__init__.py": ""}
    write(tmp_path, {**files, "src/ical/tests/test_with_doctest.py": "", "src/ical/tests/test_x.py": ""})
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert "src/ical/tests/test_with_doctest.py" not in test and test[2] == "pytest"
