"""Control-plane responsiveness while gate work runs: GET /v1/runs/{id} and MCP get_prp_status.

Setup: a private redis-server; a worker process (all classes, threads pool, concurrency 20); the
API as its own process (`prp api`, uvicorn, MCP mounted at /mcp). A run of 16 independent gates
whose checks each sleep 60 s keeps 16 checks running; then N HTTP requests and N MCP tool calls
are made one after the other and their latencies recorded.

Usage: python bench/control_latency.py [--requests 300] [--smoke]
``--smoke``: 10 requests of each kind (the same setup, about ten seconds).
The last line of output is one JSON object with the keys (``JSON_KEYS``):
  requests                  requests of each kind
  checks_running            checks still running after the requests (16 when the load held)
  http_p50_ms, http_p99_ms  GET /v1/runs/{id} latency percentiles (ms)
  mcp_p50_ms, mcp_p99_ms    MCP get_prp_status latency percentiles (ms)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import httpx2
from _ui import parse_args
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.service.identity import hash_token
from prp_tasks.state.connection import connect

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-0123456789"
CHECKS = 16
JSON_KEYS = ("requests", "checks_running", "http_p50_ms", "http_p99_ms", "mcp_p50_ms", "mcp_p99_ms")
SMOKE = {"requests": 10}
WORKFLOW = {
    "name": "busy",
    "gates": [{"id": f"g{i}", "checks": [{"name": "s", "run": ["sleep", "60"]}]} for i in range(CHECKS)],
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
    tokens = [{"sha256": hash_token(TOKEN), "identity": "bench", "roles": ["code-reviewer"], "submit": True}]
    env.update(
        {
            "PRP_REDIS_URL": url,
            "PRP_KEY_PREFIX": "bench",
            "PRP_TASK_EVENTS": "false",
            "PRP_API__TOKENS": json.dumps(tokens),
            "PRP_API__PORT": str(port),
            "PRP_API__RATE_LIMIT_PER_MIN": "0",
        }
    )
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "prp_tasks.cli", *args], env=env, cwd=ROOT, stdout=out, stderr=out
        )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (a warm shutdown), SIGKILL what has not exited 30 s later."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait(predicate: object, what: str, logs: list[Path], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    tails = "".join(f"\n--- {log.name}:\n{log.read_text(errors='replace')[-2000:]}" for log in logs)
    raise RuntimeError(f"timed out waiting for {what}{tails}")


def running_checks(url: str, run_id: str) -> int:
    return len(list(connect(url).scan_iter(f"bench:run:{{{run_id}}}:lease:*")))


def measure_http(base: str, run_id: str, n: int) -> list[float]:
    samples = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(f"/v1/runs/{run_id}")
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return samples


async def measure_mcp(base: str, run_id: str, n: int) -> list[float]:
    samples = []
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http,
        Client(streamable_http_client(f"{base}/mcp/", http_client=http)) as client,
    ):
        for _ in range(n):
            started = time.perf_counter()
            result = await client.call_tool("get_prp_status", {"workflowId": run_id})
            samples.append((time.perf_counter() - started) * 1000)
            assert not result.is_error
    return samples


def measure(base: str, url: str, repo: Path, n: int, logs: list[Path]) -> dict[str, object]:
    """Load the worker with CHECKS running checks, then time n HTTP and n MCP requests."""
    wait(lambda: httpx.get(f"{base}/healthz").status_code == 200, "the API", logs)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    run_id = httpx.post(
        f"{base}/v1/runs", json={"repo": str(repo), "workflow": WORKFLOW}, headers=headers
    ).json()["run_id"]
    wait(lambda: running_checks(url, run_id) == CHECKS, f"{CHECKS} running checks", logs)
    http_ms = measure_http(base, run_id, n)
    mcp_ms = asyncio.run(measure_mcp(base, run_id, n))
    still_running = running_checks(url, run_id)
    httpx.delete(f"{base}/v1/runs/{run_id}", headers=headers)
    return {
        "requests": n,
        "checks_running": min(still_running, CHECKS),
        "http_p50_ms": pct(http_ms, 0.5),
        "http_p99_ms": pct(http_ms, 0.99),
        "mcp_p50_ms": pct(mcp_ms, 0.5),
        "mcp_p99_ms": pct(mcp_ms, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parse_args(parser, SMOKE)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        port = free_port()
        env = env_for(server.url, port)
        logs = [Path(tmp) / "worker.log", Path(tmp) / "api.log"]
        worker_args = ["worker", "--pool", "threads", "--concurrency", "20", "--loglevel", "WARNING"]
        procs = [start(worker_args, env, logs[0]), start(["api"], env, logs[1])]
        try:
            result = measure(f"http://127.0.0.1:{port}", server.url, repo, args.requests, logs)
        finally:
            stop(procs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
