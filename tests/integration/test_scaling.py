"""Scale-out with real worker processes: adaptive concurrency, host back-off, load sharing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.run import RunStatus
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import Settings
from tests.conftest import run_prp, wait_until
from tests.integration.test_worker_loss import Workers, private, workers  # noqa: F401

pytestmark = pytest.mark.slow

SPOOL = {
    "PRP_SPOOL_CONCURRENCY": "1",
    "PRP_SPOOL_MAX_CONCURRENCY": "4",
    "PRP_AUTOSCALE_KEEPALIVE_S": "2",
    "PRP_AUTOSCALE_MAX_LOAD": "1000",  # the shared CI host's load must not decide this test
}


def burst(n: int, seconds: float) -> str:
    checks = ", ".join(f"{{name: c{i}, run: [sleep, '{seconds}']}}" for i in range(n))
    return f"name: burst\ngates:\n  - {{id: B, checks: [{checks}]}}\n"


def pool_size(runtime: Runtime, node: str) -> int | None:
    stats = runtime.app.control.inspect(destination=[node], timeout=2).stats() or {}
    info = stats.get(node)
    return None if info is None else len(info["pool"]["processes"])


def run_burst(private: Settings, tmp_path: Path, n: int, seconds: float) -> tuple[float, set[str]]:  # noqa: F811
    control = Runtime(private).control
    spec = prepare_run(tmp_path, workflow=parse_workflow(burst(n, seconds)))
    started = time.monotonic()
    run_id = control.submit(spec)
    assert control.wait_final(run_id, 90)
    elapsed = time.monotonic() - started
    snapshot = control.snapshot(run_id)
    assert snapshot.status == RunStatus.PASSED
    return elapsed, {r.worker for r in snapshot.gates["B"].checks.values()}


def control_worker(workers: Workers) -> None:  # noqa: F811
    workers.start(args=["--queues", "approval,control", "--hostname", "control@test"])


def test_the_automated_pool_grows_to_max_under_a_burst_and_returns_to_base(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    tmp_path: Path,
) -> None:
    workers.start(SPOOL, ["--queues", "automated", "--hostname", "auto@test"])
    control_worker(workers)
    runtime = Runtime(private)
    wait_until(lambda: pool_size(runtime, "auto@test") == 1, timeout=30, interval=0.5)
    elapsed, processes = run_burst(private, tmp_path, 40, 0.5)
    assert len(processes) == 4  # grew from 1 to max 4 …
    assert elapsed < 40 * 0.5 / 3  # … and the 40 × 0.5 s ran ~4 at a time (ideal 5 s)
    wait_until(lambda: pool_size(runtime, "auto@test") == 1, timeout=20, interval=0.5)  # at rest: base


def test_a_saturated_host_does_not_grow_the_pool(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    tmp_path: Path,
) -> None:
    busy = {**SPOOL, "PRP_AUTOSCALE_MAX_LOAD": "0.000001"}  # any load at all counts as saturated
    workers.start(busy, ["--queues", "automated", "--hostname", "auto@test"])
    control_worker(workers)
    _, processes = run_burst(private, tmp_path, 8, 0.2)
    assert len(processes) == 1


def test_two_automated_workers_share_one_run(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    tmp_path: Path,
) -> None:
    for node in ("machine-a@test", "machine-b@test"):
        workers.start(args=["--queues", "automated", "--concurrency", "2", "--hostname", node])
    control_worker(workers)
    _, processes = run_burst(private, tmp_path, 16, 0.3)
    assert {p.split("/")[0] for p in processes} == {"machine-a@test", "machine-b@test"}


def worker_check(private: Settings, node: str, stale_s: float) -> subprocess.CompletedProcess[str]:  # noqa: F811
    env = {"PRP_REDIS_URL": private.redis_url or "", "PRP_KEY_PREFIX": private.key_prefix}
    return run_prp("worker-check", "automated", "--node", node, "--stale-s", str(stale_s), "--json", env=env)


def test_the_health_check_catches_a_worker_that_stopped_consuming_or_hangs(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    tmp_path: Path,
) -> None:
    proc = workers.start(args=["--queues", "automated", "--concurrency", "2", "--hostname", "auto@test"])
    runtime = Runtime(private)
    control = runtime.control
    wait_until(lambda: worker_check(private, "auto@test", 2).returncode == 0, timeout=30, interval=0.5)
    # still alive and answering pings, but no longer consuming its queue (as after a bad reconnect)
    runtime.app.control.cancel_consumer("prp.automated", destination=["auto@test"], reply=True)
    control.submit(prepare_run(tmp_path, workflow=parse_workflow(burst(2, 0.1))))
    time.sleep(2.5)
    stuck = worker_check(private, "auto@test", 2)
    assert stuck.returncode == 1
    assert "not consuming" in json.loads(stuck.stdout)["problems"][0]
    os.kill(proc.pid, signal.SIGSTOP)  # hung: no ping answers, no beats
    try:
        hung = worker_check(private, "auto@test", 2)
        assert hung.returncode == 1 and "does not answer a ping" in hung.stdout
    finally:
        os.kill(proc.pid, signal.SIGCONT)
