"""The format check ``prp init`` writes: ``ruff format --check`` or ``black --check`` on what the
project's own commands or hooks format, or why there is none (a formatter only declared, run by
darker on changed lines, or only configured while the project's automation runs its linter and
nothing runs the formatter)."""

from __future__ import annotations

import json

from prp_tasks.intake.init.commandbase import (
    EXCLUDE_PROFILE,
    Command,
    excludes,
    hooks_unknown,
    leftover,
    only_declared,
    scope_said,
    sdist_without_ci,
)
from prp_tasks.intake.init.commandbase import where as _where
from prp_tasks.intake.init.declared import installs_at_least
from prp_tasks.intake.init.facts import Facts


def format_check(facts: Facts) -> Command | None:
    """The format check, or None (:func:`unformatted_why` says why, when something is to say)."""
    if facts.uses("ruff-format") and not formatter_unrun(facts, "ruff-format"):
        return _ruff_format(facts)
    if (
        facts.uses("black")
        and not facts.only_declared("black")
        and not black_by_darker(facts)
        and not formatter_unrun(facts, "black")
    ):
        options = facts.lint_options.get("black", [])
        targets = facts.lint_targets.get("black") or ["."]
        options = options + excludes(facts, "black", targets)
        argv = ("python", "-m", "black", "--check", *options, *targets)
        linted = scope_said(targets, options, own="black" in facts.lint_targets, verb="formats")
        linted += leftover(facts, "black")  # dateutil's [tool.black]: 30 files it would reformat
        return Command("format", argv, f"black: {_where(facts, 'black')}{linted}")
    return None


#: since 0.16 ``ruff format --check`` shows each file's diff (0.14 takes the option): pony's 4 files
#: made 971 KB of output, whose end alone is read, and its check named 3 of them and not the file
#: it could not parse; concise, one line a file
CONCISE = "--output-format=concise"


def _ruff_format(facts: Facts) -> Command:
    """``ruff format --check`` on what the project's own checks format (cattrs': src tests
    docs/conf.py), leaving out what its hook does and the profile prp init writes: ruff formats
    Markdown since 0.16 (its fenced Python among it), the release whose ``ruff format`` takes
    --extend-exclude (0.11.12 refused it: exit 2)."""
    targets = facts.lint_targets.get("ruff-format") or ["."]
    options = facts.lint_options.get("ruff-format", [])
    modern = installs_at_least(facts, "ruff", "0.16")
    hooked = facts.hook_excludes.get("ruff-format", []) if "." in targets else []  # (what excludes() reads)
    excluded: list[str] = []
    if hooked:  # before 0.16 a configuration override (exceptiongroup's hooks, ruff 0.14.10)
        excluded = excludes(facts, "ruff-format", targets) if modern else [config_exclude(hooked)]
    excluded += [EXCLUDE_PROFILE] if "." in targets and modern else []
    concise = [CONCISE] if modern and not any(o.startswith("--output-format") for o in options) else []
    argv = (
        "python",
        "-m",
        "ruff",
        "format",
        "--check",
        "--no-cache",
        *concise,
        *options,
        *excluded,
        *targets,
    )
    linted = scope_said(targets, options, own="ruff-format" in facts.lint_targets, verb="formats")
    if hooked:
        linted += f"; leaves out {', '.join(hooked)}, as the project's hook does"
    linted += leftover(facts, "ruff-format")  # hpack's [tool.ruff.format]: its tox runs ruff check only
    return Command("format", argv, f"ruff format: {_where(facts, 'ruff-format')}{linted}")


def unformatted_why(facts: Facts) -> str:
    """Why black, though named, is no format check: only declared (python-dotenv), or run by
    darker on the lines a change touches (dateutil: 35 files black would reformat)."""
    if facts.only_declared("black"):
        said = only_declared(facts, "black")
        return f"{said}, so the formatting is not checked; add a format command to enforce it"
    if black_by_darker(facts):
        return (
            f"black runs through darker ({_where(facts, 'darker')}), on the lines a change touches: the "
            "project does not keep the whole tree black-formatted, so the formatting is not checked"
        )
    for tool in ("ruff-format", "black"):
        if linted := formatter_unrun(facts, tool):
            name = "ruff format" if tool == "ruff-format" else tool
            return (
                f"{name} is only configured ({_where(facts, tool)}) while {linted}, and nothing of the "
                f"project runs {name}: the formatting is not checked; add a format command to enforce it"
            )
    return ""


def formatter_unrun(facts: Facts, tool: str) -> str:
    """What of the project's automation runs its linter (else another tool), when it only
    configures the formatter ``tool`` and no hook file it may run is missing; else "". h2's tox
    lint env runs ``ruff check`` and nothing runs the ``ruff format`` its ``[tool.ruff.format]``
    configures: 54 files of its release would be reformatted, and the format check failed the run."""
    if not facts.only_configured(tool) or hooks_unknown(facts):
        return ""  # (its hooks may run it: webargs' sdist, whose lint env runs pre-commit)
    for linter in ("ruff", "flake8", "pylint", "pycodestyle"):
        if places := facts.run_places(linter):
            return f"{places[0]} runs {linter}"
    # no linter: what else its automation runs (Deprecated's tox and CI run its tests, nothing runs
    # the black its [tool.black] configures, and its pristine release failed on 17 files); not
    # known of a source distribution without its CI files (wrapt's: its CI may run black)
    if sdist_without_ci(facts):
        return ""
    others = ((other, facts.run_places(other)) for other in facts.tools if other != tool)
    return next((f"{places[0]} runs {other}" for other, places in others if places), "")


def black_by_darker(facts: Facts) -> bool:
    """darker's hook, and no command or hook of the project that runs black itself."""
    return facts.uses("darker") and facts.uses("black") and "black" not in facts.lint_targets


def config_exclude(paths: list[str]) -> str:
    """A hook's excludes as ``ruff format`` before 0.16 takes them: a configuration override
    (``--config``, ruff 0.2+) adding to the project's own, it having no ``--extend-exclude``
    (blinker's pin, ruff 0.11.12, refused it: exit 2)."""
    return f"--config=extend-exclude = [{', '.join(json.dumps(p) for p in paths)}]"
