"""Every Lua script runs against a real server in real flows, not only compiles.

A private server and runtime (a real in-process Celery worker and the housekeeping sweep, in a
process of their own: ``lua_flows.py``) drive runs through every kind of transition: admission and
its queue, slots and token budgets, checks with two results and with one, a lease kept alive, a
retried timeout behind a breaker that opens, approvals parked, decided, decided in advance, expired
and announced in batches, a wall-clock budget, cancellation, a re-run and finalization, plus the
profile cache and the sweeper's lease. Each call of a script is recorded; the test fails naming
any script no flow ran.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from prp_tasks.state.lua import SCRIPTS
from tests.conftest import EMBEDDED_SERVER, ROOT, clean_env


def test_every_script_runs_in_a_real_flow(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.integration.lua_flows", str(tmp_path)],
        cwd=ROOT,
        env=clean_env() | {"PRP_TEST_REDIS_SERVER": EMBEDDED_SERVER},  # the suite's server
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ran = set(json.loads(result.stdout.strip().splitlines()[-1]))
    missing = sorted(set(SCRIPTS) - ran)
    assert missing == [], f"scripts no flow ran: {missing} (ran: {sorted(ran)})"
