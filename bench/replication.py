"""The cost of waiting for a replica (``PRP_REDIS_WAIT_REPLICAS=1``) on the engine's hot path.

A primary and one replica run as private processes on loopback (the server the suite uses). Runs of
the throughput benchmark's shape (8 gates of one built-in check) go through the real engine in one
process, as ``bench/hotpath.py`` drives it (messages taken off the queue by this script), twice on
the same servers: once with transitions acknowledged by the primary alone, once waiting for the
replica (``WAIT`` sent with every transition's script, in the same round trip). Wall time per gate
is what a gate waits; CPU per gate is this process's.

Usage: ``.venv/bin/python bench/replication.py [--runs 200] [--smoke]`` (``--smoke``: 4 runs)
The last line of output is one JSON object with the keys (``JSON_KEYS``):
  runs, gates                       the measured passes: runs, runs × 8 gates (each)
  wall_ms_per_gate_no_wait          wall time (ms) per gate, acknowledged by the primary
  wall_ms_per_gate_wait1            … waiting for one replica
  cpu_ms_per_gate_no_wait           this process's CPU (ms) per gate, primary only
  cpu_ms_per_gate_wait1             … waiting for one replica
  wait_overhead_ms_per_gate         wall_ms_per_gate_wait1 − wall_ms_per_gate_no_wait
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import redis

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.engine.engine import Engine
from prp_tasks.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _ui import parse_args, status
from hotpath import measure
from throughput import GATES_PER_RUN

from tests.sentinels import Topology

JSON_KEYS = (
    "runs",
    "gates",
    "wall_ms_per_gate_no_wait",
    "wall_ms_per_gate_wait1",
    "cpu_ms_per_gate_no_wait",
    "cpu_ms_per_gate_wait1",
    "wait_overhead_ms_per_gate",
)
SMOKE = {"runs": 4}


def engine_for(port: int, wait: int) -> tuple[Engine, redis.Redis]:
    url = f"redis://127.0.0.1:{port}/0"
    settings = load_settings(
        redis_url=url, key_prefix=f"repl{wait}", task_events=False, redis_wait_replicas=wait
    )
    engine = Runtime(settings).engine
    return engine, redis.Redis.from_url(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parse_args(parser, SMOKE)
    result: dict[str, object] = {"runs": args.runs, "gates": args.runs * GATES_PER_RUN}
    with tempfile.TemporaryDirectory(prefix="prp-repl-") as tmp:
        servers = Topology(Path(tmp), "auto", replicas=1)
        try:
            servers.start_replicated()
            port = servers.servers[0].port
            for wait, name in ((0, "no_wait"), (1, "wait1")):
                engine, client = engine_for(port, wait)
                with status(f"{args.runs} runs × {GATES_PER_RUN} gates, waiting for {wait} replica(s)"):
                    measure(engine, client, max(4, args.runs // 10), None, "builtin")  # warm-up
                    timed = measure(engine, client, args.runs, None, "builtin")
                result[f"wall_ms_per_gate_{name}"] = timed["wall_ms_per_gate"]
                result[f"cpu_ms_per_gate_{name}"] = timed["cpu_ms_per_gate"]
        finally:
            servers.stop()
    overhead = float(result["wall_ms_per_gate_wait1"]) - float(result["wall_ms_per_gate_no_wait"])  # type: ignore[arg-type]
    result["wait_overhead_ms_per_gate"] = round(overhead, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
