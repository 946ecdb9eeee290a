"""The ``initial.md`` that ``prp init`` writes: a blueprint derived from the project's metadata and
a profile that runs the project's own checks, every value commented with where it came from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prp_tasks.core.catalog import REQUIREMENT_PLACEHOLDER
from prp_tasks.core.text import plural
from prp_tasks.intake.init.commandbase import (
    COVERAGE_XML,
    EXCLUDE_PROFILE,
    NO_PYLINT_STATE,
    PYTEST_CACHE,
    REPORTS,
    sdist_without_ci,
)
from prp_tasks.intake.init.commands import Plan, plan
from prp_tasks.intake.init.detect import detect, project_kind
from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.licences import classified_licences
from prp_tasks.intake.init.readme import described

DEFAULT_LICENSE = "(Apache-2.0 OR Commercial)"
NAMING = {"modules": "snake_case", "functions": "snake_case", "classes": "PascalCase"}


def initial_md(repo: Path) -> tuple[str, Facts, Plan]:
    """The text of ``initial.md`` for ``repo``, with what was detected and the command plan."""
    facts = detect(repo)
    commands = plan(facts)
    text = "\n\n".join([*_blueprint(facts, commands), _profile_block(facts, commands)]) + "\n"
    return text, facts, commands


def _title(facts: Facts) -> str:
    """``name: description``, or the description alone when it opens with the name (aiosignal's
    "aiosignal: a list of registered asynchronous callbacks" had read "aiosignal: aiosignal: …")."""
    name = facts.name or facts.repo.resolve().name
    if not facts.description:
        return name
    if re.match(rf"{re.escape(name)}\b", facts.description, re.I):
        return facts.description
    return f"{name}: {facts.description}"


def _blueprint(facts: Facts, commands: Plan) -> list[str]:
    sources = [s for s in (facts.metadata_file, facts.readme[0] if facts.readme else None) if s]
    where = " and ".join(sources) if sources else "the repository's name (no project metadata found)"
    about = (
        "## About this file\n\n"
        f"Written by `prp init` from {where}. The title, description and requirements below are "
        "DERIVED, not written by a person: edit them to state what this PRP is for. The profile "
        "block runs the project's own checks; each value's comment says whether it was detected "
        "(and where) or is a default."
    )
    description = described(_sentence(facts.description), facts.readme[1] if facts.readme else "")
    requirements = [f"{_requirement(c.name)} (`{_short(c.argv)}`)" for c in commands.commands]
    return [
        f"# {_title(facts)}",
        about,
        "## Description\n\n" + (description or f"The {facts.name or facts.repo.resolve().name} project."),
        "## Requirements\n\n" + "\n".join(f"- {r}" for r in requirements or [REQUIREMENT_PLACEHOLDER]),
    ]


_REQUIREMENTS = {
    "test": "The test suite passes",
    "lint": "The code is lint-clean",
    "format": "The code is formatted as the project's formatter wants it",
    "type-check": "The type check reports no errors",
}


def _requirement(name: str) -> str:
    return _REQUIREMENTS.get(name, f"The {name} check passes")


_MACHINE = ("--junit", "--output-", "--cov-report", "--cache-dir", "--tee", "--no-cache", "--no-fix")
#: options prp adds for its own sake: its profile left out of the format check, no pylint state
_PRP_ONLY = (EXCLUDE_PROFILE, NO_PYLINT_STATE)


def _short(argv: tuple[str, ...]) -> str:
    """The command as a person would type it: without the machine-output and cache options."""
    shown: list[str] = []
    for arg in argv:
        if shown and (shown[-1], arg) in (("-o", PYTEST_CACHE), ("--junit-xml", arg)):
            shown.pop()
        elif (not arg.startswith(_MACHINE) or arg == "--junit-xml") and arg not in _PRP_ONLY:
            shown.append(arg)
    return " ".join(shown)


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _line(indent: int, key: str, value: Any, comment: str = "") -> str:
    text = f"{'  ' * indent}{key}:" + (f" {_value(value)}" if value is not ... else "")
    return f"{text}  # {comment}" if comment else text


def _sentence(text: str) -> str:
    """The text ending as a sentence does (markdown-it-py's "done right!" keeps its "!"; pyperclip's
    "(Only handles plain text for now.)" its closing parenthesis, without a second full stop)."""
    text = text.strip()
    return text if not text or text.rstrip(")\"'”’").endswith((".", "!", "?")) else text + "."


def _profile_block(facts: Facts, commands: Plan) -> str:
    lines = ["## Enforcement profile", "", "```yaml"]
    lines += _project(facts) + _budgets(facts, commands) + _architecture(facts)
    lines += _governance(facts, commands) + _reports(commands) + _environment(commands)
    lines.append("```")
    return "\n".join(lines)


def _project(facts: Facts) -> list[str]:
    kind, why = project_kind(facts)
    languages = (
        ", ".join(f"{n} ({plural(c, 'file')})" for n, c in facts.languages.most_common(3)) or "none found"
    )
    browser = "browser budgets (LCP, TBT, accessibility) apply" if kind == "web-app" else "no browser budgets"
    return [
        _line(0, "project", ..., f"languages: {languages}"),
        _line(1, "kind", kind, f"detected: {why}; {browser}"),
    ]


def _budgets(facts: Facts, commands: Plan) -> list[str]:
    lines = [_line(0, "budgets", ...)]
    elsewhere = _threshold_elsewhere(facts) if commands.measures_coverage and facts.fail_under else ""
    if elsewhere and facts.fail_under:
        value, where = facts.fail_under
        note = (
            f"not enforced: the project's {value:g} ({where}) applies {elsewhere}. "
            "To enforce one here: coverage: {total: N}"
        )
        lines.append(_line(1, "coverage", None, note))
    elif commands.measures_coverage and facts.fail_under:
        value, where = facts.fail_under
        note = f"from {where} (coverage.py's total of lines and branches)"
        passing, digits = passing_total(value, facts.coverage_precision)
        if passing != value:  # parse's 95.625 against 96: coverage.py and pytest-cov exit 0, G4 failed
            rounded = plural(digits, "decimal") if digits else "a whole percent"
            note = (
                f"from {where}: {value:g}, which coverage.py checks on its total rounded to {rounded} "
                f"(its report precision): {passing:g} and above pass, as in the project's own run"
            )
        lines += [_line(1, "coverage", ...), _line(2, "total", passing, note)]
    elif commands.measures_coverage:
        lines.append(_line(1, "coverage", None, _no_threshold(facts)))
    else:
        lines.append(_line(1, "coverage", None, f"coverage {commands.coverage_note}"))
    lines.append("  # security: the defaults apply (checked only when reports.security names a report)")
    return lines


def passing_total(fail_under: float, precision: int) -> tuple[float, int]:
    """The lowest total coverage.py's ``fail_under`` check passes, and the decimals it rounds the
    total to: its report ``precision``, or more when the threshold has more (``96.25``); 100 must
    really be 100 (coverage.results.should_fail_under, which pytest-cov's exit status uses too)."""
    if fail_under >= 100:
        return 100.0, precision
    digits = max(precision, len(f"{fail_under:g}".partition(".")[2]))
    return round(fail_under - 0.5 * 10**-digits, digits + 1), digits


def _threshold_elsewhere(facts: Facts) -> str:
    """Where the project's threshold applies when it is to more than one run measures ('' when
    it is to that run): structlog's CI job combining every job's data; tqdm's ``--cov-append``;
    nowhere, when coverage.py is only configured while the project's automation runs other tools
    and no coverage (jsonschema-specifications: ``fail_under = 100`` in pyproject, its nox
    sessions run pytest alone, and G4 failed its 99% that nothing of the project holds to 100)."""
    if facts.never_run("coverage") and not facts.uses("pytest-cov"):
        return "to a coverage run the project never starts (its automation runs no coverage tool)"
    if facts.combined_fail_under:
        return (
            f"in {facts.combined_fail_under} to coverage combined from several test jobs (Pythons, "
            "extras); one environment measures less"
        )
    if facts.appended_fail_under:
        return (
            "with --cov-append to the data of an earlier run of other tests and this one together; "
            "the test command measures its own run alone"
        )
    return ""


def _no_threshold(facts: Facts) -> str:
    """Why coverage is measured and not enforced: no threshold, or only codecov's target."""
    if facts.codecov_target:
        value, where = facts.codecov_target
        return (
            f"not enforced: the project sets no coverage threshold (fail_under); {where} asks codecov "
            f"for {value}% of the reports CI uploads (every job together). To enforce it here: "
            f"coverage: {{total: {value}}}"
        )
    unseen = (  # tomli's sdist: its CI runs ``coverage report --fail-under=100``
        " in its configuration here, and its CI files are not in this checkout (a source distribution)"
        if sdist_without_ci(facts)
        else ""
    )
    return (
        f"not enforced: the project sets no coverage threshold (fail_under){unseen}; the test evidence "
        "shows the measured totals. To enforce one: coverage: {total: 90}"
    )


def _architecture(facts: Facts) -> list[str]:
    code = facts.packages or _compiled_code(facts)
    names = [Path(p).stem for p in code]
    layout = [*code, *([facts.tests_dir] if facts.tests_dir else [])]
    found = [f for f in ("pyproject.toml", "setup.cfg", "setup.py") if (facts.repo / f).is_file()]
    metadata = (facts.metadata_file or "").split(" ")[0].rstrip(",")  # the file holding the metadata
    layout += [metadata] if metadata in found else found[:1]
    said = "detected: " + ("the top-level packages" if facts.packages else _COMPILED_SAID)
    return [
        _line(0, "architecture", ...),
        _line(1, "boundaries", names, said if names else "none found"),
        _line(1, "naming", NAMING, "default: PEP 8 names"),
        _line(1, "layout", layout, "detected: G1 checks these paths exist"),
    ]


def _compiled_code(facts: Facts) -> list[str]:
    """The folder of a project without Python packages whose code is compiled, named as the project
    (ujson's ``src/ujson``, C sources only: "boundaries: []" had failed G1 on its pristine release;
    ciso8601's ``ciso8601/``, its package's stubs beside C sources at the top)."""
    name = re.sub(r"[-.]+", "_", facts.name.lower())
    for folder in (f"src/{name}", name) if name else ():
        path = facts.repo / folder
        if path.is_dir() and any(p.suffix in _COMPILED or p.name == "__init__.pyi" for p in path.iterdir()):
            return [folder]
    return []


_COMPILED_SAID = "the folder of its compiled package"
#: the sources of compiled extensions
_COMPILED = frozenset({".c", ".cc", ".cpp", ".cxx", ".h", ".pyx", ".rs"})


def _no_licence(facts: Facts) -> str:
    """Why no licence was derived: none found, or the classifiers name several (docutils: Public
    Domain, BSD License, GNU General Public License (GPL); its COPYING.rst lists which files)."""
    classifiers, where = facts.license_classifiers
    named = classified_licences(classifiers)
    if len(named) > 1:
        return f"{where} name several licences ({', '.join(named)}), no one expression"
    return "no license found"


def _governance(facts: Facts, commands: Plan) -> list[str]:
    formats = any(c.name == "format" for c in commands.commands)
    checks = ["test", "lint", "type-check", *(["format"] if formats else [])]
    lines = [_line(0, "governance", ...)]
    if facts.license:
        lines.append(_line(1, "license", facts.license[0], f"detected: {facts.license[1]}"))
    else:
        lines.append(_line(1, "license", DEFAULT_LICENSE, f"default: {_no_licence(facts)}; set yours"))
    lines += _owners(facts)
    missing = "; ".join(f"{k}: {v}" for k, v in commands.missing.items())
    note = "required checks (G1/G3 need test, lint and type-check)"
    note += f"; no command for {missing}" if missing else ""
    lines.append(_line(1, "checks", checks, note))
    if not commands.commands:
        lines.append(_line(1, "commands", {}, "none: no test, lint or type tool found; add yours"))
        return lines + ([f"  # {unrun_note(facts)}"] if facts.unrun else [])
    lines.append(_line(1, "commands", ..., f"G3 runs each; machine output goes to {REPORTS}/"))
    lines += [_line(2, c.name, list(c.argv), f"detected: {c.why}") for c in commands.commands]
    placed = [c for c in commands.commands if c.workdir]
    if placed:
        lines.append(_line(1, "workdirs", ..., "the folder a command runs in (default: the top)"))
        lines += [_line(2, c.name, c.workdir, "detected: where the project runs it") for c in placed]
    return lines + ([f"  # {unrun_note(facts)}"] if facts.unrun else [])


def unrun_note(facts: Facts) -> str:
    """What the project also runs or configures that no check runs here (isort, codespell …), and
    where."""
    named = "; ".join(f"{tool} ({', '.join(where)})" for tool, where in sorted(facts.unrun.items()))
    return (
        f"not run here: {named}: the project runs or configures these and no check runs them; a passing "
        "G3 says nothing of them (add a command under commands to enforce one)"
    )


#: derived owners written at most (an AUTHORS file can name dozens); the comment says how many
OWNERS_KEPT = 3


def _owners(facts: Facts) -> list[str]:
    if facts.codeowners:
        return [f"  # owners: none here, {facts.codeowners} names the code owners (detected)"]
    if facts.authors:
        where = facts.authors_file or facts.metadata_file
        count = len(facts.authors)
        some = f" (the first {OWNERS_KEPT} of {count})" if count > OWNERS_KEPT else ""
        note = f"derived from {where} maintainers/authors{some}: replace with real owners"
        return [_line(1, "owners", {"*": facts.authors[:OWNERS_KEPT]}, note)]
    return ["  # owners: none found (no CODEOWNERS, no authors): G3's codeowners-present fails until set"]


def _reports(commands: Plan) -> list[str]:
    if commands.measures_coverage:
        note = f"written by the test command; {commands.coverage_note}"
        return [_line(0, "reports", ...), _line(1, "coverage", [COVERAGE_XML], note)]
    return [_line(0, "reports", ...), _line(1, "coverage", [], "none: coverage is not enforced")]


def _environment(commands: Plan) -> list[str]:
    """The tools the commands run, added to an environment built from the project's declarations
    (a repository ``.venv`` is used as it is); the type check's own when it needs more."""
    named = (commands.extras, commands.groups, commands.requirements, commands.no_requirements)
    shared = commands.packages or commands.variables or commands.prepare or any(named)
    typed = (commands.type_extras, commands.type_groups, commands.type_requirements)
    own = commands.type_packages or typed != named[:3]
    lines = []
    if shared:
        about = "checks run in the project's environment (docs/environments.md)"
        lines += [_line(0, "environment", ..., about), *_environment_body(commands, 1)]
    if own:
        why = "the same, with what the type check needs and the tests run without"
        lines += [_line(0, "environments", ..., "a command's own environment, instead of environment")]
        lines += [_line(1, "type-check", ..., why), *_environment_body(commands, 2, typed=True)]
    return lines


def _environment_body(commands: Plan, indent: int, typed: bool = False) -> list[str]:
    items = "  " * (indent + 1)
    lines = []
    packages = commands.packages + (commands.type_packages if typed else ())
    for key, chosen in (
        ("extras", commands.type_extras if typed else commands.extras),
        ("groups", commands.type_groups if typed else commands.groups),
        ("requirements", commands.type_requirements if typed else commands.requirements),
    ):
        if chosen:
            lines.append(_line(indent, key, ..., f"the project's {key} to install"))
            lines += [f"{items}- {_value(name)}  # {why}" for name, why in chosen]
    if commands.no_requirements:
        lines.append(_line(indent, "requirements", [], commands.no_requirements))
    if commands.prepare:
        lines.append(_line(indent, "prepare", ..., "run once in the run's workspace before the checks"))
        lines += [f"{items}- {_value(list(argv))}  # {why}" for argv, why in commands.prepare]
    if commands.variables:
        lines.append(_line(indent, "variables", ..., "set for the checks' commands"))
        lines += [f"{items}{name}: {_value(value)}  # {why}" for name, value, why in commands.variables]
    if packages:
        lines.append(
            _line(indent, "packages", ..., "the tools the commands run, installed after the project's own")
        )
        lines += [f"{items}- {_value(req)}  # {why}" for req, why in packages]
    return lines
