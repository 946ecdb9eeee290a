"""Tool configurations in a ``config/`` folder (``prp_tasks.intake.init.config_folder``): the checks
pass them as the project's tasks do, unless the checkout's top configures the tool."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_init import parsed, write

PYPROJECT = '[project]\nname = "griffe"\n[dependency-groups]\nci = ["pytest", "ruff", "mypy"]\n'


def test_the_config_folders_files_are_passed_to_the_tools_it_configures(tmp_path: Path) -> None:
    """griffe 1.15.0: ``config/ruff.toml``, ``config/mypy.ini``, ``config/pytest.ini``, passed by its
    duties.py: run without them, 189 ruff violations (its own 96), mypy errors its
    ``ignore_missing_imports`` silences, its tests without their ``testpaths``."""
    files = {"pyproject.toml": PYPROJECT, "src/griffe/__init__.py": "", "tests/test_a.py": ""}
    config = {
        "config/ruff.toml": "line-length = 120\n",
        "config/mypy.ini": "[mypy]\nignore_missing_imports = true\n",
    }
    write(tmp_path, files | config | {"config/pytest.ini": "[pytest]\ntestpaths = tests\n"})
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert "--config=config/ruff.toml" in commands["lint"]
    assert "--config-file=config/mypy.ini" in commands["type-check"]
    test = commands["test"]
    assert test[test.index("-c") : test.index("-c") + 3] == ("-c", "config/pytest.ini", "--rootdir=.")
    write(tmp_path, {"ruff.toml": "line-length = 100\n", "pytest.ini": "[pytest]\n"})  # the top's say
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert "--config=config/ruff.toml" not in commands["lint"] and "config/pytest.ini" not in commands["test"]
