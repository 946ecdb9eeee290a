"""What ``prp init``'s coverage measures and enforces, read from how the project runs pytest-cov:
its own command's and ``addopts``' ``--cov`` targets and threshold, a coverage configuration that
includes what it measures, one of installed copies only."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_init import parsed, write


def test_coverage_measures_what_the_projects_own_pytest_command_measures(tmp_path: Path) -> None:
    """platformdirs: tox runs ``--cov {envsitepackagesdir}{/}platformdirs --cov {toxinidir}{/}tests``
    over continued lines, and its fail_under (76) is for that total, not the package's alone."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'platformdirs'\n[project.optional-dependencies]\n"
            "test = ['pytest', 'pytest-cov', 'covdefaults']\n[tool.coverage]\nreport.fail_under = 76\n",
            "tox.ini": "[testenv]\ncommands =\n    pytest {tty:--color=yes} {posargs: \\\n"
            "      --junitxml {toxworkdir}{/}junit.xml --cov {envsitepackagesdir}{/}platformdirs \\\n"
            "      --cov {toxinidir}{/}tests \\\n"
            "      --cov-report term-missing:skip-covered \\\n      tests}\n",
            "src/platformdirs/__init__.py": "",
            "tests/test_api.py": "def test_x():\n    pass\n",
        },
    )
    _, result = parsed(tmp_path)
    argv = result.profile.governance.commands["test"]
    assert [a for a in argv if a.startswith("--cov=")] == [
        "--cov=src/platformdirs",
        "--cov=tests",
    ]  # (by path: subprocesses too)


def test_what_pytests_addopts_measure_is_measured(tmp_path: Path) -> None:
    """portalocker: pytest.ini's addopts say ``--cov portalocker`` and .coveragerc a stale
    ``source = src``; the bare ``--cov`` prp added measured that source instead: 0.00% for 100%."""
    files = {
        "pytest.ini": "[pytest]\naddopts = --cov portalocker --cov-branch\n",
        ".coveragerc": "[run]\nsource = src\n",
        "setup.cfg": "[metadata]\nname = portalocker\n",
        "portalocker/__init__.py": "",
        "portalocker_tests/test_a.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    _, result = parsed(tmp_path)
    argv = result.profile.governance.commands["test"]
    assert [a for a in argv if a.startswith("--cov") and "report" not in a] == [
        "--cov=portalocker",
        "--cov-branch",
    ]
    (tmp_path / "pytest.ini").unlink()
    write(tmp_path, {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = ["--cov=portalocker"]\n'})
    _, result = parsed(tmp_path)
    assert "--cov=portalocker" in result.profile.governance.commands["test"]


def test_a_coverage_config_that_includes_what_it_measures_gets_a_bare_cov(tmp_path: Path) -> None:
    """asttokens: its CI runs ``pytest --cov`` and .coveragerc says ``include = asttokens/*``; prp's
    ``--cov=asttokens`` overrode the include and counted an unimported module: 89.04% for 89.15%."""
    files = {
        ".coveragerc": "[run]\nbranch = True\ninclude = asttokens/*\n",
        "setup.cfg": "[metadata]\nname = asttokens\n[options.extras_require]\n"
        "test =\n    pytest\n    pytest-cov\n",
        "asttokens/__init__.py": "",
        "tests/test_a.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    argv = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert [a for a in argv if a.startswith("--cov") and "report" not in a] == ["--cov"]
    write(tmp_path, {".coveragerc": "[run]\nbranch = True\n"})  # nothing named: the package's own
    argv = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert [a for a in argv if a.startswith("--cov") and "report" not in a] == ["--cov=asttokens"]


def test_a_coverage_report_of_installed_copies_only_is_not_enforced_and_says_why(tmp_path: Path) -> None:
    """python-dotenv reports ``include = */site-packages/dotenv/*``: the checks run its sources,
    so pytest-cov wrote no report ("No data to report") and the evidence said nothing of why."""
    cfg = "[coverage:run]\nsource = dotenv\n[coverage:report]\ninclude = */site-packages/dotenv/*\n"
    files = {
        "setup.cfg": cfg,
        "requirements.txt": "pytest-cov\n",
        "src/dotenv/__init__.py": "",
        "tests/t.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert not any(a.startswith("--cov") for a in result.profile.governance.commands["test"])
    assert result.profile.budgets.coverage is None
    assert (
        "counts only an installed copy (setup.cfg [coverage:report] include: */site-packages/dotenv/*)"
        in text
    )


def test_a_threshold_in_pytests_addopts_is_the_projects(tmp_path: Path) -> None:
    """arrow's tox.ini: ``[pytest] addopts = --cov-fail-under=99``; initial.md said the project
    sets no threshold and left coverage unenforced."""
    tox = "[pytest]\naddopts = -v --cov-branch --cov=arrow --cov-fail-under=99\n"
    files = {"tox.ini": tox, "requirements.txt": "pytest-cov\n", "arrow/__init__.py": "", "tests/t.py": ""}
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.budgets.coverage is not None and result.profile.budgets.coverage.total == 98.5
    assert "tox.ini [pytest] addopts: --cov-fail-under" in text
