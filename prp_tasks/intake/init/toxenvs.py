"""tox's factors: the env names an ``envlist`` gives and the lines of a setting each env gets.

A ``[testenv]`` shared by several envs says what each installs and runs through factor
conditions (Automat's ``extras: Twisted>=16.2.0`` and ``mypy: graphviz>=0.4.9``, incremental's
``tests: -rrequirements_tests.txt``): the env that runs the tests (or mypy) is picked from the
envlist (:func:`env_for`), and its lines are those plain and those its factors satisfy
(:func:`for_env`)."""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable

#: a line behind a factor condition: ``py38: …``, ``!py27: …``, munch's ``{py27,py35,pypy}-full: …``
FACTOR = re.compile(r"^\s*[\w{},!.-]+:\s")
#: the factor of the Python the checks run on (the one prp-tasks runs on, which builds their
#: environment): ``py311``
THIS_PYTHON = f"py{sys.version_info.major}{sys.version_info.minor}"
_PYTHON = re.compile(r"py\d*t?|pypy\d*")


def expanded(item: str) -> list[str]:
    """The env names of an envlist item: ``py{38,39}-django{4,5}`` -> ``py38-django4`` …"""
    parts = re.split(r"(\{[^{}]*\})", item)
    choices = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
    return ["".join(c.strip() for c in combination) for combination in itertools.product(*choices)]


def listed_envs(envlist: str) -> list[str]:
    """The env names of an ``envlist``, in order, each once."""
    items = re.split(r"[,\s]+(?![^{]*\})", envlist)  # not inside {…}
    return list(dict.fromkeys(name for item in items if item.strip() for name in expanded(item.strip())))


def factor_lines(value: str) -> list[tuple[str, list[list[str]], str]]:
    """(condition, its alternatives as lists of factors, the rest) of each line of a tox setting
    behind a factor condition: ``{py27,py35}-full: yaml`` -> [[py27, full], [py35, full]]."""
    found = []
    for line in value.splitlines():
        if FACTOR.match(line):
            condition, rest = (part.strip() for part in line.split(":", 1))
            alternatives = [a.split("-") for e in expanded(condition) for a in e.split(",") if a]
            found.append((condition, alternatives, rest))
    return found


def for_env(value: str, env: str) -> str:
    """The lines of a tox setting the env ``env`` gets: those behind no condition, and those behind
    one its factors satisfy (``mypy: graphviz`` for ``py311-mypy``), without the condition."""
    factors = set(env.split("-"))
    out = []
    for line in value.splitlines():
        if not FACTOR.match(line):
            out.append(line)
            continue
        condition, rest = (part.strip() for part in line.split(":", 1))
        alternatives = [a.split("-") for e in expanded(condition) for a in e.split(",") if a]
        if any(all(_satisfied(f, factors) for f in alt if f) for alt in alternatives):
            out.append(rest)
    return "\n".join(out)


def _satisfied(factor: str, factors: set[str]) -> bool:
    return factor[1:] not in factors if factor.startswith("!") else factor in factors


def env_for(names: list[str], setting: Callable[[str, str], str], runs: re.Pattern[str]) -> str | None:
    """Of the env ``names`` (those of one section), the one whose commands run ``runs``: this
    Python's (``py311-mypy`` of Automat's ``{pypy3,py38,…,py312}-mypy``) or one naming no Python,
    then the one installing the most (its ``extras`` variant: 76 tests passed and 7 skipped, where
    ``noextras`` skipped 40); ``setting(key, env)`` is a setting's lines for an env."""
    running = [e for e in names if runs.search(setting("commands", e))]
    mine = [e for e in running if THIS_PYTHON in e.split("-")]
    mine = mine or [e for e in running if not any(_PYTHON.fullmatch(f) for f in e.split("-"))]
    if not mine:
        return None
    return max(mine, key=lambda e: len([line for line in setting("deps", e).splitlines() if line.strip()]))
