"""The Procfile's services as one test's stack: brokers, processes, HTTP clients per token."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from prp_tasks.service.identity import hash_token
from tests.acceptance.procfile import ProcfileProcesses

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672"
#: Procfile entries this test runs (flower and metrics are not part of the workflow path)
SERVICES = ("api", "worker-automated", "worker-approval", "worker-control", "sweeper")
WORKER_CLASSES = ("automated", "approval", "control")
FINAL = ("passed", "failed", "cancelled")

SUBMITTER, APPROVER = "release-bot", "olivia"
#: the approver roles of the built-in workflow G0-G7 (and code-reviewer for the inline workflow)
BUILTIN_ROLES = ["product-owner", "architect", "qa-lead", "code-reviewer", "maintainer", "release-manager"]

# ------------------------------------------------------------------------------------------------
# brokers


def rabbitmq_unreachable() -> str | None:
    """Why RabbitMQ cannot be used here, or None when it answers on 127.0.0.1:5672."""
    import kombu

    conn = kombu.Connection(f"{RABBITMQ}//", connect_timeout=2)
    try:
        conn.connect()
    except Exception as exc:
        return f"RabbitMQ is not reachable at 127.0.0.1:5672 ({type(exc).__name__}: {exc})"
    finally:
        conn.release()
    return None


def rabbitmqctl_path() -> str | None:
    """RabbitMQ's control tool: on PATH, or where Debian and others install it (sbin is often not
    on a user's PATH)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    return shutil.which("rabbitmqctl", path=search)


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    tool = rabbitmqctl_path() or "rabbitmqctl"
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60, check=False)


@dataclass
class Broker:
    kind: str
    env: dict[str, str] = field(default_factory=dict)
    #: the private RabbitMQ vhost (None: Redis, or rabbitmqctl unavailable so the default vhost)
    vhost: str | None = None


# ------------------------------------------------------------------------------------------------
# the running stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def token_config(tokens: dict[str, tuple[str, list[str], bool]]) -> str:
    """PRP_API__TOKENS: the tokens' sha256 only, never the tokens themselves."""
    return json.dumps(
        [
            {"sha256": hash_token(token), "identity": identity, "roles": roles, "submit": submit}
            for identity, (token, roles, submit) in tokens.items()
        ]
    )


class Stack:
    """The Procfile's services for one test, and an HTTP client per token."""

    def __init__(self, tmp_path: Path, redis_url: str, broker: Broker) -> None:
        self.broker = broker
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.tokens = {
            SUBMITTER: (f"sub-{secrets.token_urlsafe(24)}", [], True),
            APPROVER: (f"apr-{secrets.token_urlsafe(24)}", BUILTIN_ROLES, False),
        }
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
        self.env.update(
            {
                "PRP_REDIS_URL": redis_url,
                "PRP_KEY_PREFIX": f"pf{secrets.token_hex(3)}",
                "PRP_API__PORT": str(self.port),
                "PRP_API__TOKENS": token_config(self.tokens),
                "PRP_TASK_EVENTS": "false",
                "PRP_WORKSPACE__CACHE_DIR": str(tmp_path / "workspaces"),
                **broker.env,
            }
        )
        self.procs = ProcfileProcesses(self.env, tmp_path / "logs")
        self.clients = {
            who: httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {tok}"}, timeout=10)
            for who, (tok, _, _) in self.tokens.items()
        }
        self.anonymous = httpx.Client(base_url=self.base_url, timeout=5)
        #: seconds from the first process start (start-up) or from the first submission (runs)
        self.timings: dict[str, float] = {}

    def close(self) -> None:
        try:
            self.procs.stop()
        finally:
            for client in [*self.clients.values(), self.anonymous]:
                client.close()

    @contextlib.contextmanager
    def explained(self) -> Iterator[None]:
        """Any failure inside carries the tails of every service's stdout/stderr."""
        try:
            yield
        except Exception as exc:
            raise AssertionError(
                f"{type(exc).__name__}: {exc}\n\nservice logs ({self.procs.log_dir}):\n{self.procs.tails()}"
            ) from exc

    def wait_for(
        self, what: str, predicate: Callable[[], bool], timeout: float, interval: float = 0.2
    ) -> None:
        """Poll ``predicate``; fail early, naming it, if a service process exits meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            exited = self.procs.exited()
            assert not exited, f"service(s) exited while waiting for {what}: {exited}"
            with contextlib.suppress(httpx.TransportError):
                if predicate():
                    return
            assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
            time.sleep(interval)

    # start-up -----------------------------------------------------------------------------------

    def start(self) -> None:
        began = time.monotonic()
        for name in SERVICES:
            self.procs.start(name)
        self.wait_for("GET /healthz = 200", lambda: self.anonymous.get("/healthz").status_code == 200, 30)
        self.timings["healthz"] = time.monotonic() - began
        self.wait_workers_healthy(timeout=40)
        self.timings["workers healthy"] = time.monotonic() - began

    def wait_workers_healthy(self, timeout: float) -> None:
        """``prp worker-check CLASS`` (default node ``CLASS@<host>``) exits 0 for every class."""
        deadline = time.monotonic() + timeout
        pending, last = set(WORKER_CLASSES), {}
        while pending:
            for cls, (healthy, output) in self.procs.worker_checks(pending, timeout=30).items():
                last[cls] = output
                if healthy:
                    pending.discard(cls)
            exited = self.procs.exited()
            assert not exited, f"service(s) exited at start-up: {exited}"
            assert not pending or time.monotonic() < deadline, (
                f"workers not healthy within {timeout}s: {last}"
            )
            if pending:
                time.sleep(0.5)
        expected_node = f"automated@{socket.gethostname()}"
        assert expected_node in last["automated"], last["automated"]

    # HTTP ---------------------------------------------------------------------------------------

    def http(self, who: str) -> httpx.Client:
        return self.clients[who]

    def submit(self, body: dict[str, Any]) -> str:
        created = self.http(SUBMITTER).post("/v1/runs", json=body)
        assert created.status_code == 201, created.text
        run_id: str = created.json()["run_id"]
        return run_id

    def view(self, run_id: str) -> dict[str, Any]:
        response = self.http(APPROVER).get(f"/v1/runs/{run_id}")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    def decide(self, run_id: str, gate: str, who: str, decision: str = "approve") -> httpx.Response:
        return self.http(who).post(
            f"/v1/runs/{run_id}/gates/{gate}/decision",
            json={"decision": decision, "rationale": f"{gate} looks right to {who}"},
        )

    def drive(self, run_id: str, timeout: float) -> tuple[dict[str, Any], list[str]]:
        """Approve every gate as it parks, as the approver, until the run is final."""
        approved: list[str] = []
        final: dict[str, Any] = {}

        def step() -> bool:
            view = self.view(run_id)
            if view["status"] in FINAL:
                final.update(view)
                return True
            for gate in view["gates"]:
                if gate["status"] == "awaiting_approval" and gate["id"] not in approved:
                    decided = self.decide(run_id, gate["id"], APPROVER)
                    assert decided.status_code == 200, decided.text
                    assert decided.json()["outcome"] == "approved", decided.text
                    approved.append(gate["id"])
            return False

        self.wait_for(f"run {run_id} to finish", step, timeout, interval=0.25)
        return final, approved

    def output(self, run_id: str, name: str) -> str:
        response = self.http(SUBMITTER).get(f"/v1/runs/{run_id}/outputs/{name}")
        assert response.status_code == 200, f"{name}: {response.status_code} {response.text}"
        return response.text
