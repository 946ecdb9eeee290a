"""The type-check command ``prp init`` writes (mypy, asked for its JUnit XML under
``.prp/reports/``), what it checks, and why there is none when there is none."""

from __future__ import annotations

import re

from prp_tasks.intake.init.commandbase import REPORTS, Command, linted_apart, scope_said
from prp_tasks.intake.init.commandbase import where as _where
from prp_tasks.intake.init.facts import OTHER_TYPE_CHECKERS, Facts


def _checked_otherwise(facts: Facts) -> bool:
    """The project type-checks with another tool and nothing runs mypy (pathvalidate: mypy only
    among the deps of its lint env, which runs pyright; 0 errors there, 1 from mypy)."""
    others = any(facts.run_places(tool) for tool in OTHER_TYPE_CHECKERS)
    return others and facts.never_run("mypy") and not facts.runs_in_tests("pytest-mypy")


def _nothing_to_type_check(facts: Facts) -> bool:
    """mypy with no target: no files its config lists, no command of the project's naming them,
    no Python package (ujson's C sources: ``mypy`` alone stopped on "Missing target module")."""
    return not (facts.mypy_files or facts.mypy_targets or facts.packages)


def no_type_check(facts: Facts) -> str:
    """Why there is no type-check command: none configured, one prp init does not set up, or no
    Python code for the mypy the project names to check."""
    if facts.uses("mypy") and _nothing_to_type_check(facts):
        return (
            f"mypy ({_where(facts, 'mypy')}) has no Python package or module of the project to check "
            "(no mypy config or command of the project names files): add its command as "
            "governance.commands.type-check"
        )
    other = [t for t in OTHER_TYPE_CHECKERS if facts.uses(t)]
    if other:
        return (
            f"the project type-checks with {other[0]} ({_where(facts, other[0])}), which prp init does "
            "not set up (mypy only): add its command as governance.commands.type-check"
        )
    return "no type checker (mypy) configured"


def _listed(facts: Facts) -> tuple[list[str], list[str], list[str]]:
    """(what to name on mypy's command line, what that checks in the config's words, the entries
    this checkout lacks) of the files mypy's config lists: a glob is expanded here (mypy expands
    its config's, not its arguments: pybtex's ``pybtex/**/*.py`` had been given as a file, "Cannot
    read file"), to its folder when it names every Python file below one; a glob that matches
    nothing is lacking, but one in a folder named as a package is that package's folder
    (pybtex's code moved to ``src/pybtex``)."""
    argv: list[str] = []
    shown: list[str] = []
    gone: list[str] = []
    for entry in facts.mypy_listed:
        found = _expanded(facts, entry)
        moved = [pkg for pkg in facts.packages if pkg.split("/")[-1] == entry.split("/")[0]]
        if found:
            argv += found
            shown.append(entry)
        elif moved and moved[0] != entry.split("/")[0]:
            argv.append(moved[0])
            shown.append(f"{entry} as {moved[0]} (the package's folder here)")
        else:
            gone.append(entry)
    return list(dict.fromkeys(argv)), shown, gone


def _packages_gone(facts: Facts) -> list[str]:
    """The packages mypy's config lists that are in neither the checkout's top nor its ``src/``
    (aiostream's sdist: ``packages = ["aiostream", "examples"]``, no ``examples/``: mypy stopped on
    "Can't find package 'examples'", its type check failing on nothing of its code)."""
    gone = []
    for name in facts.mypy_packages:
        path = name.replace(".", "/")
        places = [facts.repo / top / f"{path}{ext}" for top in ("", "src") for ext in ("", ".py")]
        if not any(place.exists() for place in places):
            gone.append(name)
    return gone


def _expanded(facts: Facts, entry: str) -> list[str]:
    """``entry`` of mypy's config files as arguments naming what it names in the checkout: a path
    as it is, a glob as its folder (``pkg/**/*.py``) or its files; [] when nothing is there."""
    if not any(c in entry for c in "*?[") or entry.startswith("/") or ".." in entry.split("/"):
        return [entry] if (facts.repo / entry).exists() else []
    folder = entry.removesuffix("**/*.py").rstrip("/") or "."  # (``**/*.py``: all of it)
    if folder != entry and not any(c in folder for c in "*?[") and (facts.repo / folder).is_dir():
        return [folder]
    return sorted(str(p.relative_to(facts.repo)) for p in facts.repo.glob(entry) if p.is_file())


def _mypy_targets_source(facts: Facts) -> str:
    """Where mypy's targets come from when its config lists no files: the project's own mypy
    commands, else its packages, because its config names none, or because it has no config
    (idna: a mypy only declared; "mypy's config names no files" spoke of a config it lacks)."""
    if facts.mypy_targets:
        return "as the project runs it"
    if any(place in facts.config_places for place in facts.tools.get("mypy", [])):
        return "the package (mypy's config names no files)"
    return "the package (no mypy config or command of the project names files)"


def type_check(facts: Facts) -> Command | None:
    if not facts.uses("mypy") or _checked_otherwise(facts) or _nothing_to_type_check(facts):
        return None
    argv = ["python", "-m", "mypy", "--cache-dir=.prp/cache/mypy", "--junit-xml", f"{REPORTS}/mypy.xml"]
    argv += facts.lint_options.get("mypy", [])  # the project's own: wcwidth's --strict
    why = f"mypy: {_where(facts, 'mypy')}" + scope_said(["."], facts.lint_options.get("mypy", []), own=True)
    if not facts.mypy_files or facts.mypy_targets:  # the project's own command over its config's files
        targets = facts.mypy_targets or facts.packages
        if facts.mypy_targets and (left_out := facts.hook_excludes.get("mypy")):  # its hook's exclude
            argv.append(f"--exclude=^({'|'.join(re.escape(f) for f in left_out)})/")
        argv += targets
        why += f"; checks {', '.join(targets)}: {_mypy_targets_source(facts)}"
    elif gone := _packages_gone(facts):  # aiostream's sdist: no examples/
        here = [p for p in facts.mypy_packages if p not in gone]
        argv += [x for p in here for x in ("-p", p)] if here else facts.packages
        why += f"; checks {', '.join(here or facts.packages)}: its config's packages less {', '.join(gone)}, "
        why += "which this checkout lacks (mypy would stop there, checking nothing)"
    elif (listed := _listed(facts))[2] or listed[1] != facts.mypy_listed:  # colorlog: no doc/
        argv += listed[0] or facts.packages
        why += f"; checks {', '.join(listed[1] or facts.packages)}: its config's files" + (
            f" less {', '.join(listed[2])}, which this checkout lacks (mypy would stop there, checking "
            "nothing)"
            if listed[2]
            else ", its globs expanded (mypy expands them in its config, not as its arguments)"
        )
    if facts.mypy_install_types:  # freezegun: 6 of its 9 errors were stubs mypy would have installed
        why += (
            f"; {facts.mypy_install_types} runs it with --install-types, which installs the stub packages "
            "it finds missing: here they must be in the environment (the check's evidence names them)"
        )
    if facts.never_run("mypy") and not facts.runs_in_tests("pytest-mypy"):  # cattrs: run by nothing
        why += "; none of the project's CI steps, hooks, envs or tasks seen runs mypy: required here anyway"
        off = facts.plugins_off.get("pytest-mypy") if "pytest-mypy" in facts.declared_names else None
        why += f" (its pytest-mypy is turned off by {off})" if off else ""
    return Command("type-check", tuple(argv), why + linted_apart(facts, "mypy") + _other_type_checkers(facts))


def _other_type_checkers(facts: Facts) -> str:
    """The other type checkers the project runs (exceptiongroup's typing env: pyright
    --verifytypes too; attrs' typing-ty env), or only configures (werkzeug's sdist: its
    ``[tool.pyright]``, run by nothing it ships), that no check runs."""
    said = ""
    for verb, places in (("runs", facts.run_places), ("configures", facts.config_places_of)):
        others = [f"{o} ({', '.join(p[:2])})" for o in OTHER_TYPE_CHECKERS if (p := places(o))]
        if others:
            named = ", ".join(others[:-1]) + f" and {others[-1]}" if len(others) > 1 else others[0]
            said += f"; the project also {verb} {named}, which prp init does not set up"
    return said
