"""Fault-injection fixtures: a private persistent Redis per test and real worker processes.

``PRP_RELIABILITY_SEED`` fixes the random kill schedules (a random seed is printed otherwise), so a
schedule that found a problem can be replayed and others can be tried from outside the suite.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.run import new_run_id
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings, load_settings
from tests.conftest import EMBEDDED_SERVER
from tests.integration.test_worker_loss import workers  # noqa: F401  (the same fixture, on this private)

pytestmark = pytest.mark.slow


@pytest.fixture
def seed() -> int:
    value = int(os.environ.get("PRP_RELIABILITY_SEED") or random.SystemRandom().randrange(2**31))
    print(f"PRP_RELIABILITY_SEED={value}")
    return value


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A private redis-server with AOF (fsync every second), as infra/redis/redis.conf."""
    redis = EmbeddedRedis(tmp_path / "redis", appendonly=True, server=EMBEDDED_SERVER)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def private(server: EmbeddedRedis) -> Settings:
    return load_settings(
        redis_url=server.url, key_prefix="kill", check_lease_s=1, task_events=False, reconcile_grace_s=2
    )


@pytest.fixture
def private_runtime(private: Settings) -> Runtime:
    return Runtime(private)


@pytest.fixture
def control(private_runtime: Runtime) -> Control:
    return private_runtime.control


def marked_run(control: Control, repo: Path, text: str) -> str:
    """Submit ``text`` with ``RUN`` replaced by the run's own id (for side-effect lines) and
    ``EFFECTS`` by ``repo/effects.log`` (checks run in a workspace of ``repo``, not in it)."""
    run_id = new_run_id()
    text = text.replace("RUN", run_id).replace("EFFECTS", str(repo / "effects.log"))
    spec = prepare_run(repo, workflow=parse_workflow(text), run_id=run_id)
    return control.submit(spec)


def side_effect_check(name: str, gate: str, sleep: str = "0") -> str:
    """A check appending ``RUN GATE NAME`` to the repository's effects.log, then sleeping ``sleep`` s."""
    code = f"import time; open('EFFECTS', 'a').write('RUN {gate} {name}\\\\n'); time.sleep({sleep})"
    return f'{{name: {name}, run: [python, -c, "{code}"]}}'


@pytest.fixture
def live(runtime: Any, celery_app: Any) -> Control:
    """The session's service layer: its Redis and its in-process worker (``tests/conftest.py``).

    Not the ``control`` fixture: ``tests/reliability/conftest.py`` overrides that one with a
    private Redis per test and no worker, for the fault-injection tests.
    """
    control: Control = runtime.control
    return control
