"""Shared fixtures: a private Redis per session, an in-process worker, helpers.

Tiers: ``tests/unit`` (pure core and adapters without services), ``tests/integration`` (real Redis
and real Celery workers), ``tests/acceptance`` (the ``prp`` CLI as a subprocess).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Embedded servers started by tests register themselves under XDG_CACHE_HOME: keep that private.
# A process the session starts that imports this module again shares the session's directory
# (named by the session's pid, inherited), so only the session has one to remove.
_OWNER = os.environ.setdefault("PRPTESTS_CACHE_OWNER", str(os.getpid()))
_ROOT = Path(os.environ.get("PRP_TEST_CACHE", "/tmp")) / f"prp-tests-{_OWNER}"
#: one per pytest-xdist worker (each its own embedded servers' registry), under the session's
_CACHE = _ROOT / os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ["XDG_CACHE_HOME"] = str(_CACHE)
#: the server every private Redis of the suite runs: by default the bundled one a fresh machine
#: gets (``PRP_EMBEDDED_SERVER=bundled``); ``PRP_TEST_REDIS_SERVER=/usr/bin/redis-server`` runs
#: the suite against another one (CI: the oldest supported server it has)
EMBEDDED_SERVER = os.environ.get("PRP_TEST_REDIS_SERVER", "bundled")
for _key in [k for k in os.environ if k.startswith("PRP_")]:
    del os.environ[_key]  # tests must not pick up the developer's settings
os.environ["PRP_EMBEDDED_SERVER"] = EMBEDDED_SERVER  # ... but `prp run` subprocesses use that server


def pytest_unconfigure(config: pytest.Config) -> None:
    """The session's private cache (embedded servers' registry, the check environments it built,
    uv's cache) goes with the session: running the suite leaves nothing behind in /tmp."""
    if str(os.getpid()) == _OWNER:
        shutil.rmtree(_ROOT, ignore_errors=True)


# Import task modules at conftest import time so every worker knows them.
import prp_tasks.celeryapp.tasks  # noqa: E402,F401


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A private redis-server on a unix socket for the whole session."""
    from prp_tasks.celeryapp.embedded import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), label="pytest", server=EMBEDDED_SERVER)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(redis_server: object) -> object:
    from prp_tasks.settings import load_settings

    return load_settings(
        redis_url=redis_server.url,  # type: ignore[attr-defined]
        key_prefix=f"t{secrets.token_hex(3)}",
        check_lease_s=2.0,
        task_events=False,
    )


@pytest.fixture(scope="session")
def runtime(settings: object) -> object:
    """The composition root of the session's settings (one per session, as one per process)."""
    from prp_tasks.celeryapp.runtime import Runtime

    return Runtime(settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def celery_app(runtime: Any, settings: object) -> Iterator[object]:
    """The project's Celery app with one in-process threads worker for all queue classes."""
    from prp_tasks.celeryapp.embedded import embedded_worker

    app = runtime.app
    with embedded_worker(app, settings, concurrency=24):  # type: ignore[arg-type]
        yield app


@pytest.fixture
def control(runtime: Any, celery_app: object) -> object:
    return runtime.control


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """A directory to run checks in, optionally with files."""

    def make(files: dict[str, str] | None = None) -> Path:
        repo = tmp_path / f"repo-{secrets.token_hex(3)}"
        repo.mkdir()
        for name, content in (files or {}).items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(content)
        return repo

    return make


def clean_env() -> dict[str, str]:
    """This environment without ``PRP_*`` settings, except the suite's embedded server choice."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
    return env | {"PRP_EMBEDDED_SERVER": EMBEDDED_SERVER}


def pytest_report_header(config: pytest.Config) -> str:
    from prp_tasks.state.servers import embedded_binary

    binary = embedded_binary(EMBEDDED_SERVER)
    return f"private servers: {binary.version.text} ({binary.path}, {binary.origin})"


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def run_prp(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the ``prp`` CLI as a subprocess (the installed console script's module)."""
    full_env = clean_env()
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "prp_tasks.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=timeout,
        check=False,
    )
