"""What pytest plugin a failed test run lacked: the unknown fixtures and marks its output names
that a known plugin gives (``fixture 'mocker'``: pytest-mock), and where to add it (the project's
extra that declares it first)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prp_tasks.checks.declared import extras_advice, in_extras, install_step, installed_versions, major_of

#: pytest fixtures and the plugin that gives each (shellingham's tests use ``mocker`` and declare
#: no pytest-mock: "fixture 'mocker' not found", and nothing said which package that is)
FIXTURE_PLUGINS = {
    "mocker": "pytest-mock", "module_mocker": "pytest-mock", "benchmark": "pytest-benchmark",
    "httpserver": "pytest-httpserver", "httpx_mock": "pytest-httpx", "requests_mock": "requests-mock",
    "aiohttp_client": "pytest-aiohttp", "freezer": "pytest-freezer", "time_machine": "time-machine",
    "datadir": "pytest-datadir", "shared_datadir": "pytest-datadir", "snapshot": "syrupy",
    "xprocess": "pytest-xprocess", "event_loop": "pytest-asyncio", "respx_mock": "respx",
    "subtests": "pytest-subtests", "fs": "pyfakefs", "mock_env": "pytest-env", "anyio_backend": "anyio",
}  # fmt: skip


#: pytest marks and the plugin that gives each (responses' tests mark ``asyncio``, from its tests
#: extra's pytest-asyncio: "PytestUnknownMarkWarning: Unknown pytest.mark.asyncio", 3 of 4 errors)
MARK_PLUGINS = {
    "asyncio": "pytest-asyncio", "django_db": "pytest-django", "trio": "pytest-trio",
    "timeout": "pytest-timeout", "benchmark": "pytest-benchmark", "flaky": "flaky",
    "vcr": "pytest-recording", "default_cassette": "pytest-recording", "order": "pytest-order",
    "dependency": "pytest-dependency", "repeat": "pytest-repeat", "freeze_time": "pytest-freezer",
    "httpx_mock": "pytest-httpx", "respx": "respx", "anyio": "anyio", "xdist_group": "pytest-xdist",
    "env": "pytest-env", "mypy_testing": "pytest-mypy-testing",
}  # fmt: skip


def fixture_plugins(output: str) -> dict[str, str]:
    """The unknown fixtures and marks ``output`` names that a known pytest plugin gives:
    ``fixture 'mocker'`` -> pytest-mock, ``mark 'asyncio'`` -> pytest-asyncio."""
    fixtures = dict.fromkeys(re.findall(r"fixture '(\w+)' not found", output))
    marks = [
        m
        for m in dict.fromkeys(re.findall(r"Unknown pytest\.mark\.(\w+)", output))
        if _mark_failed(m, output)
    ]
    found = {f"fixture {f!r}": FIXTURE_PLUGINS[f] for f in fixtures if f in FIXTURE_PLUGINS}
    return found | {f"mark {m!r}": MARK_PLUGINS[m] for m in marks if m in MARK_PLUGINS}


def _mark_failed(mark: str, output: str) -> bool:
    """Whether an unknown mark failed something, not only warned: refused (``--strict-markers``:
    "'asyncio' not found in `markers` configuration option"), its warning raised as an error, or
    an async test run without its
    plugin ("async def functions are not natively supported"); an inert mark is no cause (Cerberus'
    ``benchmark`` mark was said to need pytest-benchmark where a module of its own was missing)."""
    if f"'{mark}' not found in `markers`" in output:
        return True
    raised = rf"^E\s+(?:pytest\.)?PytestUnknownMarkWarning: Unknown pytest\.mark\.{mark}\b"
    if re.search(raised, output, re.M):  # a warning made an error (responses' filterwarnings)
        return True
    return mark in _ASYNC_MARKS and "async def functions are not natively supported" in output


#: the marks whose tests are coroutines, which pytest runs only through their plugin
_ASYNC_MARKS = frozenset({"asyncio", "trio", "anyio"})


def codspeed_instead(plugins: dict[str, str], repo: Path) -> dict[str, str]:
    """pytest-codspeed for the ``benchmark`` fixture or mark when the project's tests, CI or
    README name CodSpeed (xxhash: its benchmark tests "are meant to be run in CodSpeed walltime
    mode"; pytest-benchmark, also a ``benchmark`` fixture, runs each test as a timed benchmark
    where pytest-codspeed outside CodSpeed runs it once)."""
    if "pytest-benchmark" not in plugins.values() or not _names_codspeed(repo):
        return plugins
    return {k: "pytest-codspeed" if v == "pytest-benchmark" else v for k, v in plugins.items()}


def _names_codspeed(repo: Path) -> bool:
    places = [repo / "README.md", repo / "README.rst", repo / "pyproject.toml"]
    places += sorted(repo.glob(".github/workflows/*.y*ml")) + sorted(repo.glob("test*/**/*.py"))[:200]
    for path in places:
        try:
            if "codspeed" in path.read_text(encoding="utf-8", errors="replace").lower():
                return True
        except OSError:
            continue
    return False


def plugin_advice(plugins: dict[str, str], environment: Mapping[str, Any], repo: Path | None = None) -> str:
    """What to install for them, for the kind of environment the check ran in: the project's
    extra that declares a plugin first (responses' ``tests`` extra declares pytest-asyncio)."""
    installed = installed_versions(environment)
    there = {what: plugin for what, plugin in plugins.items() if plugin in installed}
    if there:  # aiostream: pytest-asyncio 1.5.0 was installed; its 1.0 removed ``event_loop``
        said = [
            f"{plugin} {installed[plugin]} is installed and gives no {what}" for what, plugin in there.items()
        ]
        pins = [f'"{plugin}<{major_of(installed[plugin])}"' for plugin in dict.fromkeys(there.values())]
        return (
            f"{'; '.join(said)}: a release newer than the project's tests, which dropped it; pin an "
            f"earlier one under environment.packages in initial.md ({', '.join(pins)})"
        )
    packages = list(dict.fromkeys(plugins.values()))
    extras = in_extras(packages, environment, repo) if "build" in environment else {}
    rest = [p for p in packages if p not in extras]
    steps = [extras_advice(extras)] if extras else []
    steps += [install_step(rest, environment)] if rest else []
    return f"no installed pytest plugin gives the {', '.join(plugins)}: {'; '.join(steps)}"
