"""Approval latency and the cost of waiting: decision -> first dependent check start, and worker
slots held while many gates are parked.

Setup: a private redis-server; one real worker process (`prp worker`, all queue classes, threads
pool, concurrency 8); N runs of a two-gate workflow: A (a check, then an approval) -> B (a check).
1. All N gates A park. Then `celery inspect active` and `reserved` are asked which tasks the
   worker holds (must be none: a parked gate is data in Redis, not a waiting task).
2. D of them are approved one after the other, each once the previous dependent started (plus
   ``--gap-ms``, so the worker is idle and every run's finalization is out of the way); for each,
   the time from the decision call returning to B's check starting on the worker
   (CheckResult.started_at) is recorded.

Usage: python bench/approval_latency.py [--parked 500] [--decisions 200] [--gap-ms 20] [--smoke]
``--smoke``: 10 parked gates, 5 decisions (the same phases, about ten seconds).
The last line of output is one JSON object with the keys (``JSON_KEYS``):
  decisions                          decisions measured
  p50_ms, p95_ms, p99_ms, mean_ms    decision call returned -> dependent check started (ms)
  from_call_p50_ms, from_call_p95_ms decision call made -> dependent check started (ms)
  parked_gates                       gates parked at once
  slots_in_use_while_parked          tasks the worker held meanwhile (active + reserved; 0 expected)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _ui import parse_args, progress
from celery import Celery

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.evaluate import parse_ts
from prp_tasks.core.models import GateStatus
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
JSON_KEYS = (
    "decisions",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "from_call_p50_ms",
    "from_call_p95_ms",
    "mean_ms",
    "parked_gates",
    "slots_in_use_while_parked",
)
SMOKE = {"parked": 10, "decisions": 5}
WORKFLOW = parse_workflow(
    """
name: approval-latency
gates:
  - {id: A, checks: [{name: a, builtin: coverage-targets}], approval: {role: code-reviewer}}
  - {id: B, depends_on: [A], checks: [{name: b, builtin: coverage-targets}]}
"""
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def start_worker(url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
    env.update({"PRP_REDIS_URL": url, "PRP_KEY_PREFIX": "bench", "PRP_TASK_EVENTS": "false"})
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prp_tasks.cli",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            "8",
            "--loglevel",
            "WARNING",
            "--hostname",
            "bench@local",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def park(control: Control, repo: Path, n: int) -> list[str]:
    runs = []
    with progress() as bar:
        task = bar.add_task("submitting", total=n)
        for _ in range(n):
            runs.append(control.submit(prepare_run(repo, workflow=WORKFLOW)))
            bar.advance(task)
        task = bar.add_task("gates parked", total=n)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            parked = sum(control.store.gate_status(r, "A") == GateStatus.AWAITING_APPROVAL for r in runs)
            bar.update(task, completed=parked)
            if parked == n:
                return runs
            time.sleep(0.2)
    raise RuntimeError("gates did not park in time")


def slots_in_use(app: Celery) -> int:
    inspect = app.control.inspect(timeout=2.0)
    active = inspect.active() or {}
    reserved = inspect.reserved() or {}
    if not active and not reserved and not inspect.ping():
        raise RuntimeError("the worker did not answer inspect")
    return sum(len(v) for v in active.values()) + sum(len(v) for v in reserved.values())


def decide_and_measure(control: Control, runs: list[str], gap_s: float) -> tuple[list[float], list[float]]:
    """One decision at a time: decide, wait until the dependent's check started, pause ``gap_s``.

    Each decision finds the worker idle, so the numbers are the latency of resuming the DAG, not
    the time a backlog of decisions waits for a slot (that is throughput: bench/throughput.py).
    """
    from_return, from_call = [], []
    with progress() as bar:
        task = bar.add_task("deciding", total=len(runs))
        for run_id in runs:
            called = time.time()
            control.decide(run_id, "A", actor="bench", approve=True)
            returned = time.time()
            started = _wait_started(control, run_id)
            from_return.append((started - returned) * 1000)
            from_call.append((started - called) * 1000)
            bar.advance(task)
            time.sleep(gap_s)
    return from_return, from_call


def _wait_started(control: Control, run_id: str) -> float:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        checks = control.store.check_results(run_id, "B")
        if "b" in checks and checks["b"].started_at:
            return parse_ts(checks["b"].started_at).timestamp()
        time.sleep(0.01)
    raise RuntimeError(f"dependent of {run_id} never started")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parked", type=int, default=500)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, default=20.0, help="pause after each measured decision")
    args = parse_args(parser, SMOKE)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        worker = start_worker(server.url)
        try:
            settings = load_settings(redis_url=server.url, key_prefix="bench", task_events=False)
            runtime = Runtime(settings)
            control = runtime.control
            runs = park(control, repo, args.parked)
            time.sleep(1.0)
            held = slots_in_use(runtime.app)
            from_return, from_call = decide_and_measure(control, runs[: args.decisions], args.gap_ms / 1000)
        finally:
            worker.terminate()  # a warm shutdown; SIGKILL if it takes more than 30 s
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    result = {
        "decisions": len(from_return),
        "p50_ms": pct(from_return, 0.50),
        "p95_ms": pct(from_return, 0.95),
        "p99_ms": pct(from_return, 0.99),
        "from_call_p50_ms": pct(from_call, 0.50),
        "from_call_p95_ms": pct(from_call, 0.95),
        "mean_ms": round(statistics.mean(from_return), 2),
        "parked_gates": len(runs),
        "slots_in_use_while_parked": held,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
