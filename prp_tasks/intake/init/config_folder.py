"""Tool configurations kept in a ``config/`` folder, which the project's tasks pass by option.

griffe (and the other projects of the same copier template) keeps ``config/ruff.toml``,
``config/mypy.ini`` and ``config/pytest.ini``; its ``duties.py`` runs ``ruff check
--config=config/ruff.toml``, ``mypy --config-file=config/mypy.ini`` and pytest with
``config_file="config/pytest.ini"``. Run without them: 189 ruff violations of rules it never chose
(its own: 96), mypy errors its ``ignore_missing_imports`` silences, its tests without their
``testpaths`` and ``filterwarnings``. When the checkout's top has no configuration of the tool, the
checks pass the folder's file as those tasks do.
"""

from __future__ import annotations

from prp_tasks.intake.init.facts import Facts

#: tool -> (the file in ``config/``, the option naming it)
_FILES = {
    "ruff": ("config/ruff.toml", "--config=config/ruff.toml"),
    "mypy": ("config/mypy.ini", "--config-file=config/mypy.ini"),
}
PYTEST_FILE = "config/pytest.ini"


def config_folder(facts: Facts) -> None:
    """Note the options naming the ``config/`` folder's files of the tools configured nowhere else."""
    for tool, (name, option) in _FILES.items():
        if not (facts.repo / name).is_file() or _configured_at_top(facts, tool):
            continue
        if any(o.split("=")[0] == option.split("=")[0] for o in facts.lint_options.get(tool, [])):
            continue
        facts.lint_options.setdefault(tool, []).append(option)
        facts.configured(tool, name)
    if (facts.repo / PYTEST_FILE).is_file() and not _configured_at_top(facts, "pytest"):
        if facts.pytest_args is None:
            facts.pytest_args = (["-c", PYTEST_FILE, "--rootdir=."], f"{PYTEST_FILE}, its tests' settings")
        facts.configured("pytest", PYTEST_FILE)


def _configured_at_top(facts: Facts, tool: str) -> bool:
    """Whether a file at the checkout's top configures the tool (its ``config_places``; a
    conftest.py configures no pytest run, and the ``config/`` folder is not the top)."""
    return any(
        place in facts.config_places and not place.endswith("conftest.py") and not place.startswith("config/")
        for place in facts.tools.get(tool, [])
    )
