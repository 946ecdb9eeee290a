"""What every command ``prp init`` writes shares: where its machine output goes, the command
record (argv and why), and how the places a tool was seen are named."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prp_tasks.intake.init.facts import Facts

#: where the commands write their machine output (inside the check's working directory)
REPORTS = ".prp/reports"
COVERAGE_XML = f"{REPORTS}/coverage.xml"
#: pytest's cache under .prp/ (which ignores itself), not off: plugins use it (cachelib's
#: pytest-xprocess fails every fixture without ``config.cache``)
PYTEST_CACHE = "cache_dir=.prp/cache/pytest"
#: the profile prp init writes, left out of a ruff format check (ruff 0.16+ formats Markdown)
EXCLUDE_PROFILE = "--extend-exclude=initial.md"
#: pylint saving no statistics in the user's home (``~/.cache/pylint``)
NO_PYLINT_STATE = "--persistent=n"


@dataclass(frozen=True)
class Command:
    """One governance command and why it is what it is."""

    name: str
    argv: tuple[str, ...]
    why: str
    #: the folder of the repository it runs in ('': the top)
    workdir: str = ""


def where(facts: Facts, tool: str, limit: int = 3) -> str:
    places = facts.tools.get(tool, [])
    more = f" and {len(places) - limit} more" if len(places) > limit else ""
    return ", ".join(places[:limit]) + more


def import_names(facts: Facts) -> list[str]:
    return [Path(p).stem for p in facts.packages]
