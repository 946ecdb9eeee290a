"""Where the project itself has what a check's environment lacked: an extra or a dependency group
not installed that declares it (oauthlib's ``jwt``: its ``signedtoken`` extra; griffe's
mkdocstrings: its ``docs`` group), or a test helper of its own a source distribution leaves out
(mmh3's ``tests/helper.py``, which its tests import as ``helper``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prp_tasks.environments.extra_requirements import extra_requirements, group_requirements, provided_by


def in_extras(
    names: list[str], environment: Mapping[str, Any], repo: Path | None
) -> dict[str, tuple[str, str]]:
    """module -> (extra, distribution) for the modules an extra not installed declares."""
    if repo is None:
        return {}
    build = environment.get("build")
    sources = " ".join(str(s) for s in build.get("sources") or []) if isinstance(build, Mapping) else ""
    installed = set(re.findall(r"[\w.-]+", sources.split("extras:", 1)[1])) if "extras:" in sources else set()
    extras = extra_requirements(repo)  # the project's files, read once for every module
    found = {n: provided_by(n, extras) for n in names}
    return {n: f for n, f in found.items() if f is not None and f[0] not in installed}


def in_groups(
    names: list[str], environment: Mapping[str, Any], repo: Path | None
) -> dict[str, tuple[str, str]]:
    """module -> (group, distribution) for the modules a dependency group not installed declares."""
    build = environment.get("build")
    if repo is None or not names or not isinstance(build, Mapping):
        return {}
    sources = " ".join(str(s) for s in build.get("sources") or [])
    installed = (
        set(re.findall(r"[\w.-]+", sources.split("dependency groups:", 1)[1]))
        if "dependency groups:" in sources
        else set()
    )
    groups = group_requirements(repo)
    found = {n: provided_by(n, groups) for n in names}
    return {n: f for n, f in found.items() if f is not None and f[0] not in installed}


def extras_advice(extras: dict[str, tuple[str, str]], kind: str = "extras", key: str = "extras") -> str:
    by_extra: dict[str, list[str]] = {}
    for module, (extra, dist) in extras.items():
        by_extra.setdefault(extra, []).append(f"{dist} ({module!r})")
    named = "; ".join(f"its {kind[:-1]} {e!r} declares {', '.join(d)}" for e, d in by_extra.items())
    wanted = ", ".join(repr(e) for e in by_extra)
    return (
        f"the checks' environment lacks what the project's {kind} declare: {named}: add "
        f"{wanted} under environment.{key} in initial.md"
    )


#: a name a test suite gives a module of its own (mmh3's ``helper``, ``testutils``, ``fixtures``,
#: ``common``); not a package's: flasgger's sdist tests ``from flex.core import validate``, flex
#: the PyPI package its requirements-dev.txt (left out) names, had been said to be such a module
_HELPER_NAME = re.compile(r"^(?!pytest)\w*(?:help|util|common|support|fixture|conftest|fake|shared)", re.I)


def lost_test_helpers(names: list[str], repo: Path | None) -> dict[str, str]:
    """module -> the test module importing it, for the modules a source distribution's tests import
    as one of their own (``from helper import …`` beside them) that the checkout does not have."""
    names = [n for n in names if _HELPER_NAME.search(n)]
    if repo is None or not names or not (repo / "PKG-INFO").is_file():
        return {}
    found: dict[str, str] = {}
    tests = [p for d in ("tests", "test", "testing") for p in sorted((repo / d).glob("**/*.py"))][:200]
    for path in tests:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for name in names:
            here = any((path.parent / f"{name}{ext}").exists() for ext in (".py", ""))
            if (
                not here
                and name not in found
                and re.search(rf"^\s*(?:from|import)\s+{re.escape(name)}\b", text, re.M)
            ):
                found[name] = str(path.relative_to(repo))
    return found


def installed_versions(environment: Mapping[str, Any]) -> dict[str, str]:
    """name -> version of what the check's built environment installed (``name==version``)."""
    build = environment.get("build")
    listed = build.get("installed") if isinstance(build, Mapping) else None
    pairs = (str(entry).partition("==") for entry in listed or ())
    return {name.strip().lower(): version.strip() for name, sep, version in pairs if sep}


def major_of(version: str) -> str:
    """The release before which to pin: ``1`` for 1.5.0, ``0.24`` for 0.24.0 (0.x: its minor)."""
    parts = version.split(".")
    return parts[0] if parts[0] != "0" or len(parts) < 2 else f"0.{parts[1]}"


def install_step(packages: list[str], environment: Mapping[str, Any]) -> str:
    """How to get ``packages`` into the environment the check ran in: initial.md's
    environment.packages for one prp-tasks built, else the project's .venv or the Python it used."""
    named = ", ".join(packages)
    if "build" in environment:
        return f"add {named} under environment.packages in initial.md"
    where = "the project's .venv" if environment.get("kind") == "venv" else "the Python the check ran with"
    return f"install {named} in {where}"
