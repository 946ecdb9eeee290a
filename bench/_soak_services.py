"""The soak's process set (bench/soak.py): its settings, the tiny repository every run checks, and
the Procfile services started and waited for until healthy."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sys
import time
from pathlib import Path

import _ui
import httpx
from rich.progress import Progress, TextColumn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # for tests.acceptance.procfile (run as `python bench/soak.py`)
    sys.path.insert(0, str(ROOT))

from prp_tasks.service.identity import hash_token  # noqa: E402
from tests.acceptance.procfile import ProcfileProcesses  # noqa: E402

PREFIX = "soak"
RETENTION_S = 60
EVENTS_MAXLEN = 2000
#: Procfile entries on the workflow path (flower and metrics are not)
SERVICES = ("api", "worker-automated", "worker-approval", "worker-control", "sweeper")
WORKER_CLASSES = ("automated", "approval", "control")
TOKEN = f"soak-{secrets.token_urlsafe(24)}"
console = _ui.console

# the repository every run checks -------------------------------------------------------------------

INITIAL_MD = """# Soak service

A tiny library for the soak benchmark: every check of the built-in workflow is a cheap built-in.

## Requirements

- Add two integers

## Tests

- Unit tests for every public function

## Acceptance Criteria

- `add(2, 3)` returns 5

## Enforcement profile

```yaml
architecture:
  boundaries: [tiny]
  naming: {modules: snake_case}
  layout: [src/tiny, tests, pyproject.toml]
governance:
  license: Apache-2.0
  checks: [test, lint, type-check]
reports:
  coverage: [coverage.xml]
```
"""
COVERAGE_XML = """<?xml version="1.0" ?>
<coverage version="7.0" lines-valid="2" lines-covered="2" line-rate="1" branches-valid="0"
  branches-covered="0" branch-rate="1" complexity="0">
  <packages/>
</coverage>
"""


def make_repo(repo: Path) -> Path:
    """A tiny repository on which every built-in check of G0–G7 passes without a subprocess."""
    files = {
        "initial.md": INITIAL_MD,
        "coverage.xml": COVERAGE_XML,
        "CODEOWNERS": "*  @soak/maintainers\n",
        "pyproject.toml": '[project]\nname = "tiny"\nversion = "0.1.0"\n\n[tool.ruff]\n\n[tool.mypy]\n',
        "src/tiny/__init__.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
        "tests/test_add.py": "from tiny import add\n\n\ndef test_add() -> None:\n    assert add(2, 3) == 5\n",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo


def progress() -> Progress | _ui.PlainProgress:
    return _ui.progress(TextColumn("{task.fields[info]}"))


# the process set --------------------------------------------------------------------------------


def service_env(url: str, tmp: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
    tokens = [{"sha256": hash_token(TOKEN), "identity": "soak-bot", "roles": [], "submit": True}]
    env.update(
        {
            "PRP_REDIS_URL": url,
            "PRP_KEY_PREFIX": PREFIX,
            "PRP_RETENTION_S": str(RETENTION_S),
            "PRP_EVENTS_MAXLEN": str(EVENTS_MAXLEN),
            "PRP_TASK_EVENTS": "false",
            "PRP_SPOOL_CONCURRENCY": "2",
            "PRP_SPOOL_MAX_CONCURRENCY": "4",
            "PRP_API__PORT": str(port),
            "PRP_API__TOKENS": json.dumps(tokens),
            "PRP_API__RATE_LIMIT_PER_MIN": "0",
            # housekeeping (reconciler, run-index pruning) every 5 s, so the index is pruned
            # within the retention + 10 s this script waits before measuring memory
            "PRP_RECONCILE_INTERVAL_S": "5",
            "PRP_WORKSPACE__CACHE_DIR": str(tmp / "workspaces"),
            # the services are SIGKILLed at the end: what they leave in their temp directory
            # (multiprocessing's pymp-*) goes with the soak's own
            "TMPDIR": str(tmp / "tmp"),
        }
    )
    (tmp / "tmp").mkdir(exist_ok=True)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceError(RuntimeError):
    pass


def check_alive(procs: ProcfileProcesses) -> None:
    exited = procs.exited()
    if exited:
        raise ServiceError(f"service(s) exited: {exited}\n{procs.tails(20)}")


def start_services(procs: ProcfileProcesses, http: httpx.Client, timeout_s: float = 60) -> float:
    """Start the Procfile services; wait for /healthz and ``prp worker-check`` of every class."""
    began = time.monotonic()
    deadline = began + timeout_s
    for name in SERVICES:
        procs.start(name)
    with progress() as bar:
        task = bar.add_task("services starting", total=1 + len(WORKER_CLASSES), info="")
        while True:
            check_alive(procs)
            with contextlib.suppress(httpx.TransportError):
                if http.get("/healthz").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise ServiceError(f"api not healthy within {timeout_s}s\n{procs.tails(20)}")
            time.sleep(0.2)
        bar.advance(task)
        pending: set[str] = set(WORKER_CLASSES)
        last: dict[str, str] = {}
        while pending:
            for cls, (healthy, output) in procs.worker_checks(pending).items():
                last[cls] = output
                if healthy:
                    pending.discard(cls)
                    bar.advance(task)
            check_alive(procs)
            if pending and time.monotonic() > deadline:
                raise ServiceError(f"workers not healthy within {timeout_s}s: {last}")
            if pending:
                time.sleep(0.5)
    return time.monotonic() - began
