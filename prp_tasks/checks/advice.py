"""What a failed command's user can do about it, said where they read first.

**Modules it could not import.** A project's tests can import what nothing it declares installs
(a test module's ``import hypothesis`` that only the project's CI installs). The check's
environment is built from the declarations, so the tests fail at collection with
``ModuleNotFoundError: No module named 'hypothesis'``, deep in the output. Those names are found
in the output's tails, without the project's own modules and the standard library's (neither is
a package to add), and the user is told what to do: for an environment prp-tasks builds, add the
package under ``environment.packages`` in initial.md; for the project's ``.venv`` or the system
Python, install it there.

**A tool whose version nobody pinned.** ``environment.packages: ["ruff"]`` installs whatever
release the index has today; with ``select = ["ALL"]`` a release newer than the project's code
finds rules it never met (filelock 3.18.0: 69 findings from ruff 0.17, none from the 0.9.10 its
pre-commit configuration pins, which its sdist leaves out). A failed lint or type check says which
release ran unpinned, and how to pin the project's.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prp_tasks.checks.crashes import LINE_LIMIT, REFUSED
from prp_tasks.checks.declared import (
    extras_advice,
    in_extras,
    in_groups,
    install_step,
    installed_versions,
    lost_test_helpers,
)
from prp_tasks.checks.plugin_advice import codspeed_instead, fixture_plugins, plugin_advice
from prp_tasks.checks.services import services_advice, unreachable
from prp_tasks.core.text import clip, first_lines
from prp_tasks.environments.owncopy import has_module

#: Python 3's message, and Python 2's (``ImportError: No module named foo``) still printed by
#: some tools that quote it; pytest's for a warning filter's module (httpx's ``filterwarnings``
#: names ``trio.TrioDeprecationWarning``: "the tool crashed: pytest.PytestConfigWarning: Failed to
#: import filter module 'trio'", and no word of a missing module)
_MISSING = re.compile(r"(?:No module named|Failed to import filter module) '?([A-Za-z_][\w.]*)'?")
#: names listed at most (a broken environment can miss dozens)
SHOWN = 3


def explained(repo: Path, output: str, details: dict[str, Any], environment: Mapping[str, Any]) -> str:
    """A failed command's summary with what to do: the missing modules' names on the facts line
    (else the line after the head) and the advice after it; the unpinned tool after the facts."""
    lines = output.split("\n")
    found = details.get("facts")
    facts: dict[str, Any] = found if isinstance(found, dict) else {}
    at = 2 if facts and len(lines) > 1 else 1
    # the first failure's cause first: the tails may have lost it (pathvalidate's 'click')
    causes = [str(f["cause"]) for f in facts.values() if isinstance(f, dict) and f.get("cause")]
    tails = "\n".join([*causes, *(str(details.get(k) or "") for k in ("stdout_tail", "stderr_tail"))])
    names = missing_modules(repo, tails)
    if unbuilt := own_copy_advice(repo, tails, environment):
        lines.insert(at, unbuilt)
    if names:
        details["missing_modules"] = names
        if at == 2:  # the facts line and what is missing, within a line's limit
            added = said(names)
            lines[1] = f"{_clipped_before_coverage(lines[1], max(LINE_LIMIT - len(added) - 2, 80))}; {added}"
        lines.insert(at, advice(names, environment, repo))
    if _NO_TESTPATHS in tails:
        lines.insert(at, NO_TESTPATHS_ADVICE)
    if refused := unreachable(tails):  # (mongoengine: killed at its limit, each test waiting on it)
        lines.insert(at, services_advice(refused))
    if plugins := fixture_plugins(tails):
        lines.insert(at, plugin_advice(codspeed_instead(plugins, repo), environment, repo))
    if stubs := stub_packages(tails, facts.get("mypy")):
        lines.insert(at, stub_advice(stubs, environment))
    if unfound := unfound_modules(repo, tails, facts.get("mypy")):
        lines.insert(at, unfound_advice(unfound, environment))
    if "DeprecationWarning: " in first_lines(output, 3) and (newer := unpinned_pytest(environment)):
        lines.insert(min(2, len(lines)), deprecation_advice(newer))
    _unpinned(lines, at, facts, environment, tails)
    return "\n".join(lines)


def _unpinned(
    lines: list[str], at: int, facts: dict[str, Any], environment: Mapping[str, Any], tails: str
) -> None:
    """What a tool that ran unpinned has to do with the failure, inserted into ``lines``."""
    loose = environment.get("unpinned")
    if not isinstance(loose, str) or not loose:
        return
    bounds = str(environment.get("unpinned_bounds") or "")
    if loose.startswith("pytest ") and "PluginValidationError" in tails:
        lines.insert(min(2, len(lines)), newer_pytest_advice(loose, tails))  # after what crashed
    if not facts and any(line.startswith(REFUSED) for line in lines[:3]):  # defusedxml's py27, black 26
        lines.insert(min(2, len(lines)), unpinned_advice(loose, bounds))
    if set(facts) & CHECKERS and not _only_missing(facts.get("mypy"), tails):
        lines.insert(at, unpinned_advice(loose, bounds, _not_python(facts.get("ruff-format"))))


#: where a facts line says its coverage, the part kept whole when the line is cut
_COVERAGE_PART = "; coverage: "


def _clipped_before_coverage(line: str, limit: int) -> str:
    """``line`` cut to ``limit``, what comes before its coverage cut first (passlib: "coverage:
    lines …; missing module: pkg_resources", the figure cut to make room for the module's name)."""
    head, mark, coverage = line.rpartition(_COVERAGE_PART)
    if not mark or len(line) <= limit or len(mark + coverage) > limit // 2:
        return clip(line, limit)
    return clip(head, limit - len(mark + coverage)) + mark + coverage


#: pytest's warning when no folder of its ``testpaths`` exists, raised where warnings are errors
#: (loguru's sdist: no tests/, ``filterwarnings = error``: "the tool crashed: …", read as pytest's
#: fault where its tests are not in the checkout)
_NO_TESTPATHS = "PytestConfigWarning: No files were found in testpaths"
NO_TESTPATHS_ADVICE = (
    "no test found: none of the folders pytest's testpaths names is in this checkout (a source "
    "distribution without its tests?); the project's warnings-as-errors setting made pytest's "
    "warning about it this error"
)


#: mypy's words for a module installed without its types, and its hint of the package that has them
_NO_STUBS = re.compile(r'Library stubs not installed for "([\w.]+)"')
_STUB_HINT = re.compile(r"pip install (types-[\w.-]+)")


def stub_packages(tails: str, mypy: Any) -> list[str]:
    """The stub packages mypy asks for (schedule: 'Library stubs not installed for "pytz"', its
    hint ``python3 -m pip install types-pytz``), else ``types-MODULE`` for each module it names."""
    first = "\n".join(mypy.get("first", [])) if isinstance(mypy, dict) else ""
    text = f"{first}\n{tails}"
    hinted = _STUB_HINT.findall(text)
    named = [f"types-{m.split('.')[0]}" for m in _NO_STUBS.findall(text)]
    return list(dict.fromkeys(hinted or named))


def _only_missing(mypy: Any, tails: str) -> bool:
    """Every error mypy reported is a missing stub package or module (no newer release would
    change that): those it named, and every error line of the output's tails when it named fewer."""
    first = mypy.get("first", []) if isinstance(mypy, dict) else []
    if not first or not all(_MYPY_MISSING.search(f) for f in first):
        return False
    errors = [line for line in tails.splitlines() if ": error: " in line]
    return len(first) >= mypy.get("errors", 0) or (
        bool(errors) and all(_MYPY_MISSING.search(e) for e in errors)
    )


#: mypy's words for a module it finds neither installed nor in the checkout
_NOT_FOUND = re.compile(r'Cannot find implementation or library stub for module named "([\w.]+)"')
_MYPY_MISSING = re.compile(f"{_NO_STUBS.pattern}|{_NOT_FOUND.pattern}")


def unfound_modules(repo: Path, tails: str, mypy: Any) -> list[str]:
    """The top-level modules mypy found nowhere (cmd2's IPython imports: ``traitlets``), but the
    project's own (a package or module of the checkout is no package to install)."""
    first = "\n".join(mypy.get("first", [])) if isinstance(mypy, dict) else ""
    found = dict.fromkeys(m.split(".")[0] for m in _NOT_FOUND.findall(f"{first}\n{tails}"))
    return [m for m in found if not any(has_module(repo / d, m) for d in (".", "src"))]


def unfound_advice(modules: list[str], environment: Mapping[str, Any]) -> str:
    """Where to add what provides the modules mypy found nowhere (not a newer mypy's doing)."""
    named = ", ".join(modules)
    return f"mypy finds no installed {named}, which the code it checks imports: " + install_step(
        [f"what provides {named}"], environment
    )


def stub_advice(packages: list[str], environment: Mapping[str, Any]) -> str:
    """Where to add the stub packages mypy asked for."""
    return f"mypy has no type stubs for what it names: {install_step(packages, environment)}"


#: tools whose findings change with their release (new rules, stricter inference)
CHECKERS = frozenset({"ruff", "flake8", "pylint", "pycodestyle", "pep8", "mypy", "black", "ruff-format"})


def unpinned_advice(tool: str, bounds: str = "", formatted: list[str] | None = None) -> str:
    """``ruff 0.17.6`` ran unpinned (or with lower ``bounds`` only, ``>=0.6.3``): what that means
    and how to pin the project's release; ``formatted``: the files not Python its format check
    named (vulture's README.md, which ruff formats since 0.16)."""
    name = tool.split(" ")[0]
    named = f"{name}{bounds}, with no upper bound" if bounds else f"{name} without a version"
    # marshmallow-dataclass: its mypy errors came from marshmallow 4 (unbounded), not from mypy 2.4
    also = " (or of a dependency the project does not bound)" if name == "mypy" else ""
    what = "report rules it never met"
    if formatted:
        what = f"format files it never did (ruff formats Markdown since 0.16: {', '.join(formatted)})"
    return (
        f"unpinned: environment.packages names {named}, so {tool} ran; a release{also} "
        f"newer than the project's code can {what}: pin a release the project's "
        f'code was written for ("{name}==…")'
    )


def unpinned_pytest(environment: Mapping[str, Any]) -> list[str]:
    """``pytest-asyncio 1.5.0``, … : pytest and its plugins the environment installed for names
    environment.packages gives without a version (its build's ``sources`` and ``installed``)."""
    build = environment.get("build")
    if not isinstance(build, Mapping):
        return []
    sources = [str(s) for s in build.get("sources") or [] if str(s).startswith("packages: ")]
    named = {n.strip() for s in sources for n in s.removeprefix("packages: ").split(",")}
    versions = installed_versions(environment)
    return [f"{n} {versions[n]}" for n in sorted(named) if n.startswith("pytest") and n in versions]


def deprecation_advice(newer: list[str]) -> str:
    """A deprecation warning that stopped pytest, the project's ``filterwarnings`` making it an
    error, while plugins ran at versions nothing pinned (async-lru: pytest-asyncio 1.5.0, added for
    the ``asyncio_mode`` its configuration sets, warns of an option 1.2 did not ask for)."""
    return (
        f"a deprecation warning stopped pytest (the project makes warnings errors); unpinned here: "
        f"{', '.join(newer)}: a release newer than the project's code? pin the one it was written for "
        "under environment.packages"
    )


def newer_pytest_advice(ran: str, tails: str = "") -> str:
    """An unpinned pytest (``pytest 9.2.0``) that refused a hook of the project's conftest: a
    release newer than its code (docopt-ng's ``pytest_collect_file(file_path, path, parent)``; pytest 9
    no longer passes ``path``: "the tool crashed" where its 614 tests pass on pytest 8); or of an
    installed plugin (base58's ``tests`` extra brings pytest-flake8 1.3.0, ``Plugin 'flake8'``: the
    advice had sent its user to look for a hook of their own)."""
    major = re.match(r"pytest (\d+)\.", ran)
    pin = f'"pytest<{major[1]}"' if major else '"pytest==…"'
    plugin = _REFUSED_PLUGIN.search(tails)
    whose = "of the project's: a release newer than its code"
    if plugin and not plugin[1].endswith(("conftest.py", ".py")):
        whose = f"of the installed pytest plugin '{plugin[1]}': a release newer than that plugin's"
    return (
        f"unpinned: {ran} ran (environment.packages names pytest without a version) and refused a hook "
        f"{whose}; pin the one it was written for ({pin})"
    )


#: the plugin whose hook pluggy refused (a conftest's path, or an installed plugin's name)
_REFUSED_PLUGIN = re.compile(r"PluginValidationError: Plugin '([^']+)' for hook")


def _not_python(found: Any) -> list[str]:
    """The Markdown files a format check named (none: not a format check's facts)."""
    first = found.get("first") if isinstance(found, dict) else None
    return [f for f in first if str(f).endswith((".md", ".markdown"))] if isinstance(first, list) else []


def missing_modules(repo: Path, output: str) -> list[str]:
    """The modules ``output`` says could not be found, in order, without the project's own and
    the standard library's."""
    found: list[str] = []
    for name in _not_found(output):
        top = name.split(".")[0]
        if name in found or top in sys.stdlib_module_names or top.startswith("_") or _own(repo, top):
            continue
        found.append(name)
    return found


def _not_found(output: str) -> list[str]:
    """The modules ``output`` says could not be imported, but those of a skip's reason: a test the
    project skips without them (``pytest.importorskip``: "could not import 'hypothesis'", multidict's
    tests that run apart) is no failure of a missing package."""
    lines = (line for line in output.splitlines() if not _SKIP_REASON.search(line))
    return [name for line in lines for name in _MISSING.findall(line)]


#: pytest's skip summary line, or importorskip's reason
_SKIP_REASON = re.compile(r"^SKIPPED \[|could not import '")


def own_copy_advice(repo: Path, output: str, environment: Mapping[str, Any]) -> str:
    """Why a module of the project's own could not be imported, when the environment could not
    build the project (cbor2: its Rust extension, whose crates the build could not fetch; the
    tests failed on ``No module named 'cbor2._cbor2'`` and nothing said the build had failed)."""
    build = environment.get("build")
    error = build.get("own_copy_error") if isinstance(build, Mapping) else None
    own = [n for n in dict.fromkeys(_not_found(output)) if _own(repo, n.split(".")[0])]
    if not error or not own:
        return ""
    return (
        f"the project's own module{'s' if len(own) > 1 else ''} {_listed([repr(n) for n in own])} could not "
        "be imported, and its own copy "
        f"could not be built in the checks' environment ({error}): a compiled part needs its build "
        "tools, or prepare steps that build it (environment.prepare)"
    )


def _own(repo: Path, top: str) -> bool:
    """A module of the project itself (``pkg/``, ``pkg.py``, ``src/pkg``, or one a folder of it
    holds: invoke's ``sites/shared_conf.py`` and its vendored ``invoke/vendor/yaml``, named
    "missing" with "add its package"): not a package to add."""
    if any((root / top).exists() or (root / f"{top}.py").exists() for root in (repo, repo / "src")):
        return True
    patterns = (f"{depth}/{name}" for depth in ("*", "*/*") for name in (top, f"{top}.py"))
    deeper = (p for pattern in patterns for p in repo.glob(pattern))
    return any(
        not any(part.startswith(".") or part in _NOT_OWN for part in p.relative_to(repo).parts)
        for p in deeper
    )


#: folders whose modules are not the project's (environments, build output)
_NOT_OWN = frozenset({"venv", "env", "node_modules", "build", "dist", "site-packages"})


def advice(names: list[str], environment: Mapping[str, Any], repo: Path | None = None) -> str:
    """What the user does about them, for the kind of environment the check ran in: in one
    prp-tasks built, the project's extra that declares a module's package first (oauthlib's
    ``jwt``: its ``signedtoken`` extra declares pyjwt), else the package to add."""
    if "build" not in environment:
        where = (
            "the project's .venv" if environment.get("kind") == "venv" else "the Python the check ran with"
        )
        noun, its = ("module", "its package") if len(names) == 1 else ("modules", "their packages")
        return f"{where} has no {noun} {_listed([repr(n) for n in names])}: install {its} there"
    extras = in_extras(names, environment, repo)
    groups = in_groups([n for n in names if n not in extras], environment, repo)
    rest = [n for n in names if n not in extras and n not in groups]
    said = [extras_advice(extras)] if extras else []
    said += [extras_advice(groups, "dependency groups", "groups")] if groups else []
    if lost := lost_test_helpers(rest, repo):  # mmh3's sdist: its tests' own helper.py left out
        rest = [n for n in rest if n not in lost]
        said.append(
            f"the tests import {_listed([repr(n) for n in lost])} as a module of their own "
            f"({', '.join(dict.fromkeys(lost.values()))}), which this source distribution leaves out: "
            "run the tests from the project's repository, or add the module"
        )
    if rest:
        one = len(rest) == 1
        noun, it, its = ("module", "it", "its package") if one else ("modules", "them", "their packages")
        said.append(
            f"the checks' environment has no {noun} {_listed([repr(n) for n in rest])}: if the command needs "
            f"{it}, add {its} under environment.packages in initial.md"
        )
    return "; ".join(said)


def said(names: list[str]) -> str:
    """The short form on the facts line: ``missing module: hypothesis``."""
    noun = "module" if len(names) == 1 else "modules"
    return f"missing {noun}: {_listed(names)}"


def _listed(names: list[str]) -> str:
    """The first :data:`SHOWN` names, and an ellipsis for the rest."""
    return ", ".join(names[:SHOWN]) + (", …" if len(names) > SHOWN else "")
