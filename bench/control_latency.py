"""Control-plane responsiveness while gate work runs: GET /v1/runs/{id} and MCP get_prp_status.

Setup: a private redis-server; a worker process (all classes, threads pool, concurrency 20); the
API as its own process (`prp api`, uvicorn, MCP mounted at /mcp). A run of 16 independent gates
whose checks each sleep 60 s keeps 16 checks running; then N HTTP requests and N MCP tool calls
are made one after the other and their latencies recorded.

Usage: python bench/control_latency.py [--requests 300]
The last line of output is one JSON object.
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
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from prp_tasks.embedded import EmbeddedRedis
from prp_tasks.identity import hash_token
from prp_tasks.redis_client import connect

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-0123456789"
CHECKS = 16
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


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "prp_tasks.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait(predicate: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError("timed out waiting for the setup")


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        port = free_port()
        env = env_for(server.url, port)
        procs = [
            start(["worker", "--pool", "threads", "--concurrency", "20", "--loglevel", "WARNING"], env),
            start(["api"], env),
        ]
        base = f"http://127.0.0.1:{port}"
        try:
            wait(lambda: httpx.get(f"{base}/healthz").status_code == 200)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            run_id = httpx.post(
                f"{base}/v1/runs", json={"repo": str(repo), "workflow": WORKFLOW}, headers=headers
            ).json()["run_id"]
            wait(lambda: running_checks(server.url, run_id) == CHECKS)
            http_ms = measure_http(base, run_id, args.requests)
            mcp_ms = asyncio.run(measure_mcp(base, run_id, args.requests))
            still_running = running_checks(server.url, run_id)
            httpx.delete(f"{base}/v1/runs/{run_id}", headers=headers)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(30)
    print(
        json.dumps(
            {
                "requests": args.requests,
                "checks_running": min(still_running, CHECKS),
                "http_p50_ms": pct(http_ms, 0.5),
                "http_p99_ms": pct(http_ms, 0.99),
                "mcp_p50_ms": pct(mcp_ms, 0.5),
                "mcp_p99_ms": pct(mcp_ms, 0.99),
            }
        )
    )


if __name__ == "__main__":
    main()
