"""Flower, run as a real process against a private Redis and real prefork workers, tells the truth.

A failed, timed-out or cancelled check ends its task in Flower's failure state (the reason as the
exception), each message is executed once (no redelivery, no retry), every task shows its stable
registered name with run, gate and check in its kwargs, the Broker page and queue lengths answer,
and neither Flower's nor our ``/metrics`` grows with the number of runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.routing import FINALIZE_RUN, QUEUE_CLASSES, RUN_CHECK, SUBMIT_RUN
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings, load_settings
from prp_tasks.telemetry.collector import MetricsReader
from prp_tasks.telemetry.server import registry_for, render
from tests.conftest import EMBEDDED_SERVER, ROOT, wait_until
from tests.integration.test_http_api import free_port
from tests.integration.test_worker_loss import Workers

pytest.importorskip("flower", reason="flower is not installed (the dev extra pulls it in)")

pytestmark = pytest.mark.slow

VERDICTS = """
name: verdicts
gates:
  - id: V
    checks:
      - {name: ok, run: ["true"]}
      - {name: exit3, run: ["sh", "-c", "exit 3"]}
      - {name: slow, run: ["sleep", "30"], timeout_s: 1, retry_on: {timeout: false}}
"""
SMALL = "name: small\ngates:\n  - {id: S, checks: [{name: s, run: ['true']}]}\n"
#: more checks than the two workers' four processes: some are still queued when the run is cancelled
LONG = "name: long\ngates:\n  - id: L\n    checks:\n" + "".join(
    f"      - {{name: sleepy{i}, run: ['sleep', '60']}}\n" for i in range(6)
)


class Flower:
    """A Flower process (``celery -A prp_tasks.celeryapp.main flower``, the project's config)."""

    def __init__(self, settings: Settings, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
        env.update(
            PRP_REDIS_URL=settings.redis_url or "",
            PRP_KEY_PREFIX=settings.key_prefix,
            PRP_EMBEDDED_SERVER=EMBEDDED_SERVER,
            FLOWER_UNAUTHENTICATED_API="true",
            FLOWER_PORT=str(self.port),
            FLOWER_DB=str(tmp / "flower.db"),
        )
        argv = ["-m", "celery", "-A", "prp_tasks.celeryapp.main", "flower"]
        self.proc = subprocess.Popen(
            [sys.executable, *argv, "--conf=infra/flower/flowerconfig.py"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / "flower.log").open("wb"),
        )
        wait_until(lambda: self.status("/healthcheck") == 200, timeout=60, interval=0.2)

    def status(self, path: str) -> int:
        try:
            return httpx.get(self.base + path, timeout=5).status_code
        except httpx.HTTPError:
            return 0

    def json(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.base + path, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def text(self, path: str) -> str:
        return httpx.get(self.base + path, timeout=10).text

    def tasks(self) -> dict[str, dict[str, Any]]:
        return self.json("/api/tasks", limit=100000)  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Control, Flower, Settings]]:
    tmp = tmp_path_factory.mktemp("flower")
    server = EmbeddedRedis(tmp / "redis", server=EMBEDDED_SERVER)
    server.start()
    settings = load_settings(redis_url=server.url, key_prefix="fl", task_events=True)
    workers = Workers(settings)
    flower = None
    try:
        flower = Flower(settings, tmp)
        workers.start({"PRP_TASK_EVENTS": "true"})
        workers.start({"PRP_TASK_EVENTS": "true"})
        # Flower sees the workers (and their queues) once their heartbeats arrive
        wait_until(lambda: len(flower.json("/api/workers", refresh="1")) >= 2, 60, 1)  # type: ignore[union-attr]
        yield Runtime(settings).control, flower, settings
    finally:
        workers.stop()
        if flower is not None:
            flower.stop()
        server.stop()


def _submit(control: Control, text: str, tmp: Path) -> str:
    return control.submit(prepare_run(tmp, workflow=parse_workflow(text)))


#: the check a task's kwargs name: our ``kwargsrepr`` (``check: ok``), or a dict's repr
#: (``'check': 'ok'``) where Flower took the kwargs from another event of the task
_CHECK = re.compile(r"""\bcheck'?: '?(\w+)""")


def _of_run(tasks: dict[str, dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    return [t for t in tasks.values() if run_id in (t.get("kwargs") or "")]


def _final(task: dict[str, Any]) -> bool:
    return task.get("state") in ("SUCCESS", "FAILURE")


def test_failed_timed_out_and_cancelled_checks_are_failures_in_flower(
    stack: tuple[Control, Flower, Settings], tmp_path: Path
) -> None:
    control, flower, _ = stack
    run_id = _submit(control, VERDICTS, tmp_path)
    assert control.wait_final(run_id, 90)
    long_run = _submit(control, LONG, tmp_path)
    wait_until(lambda: control.store.gate_status(long_run, "L").value == "running", timeout=30)
    wait_until(lambda: any(t.get("state") == "STARTED" for t in _of_run(flower.tasks(), long_run)), 30)
    control.cancel(long_run, actor="tester")
    assert control.wait_final(long_run, 60)

    def settled() -> bool:
        tasks = flower.tasks()
        mine = _of_run(tasks, run_id) + _of_run(tasks, long_run)
        # 3 + 6 checks, and the cancelled run's prp.finalize_run (the verdicts run was finalized by
        # the check task that settled its gate)
        # (and each check task's arguments in: on a loaded machine Flower had the final state of
        # one before the event that carries its kwargs)
        named = all(_CHECK.search(t.get("kwargs") or "") for t in mine if t["name"] == RUN_CHECK)
        return len(mine) == 10 and all(_final(t) for t in mine) and named

    wait_until(settled, timeout=60, interval=0.5)
    tasks = flower.tasks()
    by_check = {
        _CHECK.search(t["kwargs"]).group(1): t  # type: ignore[union-attr]
        for t in _of_run(tasks, run_id) + _of_run(tasks, long_run)
        if t["name"] == RUN_CHECK
    }
    assert by_check["ok"]["state"] == "SUCCESS"
    assert (
        by_check["exit3"]["state"] == "FAILURE" and "V/exit3 fail: exit 3" in by_check["exit3"]["exception"]
    )
    assert by_check["slow"]["state"] == "FAILURE" and "timed out after 1s" in by_check["slow"]["exception"]
    sleepy = [by_check[f"sleepy{i}"] for i in range(6)]
    assert all(t["state"] == "FAILURE" and "cancelled" in t["exception"] for t in sleepy)
    assert any("stopped: run cancelled" in t["exception"] for t in sleepy)  # stopped while running
    assert any("cancelled before the check started" in t["exception"] for t in sleepy)  # still queued
    assert all(t["retries"] == 0 for t in by_check.values())
    both = _of_run(tasks, run_id) + _of_run(tasks, long_run)
    finalizations = [t for t in both if t["name"] == FINALIZE_RUN]
    assert [t["kwargs"] for t in finalizations] == [f"{{run_id: {long_run}}}"]  # the cancel's
    # each check executed once: no redelivery after the failure, the result recorded once, and
    # every message acknowledged (none left in the Redis transport's unacked hash to come back)
    wait_until(lambda: control.store.redis.hlen("unacked") == 0, timeout=10)
    for rid, gate in ((run_id, "V"), (long_run, "L")):
        results = control.store.check_results(rid, gate)
        assert all(r.attempt == 1 for r in results.values())
    assert flower.json("/api/tasks", state="FAILURE", limit=1000).keys() >= {
        by_check[c]["uuid"] for c in ("exit3", "slow", "sleepy0")
    }


def test_flower_shows_stable_names_and_the_arguments(
    stack: tuple[Control, Flower, Settings], tmp_path: Path
) -> None:
    control, flower, _ = stack
    run_id = _submit(control, SMALL, tmp_path)
    assert control.wait_final(run_id, 60)
    # one task: the check that settled the run's only gate finalized the run itself
    wait_until(lambda: sum(_final(t) for t in _of_run(flower.tasks(), run_id)) == 1, timeout=30, interval=0.3)
    tasks = flower.tasks()
    assert {t["name"] for t in tasks.values()} <= {RUN_CHECK, FINALIZE_RUN, SUBMIT_RUN}
    check = next(t for t in _of_run(tasks, run_id) if t["name"] == RUN_CHECK)
    assert check["kwargs"] == f"{{run_id: {run_id}, gate: S, check: s}}" and check["args"] == "()"
    assert set(flower.json("/api/task/types")["task-types"]) <= {RUN_CHECK, FINALIZE_RUN, SUBMIT_RUN}


def test_flower_broker_page_and_queue_lengths_work_with_the_transport(
    stack: tuple[Control, Flower, Settings],
) -> None:
    _, flower, _ = stack
    lengths = flower.json("/api/queues/length")["active_queues"]
    assert {q["name"] for q in lengths} >= {f"prp.{c}" for c in QUEUE_CLASSES}
    assert all(isinstance(q["messages"], int) for q in lengths)
    page = httpx.get(flower.base + "/broker", timeout=10)
    assert page.status_code == 200 and "prp.automated" in page.text


def test_a_refused_submission_is_a_failed_task(stack: tuple[Control, Flower, Settings]) -> None:
    _, flower, settings = stack
    app = Runtime(settings).app
    sent = app.send_task(SUBMIT_RUN, kwargs={"repo": "x"}, queue="prp.control")
    wait_until(lambda: flower.tasks().get(sent.id, {}).get("state") == "FAILURE", timeout=30, interval=0.3)
    task = flower.tasks()[sent.id]
    assert "SubmissionRefused" in task["exception"] and "repo" in task["exception"]


def _series(text: str) -> set[str]:
    return {line.split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_flower_and_prp_metrics_series_stay_bounded_as_runs_pass(
    stack: tuple[Control, Flower, Settings], tmp_path: Path
) -> None:
    control, flower, _ = stack
    reader = MetricsReader(control.state.metrics, QUEUE_CLASSES)
    registry = registry_for(reader)

    def runs(n: int) -> tuple[set[str], set[str]]:
        ids = [_submit(control, SMALL, tmp_path) for _ in range(n)]
        for rid in ids:
            assert control.wait_final(rid, 90)
        wait_until(lambda: all(sum(_final(t) for t in _of_run(flower.tasks(), r)) == 1 for r in ids), 60, 0.5)
        reader.refresh()
        return _series(flower.text("/metrics")), _series(render(registry)[0].decode())

    runs(4)  # every (worker, event type, task) combination seen once
    flower_n, ours_n = runs(8)
    flower_2n, ours_2n = runs(8)
    assert flower_2n == flower_n, sorted(flower_2n - flower_n)[:20]
    assert ours_2n == ours_n, sorted(ours_2n - ours_n)[:20]
    assert not any("run-" in s for s in flower_2n | ours_2n)
