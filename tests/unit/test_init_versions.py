"""``prp init`` installs the project's tools at the versions it uses: exact pins, its lock file's entries
for this Python (pytest's too), pre-commit revs, declared bounds; unpinned where its tests run the tool
through a pytest plugin (not one pytest-enabler turns off)."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.init.detect import detect
from tests.unit.test_init import parsed, write


def test_a_tool_the_tests_run_through_a_pytest_plugin_is_not_pinned(tmp_path: Path) -> None:
    """zipp: its pre-commit pins ruff 0.12.0, its tests run ruff (pytest-ruff) at the version
    their dependencies install; pinned, its tests failed a format check they pass in its CI."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "zipp"\n[project.optional-dependencies]\n'
            'test = ["pytest", "pytest-ruff>=0.2.1"]\n[tool.ruff]\n',
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
            "    rev: v0.12.0\n    hooks:\n      - id: ruff\n",
            "zipp/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "ruff" in result.profile.environment.packages and "ruff==0.12.0" not in text


def test_a_pytest_plugin_only_an_extra_the_tests_do_not_install_declares_leaves_the_pin(
    tmp_path: Path,
) -> None:
    """PyHamcrest: pytest-mypy only in its ``dev`` extra (the tests install ``tests``, which has
    ``mypy!=0.940``); the profile said "unpinned: its test dependencies include pytest-mypy"."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pyhamcrest"\n[project.optional-dependencies]\n'
            'tests = ["pytest", "mypy!=0.940"]\ndev = ["pyhamcrest[tests]", "pytest-mypy"]\n[tool.mypy]\n',
            "hamcrest/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "mypy!=0.940" in result.profile.environment.packages and "pytest-mypy, which" not in text
    pyproject = (tmp_path / "pyproject.toml").read_text()
    write(tmp_path, {"pyproject.toml": pyproject.replace('"mypy!=0.940"', '"pytest-mypy"')})
    text, result = parsed(tmp_path)  # in the extra the tests install: mypy at their version
    assert "unpinned: its test dependencies include pytest-mypy, which runs it at their version" in text


def test_a_pytest_plugin_pytest_enabler_turns_off_runs_nothing_in_the_tests(tmp_path: Path) -> None:
    """cssutils (jaraco's skeleton): pytest-mypy in its ``test`` extra and
    ``[tool.pytest-enabler.mypy]`` without ``addopts`` ("Disabled due to jaraco/skeleton#143"):
    its tests run no mypy, and the profile said they did ("unpinned: its test dependencies include
    pytest-mypy, which runs it at their version"). A table with ``addopts`` keeps it on."""
    pyproject = (
        '[project]\nname = "cssu"\n[project.optional-dependencies]\ntest = ["pytest", "pytest-mypy"]\n'
        "[tool.mypy]\n[tool.pytest-enabler.mypy]\n# Disabled due to jaraco/skeleton#143\n"
    )
    ci = "jobs:\n  test:\n    steps:\n      - run: python -m pytest\n"
    write(tmp_path, {"pyproject.toml": pyproject, "cssu/__init__.py": "", ".github/workflows/ci.yml": ci})
    text, result = parsed(tmp_path)
    assert "pytest-mypy, which runs it" not in text
    assert "seen runs mypy: required here anyway (its pytest-mypy is turned off by pyproject.toml " in text
    assert "[tool.pytest-enabler.mypy])" in text
    assert result.profile.governance.commands["type-check"][:3] == ("python", "-m", "mypy")
    write(tmp_path, {"pyproject.toml": pyproject + 'addopts = "--mypy"\n'})
    text = parsed(tmp_path)[0]
    assert "unpinned: its test dependencies include pytest-mypy, which runs it at their version" in text
    assert "required here anyway" not in text


def test_tool_versions_come_from_the_lock_file_else_the_declared_bounds(tmp_path: Path) -> None:
    """semver: ``formatting = ["ruff<=0.16"]``, ``typing = ["mypy<=2.1.0"]`` and a uv.lock
    holding ruff 0.15.20; unpinned, the checks ran ruff 0.17 and mypy 2.4."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "semv"\n[dependency-groups]\nformatting = ["ruff<=0.16"]\n'
            'typing = ["mypy<=2.1.0"]\nlint = ["flake8==7.1.0"]\n[tool.ruff]\n[tool.mypy]\n',
            "uv.lock": 'version = 1\n[[package]]\nname = "ruff"\nversion = "0.15.20"\n'
            '[[package]]\nname = "Flake8"\nversion = "7.2.0"\n',
            "semv/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.packages == ("ruff==0.15.20", "mypy<=2.1.0")
    assert "# uv.lock: 0.15.20" in text and "# pyproject.toml dependency group 'typing'" in text
    assert detect(tmp_path).pins["flake8"] == ("flake8==7.1.0", "pyproject.toml dependency group 'lint'")


def test_pytest_comes_at_the_lock_files_version(tmp_path: Path) -> None:
    """webcolors: pdm.lock holds pytest 8.4.2 for its ``tests`` group; coverage was taken at the
    lock's 7.11.0 and pytest left to the latest (9.2.0 ran). Without a lock, the version the
    test dependencies install."""
    lock = 'version = 1\n[[package]]\nname = "pytest"\nversion = "8.4.2"\n'
    pyproject = '[project]\nname = "wc"\n[dependency-groups]\ntests = ["pytest"]\n'
    write(tmp_path, {"pyproject.toml": pyproject, "pdm.lock": lock, "wc/__init__.py": "", "tests/t.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "pytest==8.4.2" in result.profile.environment.packages and "# pdm.lock: 8.4.2" in text
    (tmp_path / "pdm.lock").unlink()
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and "pytest" in result.profile.environment.packages
    assert '"pytest"  # the version the project\'s test dependencies install, else the latest' in text


def test_pytest_comes_as_the_tests_own_dependencies_bound_it(tmp_path: Path) -> None:
    """pygments: tox's test env installs ``pytest ~= 8.2``; pytest 9 ran, whose
    PytestRemovedIn10Warning fails the project's own ``-W error``."""
    tox = "[testenv]\ndeps =\n    pytest ~= 8.2\n    pytest-cov\ncommands = pytest --cov {posargs}\n"
    write(tmp_path, {"tox.ini": tox, "setup.py": "", "pg/__init__.py": "", "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.packages[:2] == ("pytest ~= 8.2", "pytest-cov")
    assert '"pytest ~= 8.2"  # as the project\'s tests install it (tox.ini [testenv] deps)' in text


def test_a_lock_files_entry_for_another_python_is_not_this_pythons_version(tmp_path: Path) -> None:
    """croniter's uv.lock holds mypy 1.19.1 for Python below 3.10 and 2.1.0 above (its
    ``resolution-markers``): the first was written and ran on 3.11, where its developers run 2.1.0."""
    old, new = "python_full_version < '3.10'", "python_full_version >= '3.10'"
    lock = "version = 1\n"
    for version, marker in (("1.19.1", old), ("2.1.0", new)):
        lock += f'[[package]]\nname = "mypy"\nversion = "{version}"\nresolution-markers = ["{marker}"]\n'
    files = {
        "pyproject.toml": '[project]\nname = "cron"\n[dependency-groups]\nmypy = ["mypy"]\n[tool.mypy]\n',
        "uv.lock": lock,
        "cron/__init__.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "mypy==2.1.0" in result.profile.environment.packages and "# uv.lock: 2.1.0" in text
    assert "1.19.1" not in text


def test_a_pin_whose_marker_leaves_it_to_another_python_is_not_this_pythons(tmp_path: Path) -> None:
    """charset-normalizer's dev group: ``coverage==7.10.7; python_version == '3.9'``, then
    ``coverage>=7.13.5; python_version >= '3.10'``. The 3.9 pin was written; with the group's own
    bound the environment could not be solved and every command check failed."""
    dev = (
        "[dependency-groups]\ndev = [\"coverage==7.10.7; python_version == '3.9'\", "
        '"coverage>=7.13.5; python_version >= \'3.10\'", "pytest"]\n'
    )
    tox = "[testenv]\ncommands = coverage run -m pytest\n"
    files = {"pyproject.toml": f'[project]\nname = "cn"\n{dev}', "tox.ini": tox, "cn/__init__.py": ""}
    write(tmp_path, {**files, "tests/test_a.py": "import pytest\n"})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.packages[0] == "coverage>=7.13.5; python_version >= '3.10'"
    assert "7.10.7" not in text


def test_a_frozen_pre_commit_rev_gives_the_version_its_comment_names(tmp_path: Path) -> None:
    """pyproject-api: ``rev: "38bfb07c…"  # frozen: v0.17.1``."""
    sha = "38bfb07c" * 5
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "api"\n',
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
            f'    rev: "{sha}" # frozen: v0.17.1\n    hooks:\n      - id: ruff\n',
            "api/__init__.py": "",
        },
    )
    assert detect(tmp_path).pins["ruff"][0] == "ruff==0.17.1"


def test_a_hooks_rev_gives_way_to_the_lock_when_a_task_runs_the_tool_in_the_locked_env(
    tmp_path: Path,
) -> None:
    """python-ulid: its pre-commit hook pins ruff v0.15.4; its poe task ``uv run ruff format
    --check`` runs uv.lock's 0.17.3, which reformats a file 0.15.4 leaves: the check ran 0.15.4 and
    passed. Where the project runs its hooks (attrs' tox lint env runs pre-commit), the rev stays."""
    hooks = "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.15.4\n"
    hooks += "    hooks:\n      - id: ruff-format\n"
    pyproject = '[project]\nname = "ulid"\n[dependency-groups]\ndev = ["ruff==0.17.*"]\n'
    pyproject += '[tool.poe.tasks]\ncheck-fmt = "uv run ruff format --check"\n'
    lock = 'version = 1\n[[package]]\nname = "ruff"\nversion = "0.17.3"\n'
    files = {
        "pyproject.toml": pyproject,
        ".pre-commit-config.yaml": hooks,
        "uv.lock": lock,
        "ulid/__init__.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "ruff==0.17.3" in result.profile.environment.packages and "# uv.lock: 0.17.3" in text
    write(tmp_path, {"tox.ini": "[testenv:lint]\ndeps = pre-commit\ncommands = pre-commit run --all-files\n"})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and "ruff==0.15.4" in environment.packages
