"""Every worker process does housekeeping, whatever its pool and queue classes: a deployment of
prefork workers of the automated class only still expires approvals and repairs what a crash left
undone; ``prp doctor`` and ``prp worker-check`` say when no worker has done it lately."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.models import GateStatus
from prp_tasks.housekeeping.reconciler import ROUND_SLICE
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import Settings
from prp_tasks.state.repair import RepairStore
from tests.conftest import run_prp, wait_until
from tests.integration.test_worker_loss import Workers, private, workers  # noqa: F401

pytestmark = pytest.mark.slow

EXPIRING = """name: expiring
gates:
  - {id: A, checks: [{name: a, run: ["true"]}], approval: {role: maintainer, timeout_s: 1}}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
"""
FAST = {"PRP_SWEEP_INTERVAL_S": "0.3", "PRP_RECONCILE_GRACE_S": "1"}


def _doctor(private: Settings) -> dict[str, dict[str, object]]:  # noqa: F811
    env = {"PRP_REDIS_URL": private.redis_url or "", "PRP_KEY_PREFIX": private.key_prefix}
    done = run_prp("doctor", "--json", env=env)
    return {f["name"]: f for f in json.loads(done.stdout)["findings"]}


def test_prefork_workers_of_one_class_still_expire_approvals_and_repair(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert _doctor(private)["housekeeping"]["ok"] is False  # no worker yet: nobody sweeps
    for _ in range(2):
        workers.start(FAST, ["--queues", "automated,control", "--pool", "prefork", "--concurrency", "1"])
    control = Runtime(private).control
    run_id = control.submit(prepare_run(tmp_path, workflow=parse_workflow(EXPIRING)))
    wait_until(lambda: control.store.gate_status(run_id, "A") == GateStatus.FAILED, timeout=30)
    record = control.store.record(run_id, "A")
    assert record is not None and "approval expired" in (record.result.reason or "")
    assert control.wait_final(run_id, 30)  # B was skipped, the run finalized: no approval worker
    control.store.outbox_add(run_id, "finalize", 0)  # follow-up work a crash might have left
    wait_until(lambda: control.store.outbox(run_id) == {}, timeout=15)
    last = RepairStore(control.store.redis, control.store.keys).last_repair_ms()
    assert last is not None
    assert _doctor(private)["housekeeping"]["ok"] is True


def test_the_safety_net_looks_at_a_slice_of_the_live_runs_per_sweep(
    private: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The sweep runs in a worker's consumer thread: its round over every live run is spread over
    sweeps (a thousand runs at once held the worker's messages up for up to a second), covers
    every run, and the next round waits for ``PRP_RECONCILE_INTERVAL_S``."""
    runtime = Runtime(private)
    flow = parse_workflow("name: s\ngates:\n  - {id: A, checks: [{name: a, run: ['true']}]}\n")
    runs = {runtime.control.submit(prepare_run(tmp_path, workflow=flow)) for _ in range(2 * ROUND_SLICE + 50)}
    slices = []
    for _ in range(20):
        counts = runtime.reconciler.maybe_pass()
        if not counts:
            break
        slices.append(counts["reconciled_runs"])
    assert len(slices) >= 3 and all(n <= 2 * ROUND_SLICE for n in slices), slices
    assert sum(slices) >= len(runs)  # every live run was looked at (SSCAN may repeat one)
    assert runtime.reconciler.maybe_pass() == {}  # the next round waits for the interval
    assert RepairStore(runtime.control.store.redis, runtime.control.store.keys).round_cursor() is None
