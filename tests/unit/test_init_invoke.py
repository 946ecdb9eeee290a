"""``prp init`` reads an invoke ``tasks.py`` without running it."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_init import parsed, write

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
