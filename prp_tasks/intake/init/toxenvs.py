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
_MAJOR, _MINOR = sys.version_info[:2]
#: the factor of the Python the checks run on (the one prp-tasks runs on, which builds their
#: environment): ``py311``
THIS_PYTHON = f"py{_MAJOR}{_MINOR}"
#: every spelling tox 4 gives that Python in an env name (tqdm's ``3.11``, ``py3.11``)
THIS_PYTHONS = frozenset(
    f"{prefix}{_MAJOR}{dot}{_MINOR}" for prefix in ("py", "cpython", "") for dot in ("", ".") if prefix or dot
)
#: a factor naming a Python: ``py311``, ``py3``, ``pypy310``, ``py3.11``, ``3.11``, ``3.14t``
_PYTHON = re.compile(r"(?:py|pypy|cpython)\d*(?:\.\d+)?t?|\d\.\d+t?")


def names_python(factor: str) -> bool:
    """Whether an env name's factor names a Python (this one or another)."""
    return bool(_PYTHON.fullmatch(factor))


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
    ``noextras`` skipped 40) that does not pin the lowest versions (:func:`pins_lowest`);
    ``setting(key, env)`` is a setting's lines for an env."""
    running = [e for e in names if runs.search(setting("commands", e))]
    mine = [e for e in running if THIS_PYTHONS & set(e.split("-"))]
    mine = mine or [e for e in running if not any(map(names_python, e.split("-")))]
    if not mine:
        return None
    deps = {e: len([x for x in setting("deps", e).splitlines() if x.strip()]) for e in mine}
    return max(mine, key=lambda e: (not pins_lowest(e), deps[e], _versions(e)))


def _versions(env: str) -> tuple[int, ...]:
    """The numbers of an env's factors that name no Python: of alike envs the newest of a
    dependency's versions (django-environ's ``py311-django52``, not ``py311-django22``, which
    Python 3.11 is too new for; deprecated's ``py311-wrapt2.0``)."""
    return tuple(int(n) for f in env.split("-") if not names_python(f) for n in re.findall(r"\d+", f))


def pins_lowest(env: str) -> bool:
    """Whether the env is a variant testing the lowest versions supported (environs'
    ``py311-marshmallowlowest``: ``marshmallow==4.0.0``), not the versions a user installs."""
    return any(f == "min" or re.search(r"lowest|oldest|minimum|minimal|mindeps", f) for f in env.split("-"))


def ci_envs(mapping: str) -> list[str]:
    """The envs a tox-gh ``[gh] python`` (``3.13 = 3.13-tf,3.13-tf-keras``) or tox-gh-actions
    ``[gh-actions] python`` (``3.11: py311, mypy``) mapping runs on this Python in CI: tqdm's
    ``3.11 = 3.11``, not its ``tf``/``keras`` variants (tensorflow), which CI runs on 3.13 only."""
    for line in mapping.splitlines():
        key, sep, envs = line.partition("=") if "=" in line else line.partition(":")
        if sep and key.strip() == f"{_MAJOR}.{_MINOR}":
            return listed_envs(envs)
    return []


def ci_factor_envs(factors: list[str], envlist: list[str]) -> list[str]:
    """The envlist's envs that tox-gh-actions runs for the mapping's entries: those having every
    factor of one (django-environ's ``3.11: py311`` runs ``py311-django22`` … ``py311-django52``:
    read as an env ``py311`` of its own, its tests ran without Django), else the entry itself."""
    found: list[str] = []
    for entry in factors:
        wanted = set(entry.split("-"))
        found += [e for e in envlist if wanted <= set(e.split("-"))] or [entry]
    return list(dict.fromkeys(found))
