"""DAG latency: critical-path scheduling vs a level barrier, and fan-out, on a private Redis.

Workflow (issue 2): A sleep 1.0, B sleep 0.1, C after B sleep 1.0, D after A sleep 0.1.
  critical path = 1.1 s; a level barrier (A,B | C,D) needs ~2.0 s.
Baseline, measured in the same run on the same Redis: raw Celery running the same sleeps level by
level (group(A, B) then group(C, D), each joined by the client), i.e. what a level-barrier
scheduler costs. Fan-out: 16 independent ``sleep 0.5`` gates with automated concurrency 16, against
raw Celery running the same 16 sleeps as one group.

Usage: python bench/dag_latency.py [--rounds 5] [--smoke]
``--smoke``: one round of each (after the warm-up), about ten seconds; the sleeps are the workload
and stay as they are.
The last line of output is one JSON object with the keys (``JSON_KEYS``):
  critical_path_s                   1.1, the workflow's critical path
  dag_median_s, dag_overhead_ms     the DAG's median wall time, and minus the critical path (ms)
  level_barrier_baseline_median_s   raw Celery, level by level: median wall time
  ratio_vs_level_barrier            dag_median_s / level_barrier_baseline_median_s
  fanout16_median_s, fanout16_overhead_ms   16 parallel 0.5 s gates: median, and minus 0.5 s (ms)
  fanout16_celery_median_s, fanout16_celery_overhead_ms   raw Celery, the same 16 sleeps as one
                                    group on the same worker options: median, and minus 0.5 s (ms)
  rounds                            rounds measured of each
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _ui import parse_args
from celery import Celery, group
from celery.contrib.testing.worker import start_worker

from prp_tasks.celeryapp.embedded import EmbeddedRedis, embedded_worker
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import load_settings, to_kombu_url

CRITICAL = """
name: critical-path
gates:
  - {id: A, checks: [{name: s, run: ["sleep", "1.0"]}]}
  - {id: B, checks: [{name: s, run: ["sleep", "0.1"]}]}
  - {id: C, depends_on: [B], checks: [{name: s, run: ["sleep", "1.0"]}]}
  - {id: D, depends_on: [A], checks: [{name: s, run: ["sleep", "0.1"]}]}
"""
JSON_KEYS = (
    "critical_path_s",
    "dag_median_s",
    "dag_overhead_ms",
    "level_barrier_baseline_median_s",
    "ratio_vs_level_barrier",
    "fanout16_median_s",
    "fanout16_overhead_ms",
    "fanout16_celery_median_s",
    "fanout16_celery_overhead_ms",
    "rounds",
)
SMOKE = {"rounds": 1}
FANOUT = "name: fanout\ngates:\n" + "".join(
    f'  - {{id: g{i}, checks: [{{name: s, run: ["sleep", "0.5"]}}]}}\n' for i in range(16)
)


def time_workflow(control: Control, repo: Path, text: str) -> float:
    spec = prepare_run(repo, workflow=parse_workflow(text))
    started = time.monotonic()
    control.submit(spec)
    control.wait_final(spec.run_id, 120)
    elapsed = time.monotonic() - started
    assert control.snapshot(spec.run_id).status.value == "passed"
    return elapsed


def ours(url: str, repo: Path, rounds: int) -> tuple[list[float], list[float]]:
    settings = load_settings(redis_url=url, key_prefix="bench", task_events=False)
    settings = settings.model_copy(
        update={
            "queues": settings.queues.model_copy(
                update={"automated": settings.queues.automated.model_copy(update={"concurrency": 16})}
            )
        }
    )
    runtime = Runtime(settings)
    app, control = runtime.app, runtime.control
    with embedded_worker(app, settings):
        time_workflow(control, repo, CRITICAL)  # warm-up
        dag = [time_workflow(control, repo, CRITICAL) for _ in range(rounds)]
        fan = [time_workflow(control, repo, FANOUT) for _ in range(rounds)]
    return dag, fan


def baseline(url: str, rounds: int) -> tuple[list[float], list[float]]:
    """Raw Celery on the same Redis and worker options: the DAG level by level, and the fan-out
    as one group (each joined by the client through the result backend, as a Celery user would)."""
    broker = to_kombu_url(url)
    raw = Celery("raw", broker=broker, backend=broker)
    raw.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")

    @raw.task(name="bench.sleep")
    def sleep(seconds: float) -> float:
        subprocess.run(["sleep", str(seconds)], check=True)
        return seconds

    def timed(*groups: Any) -> float:
        started = time.monotonic()
        for tasks in groups:
            group(tasks)().get(timeout=60, disable_sync_subtasks=False)
        return time.monotonic() - started

    levels, fan = [], []
    with start_worker(raw, pool="threads", concurrency=16, perform_ping_check=False, loglevel="WARNING"):
        timed([sleep.s(0.1)])  # warm-up
        for _ in range(rounds):
            levels.append(timed([sleep.s(1.0), sleep.s(0.1)], [sleep.s(1.0), sleep.s(0.1)]))
            fan.append(timed([sleep.s(0.5) for _ in range(16)]))
    return levels, fan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parse_args(parser, SMOKE)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        dag, fan = ours(server.url, repo, args.rounds)
        barrier, celery_fan = baseline(server.url, args.rounds)
    result = {
        "critical_path_s": 1.1,
        "dag_median_s": round(statistics.median(dag), 3),
        "dag_overhead_ms": round((statistics.median(dag) - 1.1) * 1000, 1),
        "level_barrier_baseline_median_s": round(statistics.median(barrier), 3),
        "ratio_vs_level_barrier": round(statistics.median(dag) / statistics.median(barrier), 3),
        "fanout16_median_s": round(statistics.median(fan), 3),
        "fanout16_overhead_ms": round((statistics.median(fan) - 0.5) * 1000, 1),
        "fanout16_celery_median_s": round(statistics.median(celery_fan), 3),
        "fanout16_celery_overhead_ms": round((statistics.median(celery_fan) - 0.5) * 1000, 1),
        "rounds": args.rounds,
    }
    print(f"DAG runs (s): {[round(x, 3) for x in dag]}")
    print(f"fan-out runs (s): {[round(x, 3) for x in fan]}")
    print(f"raw Celery level barrier (s): {[round(x, 3) for x in barrier]}")
    print(f"raw Celery fan-out group (s): {[round(x, 3) for x in celery_fan]}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
