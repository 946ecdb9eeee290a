"""Which tool version and Python a check ran with (``prp_tasks.environments.versions``), read
from an environment's files."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.environments.versions import ran_with, tool_of


def venv(root: Path, python: str, *dists: str) -> Path:
    site = root / "lib" / f"python{python.rsplit('.', 1)[0]}" / "site-packages"
    site.mkdir(parents=True)
    for dist in dists:
        (site / f"{dist}.dist-info").mkdir()
    (root / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion_info = {python}.final.0\n")
    return root


def test_the_tool_of_a_command_and_its_version_are_read_from_the_environment(tmp_path: Path) -> None:
    env = venv(tmp_path / "v", "3.12.4", "pytest-9.2.0", "pytest_cov-6.1.0", "ruff-0.15.6")
    assert ran_with(env, ["python", "-m", "pytest", "-q"]) == "pytest 9.2.0, Python 3.12.4"
    assert ran_with(env, [str(env / "bin" / "ruff"), "check", "."]) == "ruff 0.15.6, Python 3.12.4"
    assert ran_with(env, ["python3.12", "-m", "pytest_cov"]) == "pytest_cov 6.1.0, Python 3.12.4"
    assert ran_with(env, ["make", "test"]) == "Python 3.12.4"  # not a package of the environment
    assert ran_with(tmp_path / "missing", ["pytest"]) == ""
    # more-itertools under coverage run: the test runner first, then coverage (it had said coverage alone)
    env = venv(tmp_path / "c", "3.12.4", "pytest-9.2.0", "coverage-7.18.0")
    assert ran_with(env, ["python", "-m", "coverage", "run", "--branch", "-m", "pytest", "-q"]) == (
        "pytest 9.2.0, coverage 7.18.0, Python 3.12.4"
    )
    assert (
        ran_with(env, [str(env / "bin" / "coverage"), "run", "-m", "unittest"])
        == "coverage 7.18.0, Python 3.12.4"
    )
    assert ran_with(env, ["coverage", "report"]) == "coverage 7.18.0, Python 3.12.4"
    assert tool_of([]) == "" and tool_of(["python", "-m"]) == "python"


def test_a_package_installed_later_is_seen(tmp_path: Path) -> None:
    env = venv(tmp_path / "v", "3.11.7")
    assert ran_with(env, ["python", "-m", "mypy"]) == "Python 3.11.7"
    site = next((env / "lib").iterdir()) / "site-packages"
    (site / "mypy-1.13.0.dist-info").mkdir()
    assert ran_with(env, ["python", "-m", "mypy"]) == "mypy 1.13.0, Python 3.11.7"
