"""What every command ``prp init`` writes shares: where its machine output goes, the command
record (argv and why), how the places a tool was seen are named, and the words its comment uses
for what a linter or formatter covers (its targets, a hook's excludes, a tool only configured)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.sources import nested, read_toml

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


def excludes(facts: Facts, tool: str, targets: list[str]) -> list[str]:
    """What the tool's pre-commit hook leaves out, when it lints everything (pycodestyle's
    ``exclude: ^testing/data/``: its deliberately bad fixtures, 598 flake8 violations)."""
    folders = facts.hook_excludes.get(tool, [])
    if not folders or "." not in targets:
        return []
    if tool == "black":  # a regular expression of paths from the root, as black reads it
        return [f"--extend-exclude=^/({'|'.join(re.escape(f) for f in folders)})(/|$)"]
    return [f"--extend-exclude={','.join(folders)}"]


def scope_said(
    targets: list[str],
    options: list[str],
    *,
    own: bool,
    chosen: str = "its packages and tests",
    verb: str = "lints",
) -> str:
    """What the comment says it lints (``verb``: a formatter "formats"): "as the project does" only
    for what the project's own commands or hooks name (its packages and tests are prp's choice when
    they name no paths)."""
    where = "" if targets == ["."] else f"{verb} {', '.join(targets)}"
    with_options = f"with {' '.join(options)}" if options else ""
    if own:
        said = " ".join(s for s in (where, with_options) if s)
        return f"; {said}, as the project does" if said else ""
    said = f"; {where} ({chosen}: no command of the project names paths)" if where else ""
    return said + (f"; {with_options}, as the project does" if with_options else "")


def leftover(facts: Facts, tool: str) -> str:
    """What the comment says of a linter the project only configures (configobj's ``[flake8]`` in
    setup.cfg: nothing it runs runs flake8, whose check then failed on 558 violations), and of the
    files its command names that this checkout lacks (sh's tox lints ``sh.py sh_test.py``, the
    test module in tests/ of its sdist: "lints sh.py, as the project does" said nothing of it)."""
    gone = facts.lint_unfound.get(tool, [])
    unfound = (
        f"; the project's command also names {', '.join(gone[:3])}, not in this checkout" if gone else ""
    )
    if not facts.only_configured(tool):
        return unfound
    name = "ruff format" if tool == "ruff-format" else tool
    # webargs' sdist: its tox lint env runs pre-commit, whose hooks file the sdist leaves out;
    # marshmallow-dataclass's lint extra declares pre-commit (its hooks run flake8 with bugbear)
    uses = f"{facts.pre_commit_run} runs" if facts.pre_commit_run else "the project declares"
    if (facts.pre_commit_run or "pre-commit" in facts.declared_names) and not facts.hooks_file:
        return (
            f"; {uses} pre-commit, whose .pre-commit-config.yaml this checkout "
            f"lacks: whether its hooks run {name} is not known here"
        )
    if facts.hooks_left_out and not facts.hooks_file:  # exceptiongroup's sdist: its ruff hook excluded files
        return (
            f"; {facts.hooks_left_out} leaves the project's .pre-commit-config.yaml out of its source "
            f"distribution, which this checkout lacks: whether its hooks run {name} is not known here"
        )
    if sdist_without_ci(facts):  # pycparser's sdist: its Makefile and CI (make check: ruff) left out
        return (
            f"; this checkout is a source distribution (PKG-INFO) without the project's CI files: "
            f"whether its automation runs {name} is not known here"
        )
    if tool == "ruff-format":  # (ruff itself is named: its lint check runs it)
        return f"; only configured: no command or hook of the project runs {name} (a leftover?)"
    return f"; only configured: no requirement names {tool} and no command runs it (a leftover?)"


def hooks_unknown(facts: Facts) -> bool:
    """Whether the project runs or declares pre-commit, or ships without its hooks file, while
    this checkout lacks ``.pre-commit-config.yaml``: what its hooks run is not known here."""
    uses_hooks = facts.pre_commit_run or "pre-commit" in facts.declared_names or facts.hooks_left_out
    return bool(uses_hooks) and not facts.hooks_file


def only_declared(facts: Facts, tool: str) -> str:
    """``black is only declared (…): nothing of the project configures or runs it``; of a source
    distribution without the project's CI files, only what this checkout holds is known (rich's
    sdist had read as if nothing of rich ran black)."""
    said = f"{tool} is only declared ({where(facts, tool)}): nothing "
    if sdist_without_ci(facts):
        return said + (
            "in this checkout configures or runs it (a source distribution without the project's CI "
            "files: whether its automation runs it is not known here)"
        )
    return said + "of the project configures or runs it"


def sdist_without_ci(facts: Facts) -> bool:
    """A checkout that is a source distribution (its PKG-INFO at the top) with none of the CI
    files a repository keeps: what runs its tools there is not in it."""
    ci = (".github/workflows", ".gitlab-ci.yml", ".circleci", "azure-pipelines.yml", ".travis.yml")
    return (facts.repo / "PKG-INFO").is_file() and not any((facts.repo / c).exists() for c in ci)


#: ruff settings shared by its linter and formatter, or the formatter's own: a configuration of
#: only these configures no linting
_RUFF_SHARED = frozenset(
    {"line-length", "indent-width", "target-version", "exclude", "extend-exclude", "include",
     "extend-include", "src", "respect-gitignore", "force-exclude", "cache-dir", "output-format",
     "preview", "required-version", "namespace-packages", "extend", "format"}
)  # fmt: skip


def ruff_formats_only(facts: Facts) -> str:
    """Where the project runs ``ruff format`` when ruff is its formatter only: nothing it runs runs
    ``ruff check`` and its ruff configuration sets no lint rules (netaddr: its Makefile's lint
    recipe is ``ruff format --check``, its ``[tool.ruff]`` a line length; a ``ruff check`` of the
    default rules failed the pristine release on 26 violations); else ''."""
    formats = facts.run_places("ruff-format")
    if not formats or facts.run_places("ruff") or hooks_unknown(facts):
        return ""
    tables = [nested(facts.config, "tool", "ruff")]
    tables += [read_toml(facts.repo / name) for name in ("ruff.toml", ".ruff.toml")]
    if any(isinstance(t, dict) and set(t) - _RUFF_SHARED for t in tables):
        return ""
    return formats[0]


def linted_apart(facts: Facts, tool: str) -> str:
    """What the comment says of the project's other command of the tool, with options of its own
    (blessed's tox: ``flake8 --ignore=W504,F401 tests/`` beside ``flake8 --exclude=tests …``;
    cloup's ``mypy tests examples`` beside ``mypy --strict cloup``)."""
    if tool not in facts.lint_apart:
        return ""
    paths, options, where = facts.lint_apart[tool]
    said = (
        f"with options of its own ({' '.join(options)})"
        if options
        else "without the options this check passes"
    )
    verb = "type-checks" if tool == "mypy" else "lints"
    return f"; not run here: {where} {verb} {', '.join(paths)} {said}"
