"""Scale without slope: decision latency and control-plane latency with 10 runs and with 1,000
runs in flight (10,000 parked approvals), on the same servers, one after the other.

Setup: a private redis-server; one worker process (`prp worker`, all queue classes, threads pool,
concurrency 8); the API as its own process (`prp api`, uvicorn, MCP mounted at /mcp). Each run is
``--fan`` (10) approval gates A1..An, each a builtin check then an approval, and B1..Bn, each a
builtin check depending on its A: a run parks n gates.

Phase ``small``: ``--small`` (10) runs are submitted and parked; then measured:
  * control plane (first, while every gate of the phase is parked): ``--requests`` each of
    GET /v1/runs/{id}, MCP get_prp_status and GET /v1/approvals (the oldest page of the pending
    list, 100 gates by default), one after the other;
  * decisions: ``--decisions`` gates approved one at a time, each once the previous dependent
    started (plus ``--gap-ms``); the time from the decision call returning to the dependent's
    check starting on the worker (as bench/approval_latency.py).
Phase ``large``: more runs are submitted until ``--large`` (1,000) are in flight and parked
(n × 1,000 parked gates less the ones decided), and the same is measured again.
Redis memory per parked gate: used_memory growth over the large phase's parking (runs' state,
indexes and audit included) divided by the gates it parked.

Usage: python bench/scale.py [--small 10] [--large 1000] [--fan 10] [--decisions 100]
                             [--requests 200] [--gap-ms 20] [--smoke]
``--smoke``: 2 and 4 runs of 2 gates, 2 decisions and 5 requests per phase (seconds).
The last line of output is one JSON object with the keys (``JSON_KEYS``):
  small_runs, large_runs, parked_small, parked_large    runs in flight and gates parked per phase
  decision_p99_ms_small, decision_p99_ms_large, decision_ratio      decision -> dependent start
  http_p99_ms_small, http_p99_ms_large, http_ratio                  GET /v1/runs/{id}
  mcp_p99_ms_small, mcp_p99_ms_large, mcp_ratio                     MCP get_prp_status
  approvals_p99_ms_small, approvals_p99_ms_large, approvals_ratio   GET /v1/approvals
  redis_bytes_per_parked_gate                                       see above
  phases                                                            p50/p99 of every measure
(each ``*_ratio`` is large p99 ÷ small p99; the target is 2.0 or less)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _ui import parse_args, progress
from approval_latency import pct
from control_latency import TOKEN, env_for, free_port, measure_http, measure_mcp, start, stop, wait

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.evaluate import parse_ts
from prp_tasks.core.models import Workflow
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import load_settings

JSON_KEYS = (
    "small_runs",
    "large_runs",
    "parked_small",
    "parked_large",
    "decision_p99_ms_small",
    "decision_p99_ms_large",
    "decision_ratio",
    "http_p99_ms_small",
    "http_p99_ms_large",
    "http_ratio",
    "mcp_p99_ms_small",
    "mcp_p99_ms_large",
    "mcp_ratio",
    "approvals_p99_ms_small",
    "approvals_p99_ms_large",
    "approvals_ratio",
    "redis_bytes_per_parked_gate",
    "phases",
)
SMOKE = {"small": 2, "large": 4, "fan": 2, "decisions": 2, "requests": 5}
MEASURES = ("decision", "http", "mcp", "approvals")


def workflow(fan: int) -> Workflow:
    lines = ["name: scale", "gates:"]
    for i in range(1, fan + 1):
        check = "{name: c, builtin: coverage-targets}"
        lines.append(f"  - {{id: A{i}, checks: [{check}], approval: {{role: code-reviewer}}}}")
        lines.append(f"  - {{id: B{i}, depends_on: [A{i}], checks: [{check}]}}")
    return parse_workflow("\n".join(lines) + "\n")


def parked(control: Control) -> int:
    return int(control.state.client.zcard(control.state.keys.approvals("pending")))


@dataclass
class Load:
    """The runs in flight and the gates decided so far (the same servers for both phases)."""

    control: Control
    repo: Path
    fan: int
    runs: list[str] = field(default_factory=list)
    decided: set[tuple[str, str]] = field(default_factory=set)

    def park(self, upto: int) -> int:
        """Submit runs until ``upto`` are in flight; wait until every undecided A gate parked."""
        spec = workflow(self.fan)
        with progress() as bar:
            task = bar.add_task("submitting", total=upto - len(self.runs))
            while len(self.runs) < upto:
                self.runs.append(self.control.submit(prepare_run(self.repo, workflow=spec)))
                bar.advance(task)
            want = self.fan * len(self.runs) - len(self.decided)
            task = bar.add_task("gates parked", total=want)
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                now = parked(self.control)
                bar.update(task, completed=now)
                if now >= want:
                    return now
                time.sleep(0.5)
        raise RuntimeError(f"gates did not park in time ({parked(self.control)} of {want})")

    def decide(self, n: int, gap_s: float) -> list[float]:
        """Approve ``n`` undecided gates spread over the runs, one at a time: decision call
        returned -> the dependent's check started, in ms."""
        todo = [(r, f"A{i}") for i in range(1, self.fan + 1) for r in self.runs]
        todo = [t for t in todo if t not in self.decided]
        samples = []
        for run_id, gate in todo[:: max(1, len(todo) // max(1, n))][:n]:
            self.control.decide(run_id, gate, actor="bench", approve=True)
            returned = time.time()
            self.decided.add((run_id, gate))
            samples.append((started(self.control, run_id, "B" + gate[1:]) - returned) * 1000)
            time.sleep(gap_s)
        return samples


def started(control: Control, run_id: str, gate: str) -> float:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        result = control.store.check_results(run_id, gate).get("c")
        if result is not None and result.started_at:
            return parse_ts(result.started_at).timestamp()
        time.sleep(0.005)
    raise RuntimeError(f"the dependent {gate} of {run_id} never started")


def measure_approvals(base: str, n: int) -> list[float]:
    samples = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            response = client.get("/v1/approvals")
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
    return samples


def phase(load: Load, base: str, args: argparse.Namespace) -> dict[str, list[float]]:
    """The control plane first (every gate of the phase still parked), then the decisions."""
    probe = load.runs[len(load.runs) // 2]
    measured = {
        "http": measure_http(base, probe, args.requests),
        "mcp": asyncio.run(measure_mcp(base, probe, args.requests)),
        "approvals": measure_approvals(base, args.requests),
    }
    return {"decision": load.decide(args.decisions, args.gap_ms / 1000), **measured}


Samples = dict[str, dict[str, list[float]]]


def summary(
    args: argparse.Namespace, counts: dict[str, int], samples: Samples, per_gate: float
) -> dict[str, object]:
    out: dict[str, object] = {"small_runs": args.small, "large_runs": args.large}
    out |= {"parked_small": counts["small"], "parked_large": counts["large"]}
    for m in MEASURES:
        small, large = pct(samples["small"][m], 0.99), pct(samples["large"][m], 0.99)
        out |= {f"{m}_p99_ms_small": small, f"{m}_p99_ms_large": large}
        out[f"{m}_ratio"] = round(large / small, 2) if small else None
    out["redis_bytes_per_parked_gate"] = round(per_gate)
    out["phases"] = {
        p: {m: {"p50": pct(v, 0.5), "p99": pct(v, 0.99), "n": len(v)} for m, v in s.items()}
        for p, s in samples.items()
    }
    return out


def run(args: argparse.Namespace, tmp: Path, url: str) -> dict[str, object]:
    repo = tmp / "repo"
    repo.mkdir()
    port = free_port()
    env = env_for(url, port)
    logs = [tmp / "worker.log", tmp / "api.log"]
    worker = ["worker", "--pool", "threads", "--concurrency", "8", "--loglevel", "WARNING"]
    procs = [start(worker, env, logs[0]), start(["api"], env, logs[1])]
    base = f"http://127.0.0.1:{port}"
    try:
        wait(lambda: httpx.get(f"{base}/healthz").status_code == 200, "the API", logs)
        control = Runtime(load_settings(redis_url=url, key_prefix="bench", task_events=False)).control
        load = Load(control, repo, args.fan)
        counts, samples = {"small": load.park(args.small)}, {}
        warm = argparse.Namespace(**{**vars(args), "decisions": 0, "requests": 5})
        phase(load, base, warm)  # connections, imports and caches warm before anything counts
        samples["small"] = phase(load, base, args)
        used_before, before = control.state.client.info("memory")["used_memory"], parked(control)
        counts["large"] = load.park(args.large)
        grown = control.state.client.info("memory")["used_memory"] - used_before
        samples["large"] = phase(load, base, args)
    finally:
        stop(procs)
    return summary(args, counts, samples, grown / max(1, counts["large"] - before))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10, help="runs in flight, first phase")
    parser.add_argument("--large", type=int, default=1000, help="runs in flight, second phase")
    parser.add_argument("--fan", type=int, default=10, help="approval gates per run")
    parser.add_argument("--decisions", type=int, default=100, help="decisions measured per phase")
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind per phase")
    parser.add_argument("--gap-ms", type=float, default=20.0, help="pause after each measured decision")
    args = parse_args(parser, SMOKE)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        result = run(args, Path(tmp), server.url)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
