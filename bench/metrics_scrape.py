"""Scrape cost against history: /metrics with 10 finished runs vs 10,000 in Redis.

Runs are created through the real engine (one gate, no checks: submit, settle, finalize render)
on a private redis-server, without workers. Then GET /metrics of the API app is timed (median of
200 scrapes, in-process ASGI client) and so is one background aggregation (``MetricsReader.refresh``),
both with 10 and with 10,000 runs in history.

Usage: python bench/metrics_scrape.py [--runs 10000] [--scrapes 300] [--smoke]
``--smoke``: 100 runs, 20 scrapes (seconds; the same phases).
The last line of output is one JSON object with the keys (``JSON_KEYS``):
  scrape_ms_10_runs, scrape_ms_10000_runs  median GET /metrics (ms) with 10 and with --runs runs
  ratio                                    scrape_ms_10000_runs / scrape_ms_10_runs
  refresh_ms_10_runs, refresh_ms_10000_runs  median MetricsReader.refresh (ms), likewise
  runs_in_history                          {"small": 10, "big": --runs}, as counted in Redis
(the ``10000`` in the names is the default --runs; the keys keep it at any size)
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _ui import parse_args, progress
from fastapi.testclient import TestClient

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.engine.engine import Engine
from prp_tasks.engine.ports import CheckMessage, InTransaction
from prp_tasks.http.app import create_app
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import load_settings

WORKFLOW = parse_workflow("name: tiny\ngates:\n  - {id: T}\n")
JSON_KEYS = (
    "scrape_ms_10_runs",
    "scrape_ms_10000_runs",
    "ratio",
    "refresh_ms_10_runs",
    "refresh_ms_10000_runs",
    "runs_in_history",
)
SMOKE = {"runs": 100, "scrapes": 20}


class NoQueue:
    """An ``Enqueuer`` (prp_tasks.engine.ports) without a broker: collects the finalizations the engine
    asks for (the bench runs them in-process); there are no checks to queue."""

    #: the broker is not the state Redis: the engine sends through check() and finalize()
    direct = False

    def __init__(self) -> None:
        self.finalize_ids: list[str] = []

    def check(self, message: CheckMessage) -> None:
        raise AssertionError(f"the tiny workflow has no checks: {message}")

    def in_transaction(self, messages: Sequence[CheckMessage]) -> InTransaction | None:
        return None  # no broker in the state Redis: check() would be asked instead

    def finalize(self, run_id: str) -> None:
        self.finalize_ids.append(run_id)

    def finalize_message(self, run_id: str) -> tuple[str, str] | None:
        return None  # likewise: the engine calls finalize() instead

    def release_workspaces(self, run_id: str) -> None:
        pass  # no workers, no workspaces

    def release_message(self, run_id: str) -> tuple[tuple[str, ...], str] | None:
        return None


def add_runs(engine: Engine, queue: NoQueue, repo: Path, n: int) -> None:
    with progress() as bar:
        task = bar.add_task(f"creating {n} finished runs", total=n)
        for _ in range(n):
            engine.submit(prepare_run(repo, workflow=WORKFLOW))
            engine.finalize(queue.finalize_ids.pop())
            bar.advance(task)


def measure(clients: list[TestClient], scrapes: int) -> list[tuple[float, float]]:
    """Median scrape and refresh time per client, scrapes interleaved so drift hits all alike."""
    readers = [next(iter(c.app.state.metrics._collector_to_names)).reader for c in clients]
    scrape_ms: list[list[float]] = [[] for _ in clients]
    refresh_ms: list[list[float]] = [[] for _ in clients]
    for _ in range(scrapes):
        for i, (client, reader) in enumerate(zip(clients, readers, strict=True)):
            started = time.perf_counter()
            assert client.get("/metrics").status_code == 200
            scrape_ms[i].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            reader.refresh()
            refresh_ms[i].append((time.perf_counter() - started) * 1000)
    return [(statistics.median(s), statistics.median(r)) for s, r in zip(scrape_ms, refresh_ms, strict=True)]


def history(url: str, prefix: str, repo: Path, runs: int) -> tuple[TestClient, int]:
    """An API app over ``runs`` finished runs under its own key prefix."""
    settings = load_settings(redis_url=url, key_prefix=prefix, task_events=False)
    queue = NoQueue()
    runtime = Runtime(settings, enqueuer=queue)
    app = create_app(runtime, mount_mcp=False)
    control = runtime.control
    add_runs(runtime.engine, queue, repo, runs)
    return TestClient(app), int(control.store.redis.zcard(control.store.keys.runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--scrapes", type=int, default=300)
    args = parse_args(parser, SMOKE)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        small, small_runs = history(server.url, "small", repo, 10)
        big, big_runs = history(server.url, "big", repo, args.runs)
        with small, big:
            (small_scrape, small_refresh), (big_scrape, big_refresh) = measure([small, big], args.scrapes)
    print(
        json.dumps(
            {
                "scrape_ms_10_runs": round(small_scrape, 3),
                "scrape_ms_10000_runs": round(big_scrape, 3),
                "ratio": round(big_scrape / small_scrape, 3),
                "refresh_ms_10_runs": round(small_refresh, 3),
                "refresh_ms_10000_runs": round(big_refresh, 3),
                "runs_in_history": {"small": small_runs, "big": big_runs},
            }
        )
    )


if __name__ == "__main__":
    main()
