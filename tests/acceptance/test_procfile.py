"""Acceptance across processes: the Procfile's services, configured by environment, used over HTTP.

The API, one worker per queue class and the sweeper are started as separate OS processes from the
Procfile's own command lines against a private Redis (and, in the second variant, a private
RabbitMQ vhost with quorum queues as the broker). Everything after start-up goes through the HTTP
API with two bearer tokens: a submitter without roles and an approver holding the gates' roles.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from prp_tasks.embedded import EmbeddedRedis
from prp_tasks.identity import hash_token
from tests.acceptance.procfile import ProcfileProcesses, procfile_entries, resolve

pytestmark = pytest.mark.slow

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672"
#: Procfile entries this test runs (flower and metrics are not part of the workflow path)
SERVICES = ("api", "worker-automated", "worker-approval", "worker-control", "sweeper")
WORKER_CLASSES = ("automated", "approval", "control")
FINAL = ("passed", "failed", "cancelled")

SUBMITTER, APPROVER = "release-bot", "olivia"
#: the approver roles of the built-in workflow G0-G7 (and code-reviewer for the inline workflow)
BUILTIN_ROLES = ["product-owner", "architect", "qa-lead", "code-reviewer", "maintainer", "release-manager"]

#: three gates of real commands; the second needs the file the first produces and waits for a human
WORKFLOW: dict[str, Any] = {
    "name": "procfile-flow",
    "gates": [
        {
            "id": "build",
            "checks": [
                {"name": "compile", "run": ["python", "-m", "compileall", "-q", "src"]},
                {
                    "name": "report",
                    "run": [
                        "python",
                        "-c",
                        "import os; os.makedirs('build', exist_ok=True); "
                        "open('build/report.txt', 'w').write('built ok')",
                    ],
                    "produces": ["build/report.txt"],
                },
            ],
        },
        {
            "id": "review",
            "depends_on": ["build"],
            "checks": [
                {
                    "name": "read-report",
                    "run": ["python", "-c", "assert open('build/report.txt').read() == 'built ok'"],
                    "needs": ["build/report.txt"],
                },
                {
                    "name": "unit",
                    "run": [
                        "python",
                        "-c",
                        "import sys; sys.path.insert(0, 'src'); import calc; assert calc.add(2, 3) == 5",
                    ],
                },
            ],
            "approval": {"role": "code-reviewer"},
        },
        {
            "id": "package",
            "depends_on": ["review"],
            "checks": [
                {
                    "name": "exists",
                    "run": ["python", "-c", "import pathlib; assert pathlib.Path('src/calc.py').is_file()"],
                }
            ],
        },
    ],
}


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


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60, check=False)


@dataclass
class Broker:
    kind: str
    env: dict[str, str] = field(default_factory=dict)
    #: the private RabbitMQ vhost (None: Redis, or rabbitmqctl unavailable so the default vhost)
    vhost: str | None = None


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    if request.param == "redis":
        yield Broker("redis")  # PRP_BROKER_URL unset: the state Redis is the broker
        return
    reason = rabbitmq_unreachable()
    if reason is not None:
        pytest.skip(reason)
    env = {"PRP_BROKER_QUORUM_QUEUES": "true"}
    vhost = f"prp-test-{secrets.token_hex(4)}"
    problem = "rabbitmqctl is not on PATH" if shutil.which("rabbitmqctl") is None else None
    if problem is None:
        created = rabbitmqctl("add_vhost", vhost)
        if created.returncode != 0:  # e.g. no access to the node's Erlang cookie
            problem = f"rabbitmqctl add_vhost failed: {(created.stderr or created.stdout).strip()[-300:]}"
    if problem is not None:
        # Fallback: RabbitMQ's default vhost "/". Not isolated: prp.* queues that someone else
        # declared there (e.g. as classic queues) make the quorum declaration fail, messages left
        # in them reach our workers, and our durable quorum queues stay behind after the test.
        warnings.warn(f"{problem}: using RabbitMQ's default vhost '/'", stacklevel=1)
        yield Broker("rabbitmq", {**env, "PRP_BROKER_URL": f"{RABBITMQ}//"})
        return
    try:
        allowed = rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        assert allowed.returncode == 0, f"rabbitmqctl set_permissions: {allowed.stdout}{allowed.stderr}"
        yield Broker("rabbitmq", {**env, "PRP_BROKER_URL": f"{RABBITMQ}/{quote(vhost, safe='')}"}, vhost)
    finally:
        rabbitmqctl("delete_vhost", vhost)


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


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a unix socket (never the machine's 127.0.0.1:6379)."""
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def stack(tmp_path: Path, redis_url: str, broker: Broker) -> Iterator[Stack]:
    running = Stack(tmp_path, redis_url, broker)
    try:
        with running.explained():
            running.start()
        yield running
    finally:
        running.close()


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "calc-repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "calc.py").write_text("def add(a: int, b: int) -> int:\n    return a + b\n")
    return repo


# ------------------------------------------------------------------------------------------------
# checks of a finished run


def check_outputs(stack: Stack, run_id: str, approvals: dict[str, str]) -> None:
    """prp.md, review.json, run-manifest.json and the graph of a run that passed."""
    prp_md = stack.output(run_id, "prp.md")
    assert prp_md.startswith("# PRP Document"), prp_md[:200]
    decisions = prp_md.split("## 10. Decisions & Approvals", 1)[1].split("## 11.", 1)[0]
    for gate, role in approvals.items():
        assert f"approved by {APPROVER} ({role}, via http)" in decisions, (gate, decisions)
    assert decisions.count(f"by {APPROVER} (") == len(approvals), decisions
    assert SUBMITTER not in decisions, decisions

    review = json.loads(stack.output(run_id, "review.json"))
    assert review["schema"] == "com.cortex.review/v1" and review["runId"] == run_id, review
    assert review["findings"] == [], review["findings"]
    assert review["scores"] and set(review["scores"].values()) == {"green"}, review["scores"]

    manifest = json.loads(stack.output(run_id, "run-manifest.json"))
    assert manifest["summary"]["status"] == "completed", manifest["summary"]
    assert manifest["actor"] == SUBMITTER, manifest["actor"]

    graph = stack.http(APPROVER).get(f"/v1/runs/{run_id}/graph")
    assert graph.status_code == 200, graph.text
    body = graph.json()
    assert body["run_id"] == run_id and body["status"] == "passed", body
    assert {n["id"]: n["status"] for n in body["nodes"]} == dict.fromkeys(
        [g["id"] for g in stack.view(run_id)["gates"]], "passed"
    )
    assert body["edges"] and {e["state"] for e in body["edges"]} == {"satisfied"}, body["edges"]


def check_approvals(view: dict[str, Any], approvals: dict[str, str]) -> None:
    """The run view records each decision as the approver's, over HTTP, in the gate's role."""
    recorded = {g["id"]: g["approval"] for g in view["gates"] if g["approval"] is not None}
    assert set(recorded) == set(approvals), recorded
    for gate, approval in recorded.items():
        assert (approval["actor"], approval["channel"], approval["role"]) == (
            APPROVER,
            "http",
            approvals[gate],
        )


def check_quorum_queues(vhost: str) -> None:
    """The queue classes are quorum queues in the private vhost, each consumed by its worker."""
    names = [f"prp.{c}" for c in WORKER_CLASSES]
    listed = rabbitmqctl("list_queues", "-p", vhost, "name", "type", "consumers", "--formatter", "json")
    assert listed.returncode == 0, listed.stderr
    queues = {q["name"]: (q["type"], q["consumers"] > 0) for q in json.loads(listed.stdout)}
    assert {name: queues.get(name) for name in names} == dict.fromkeys(names, ("quorum", True)), queues


def check_real_demo_checks(view: dict[str, Any]) -> None:
    """G3 really ran the demo's tests, ruff and mypy; G4 read the coverage.xml the tests wrote."""
    checks = {(g["id"], c["name"]): c for g in view["gates"] for c in g["checks"]}
    expected = {
        ("G3", "run-test"): "passed",
        ("G3", "run-lint"): "All checks passed!",
        ("G3", "run-type-check"): "Success: no issues found",
        ("G4", "coverage-validation"): "coverage.xml",
    }
    for key, text in expected.items():
        check = checks[key]
        assert check["status"] == "pass" and text in check["output"], (key, check)


# ------------------------------------------------------------------------------------------------


def test_the_procfile_lines_resolve_to_runnable_commands() -> None:
    entries = procfile_entries()
    assert set(SERVICES) <= set(entries), entries
    for name in SERVICES:
        argv = resolve(entries[name])
        assert argv[0] == sys.executable, (name, argv)
    assert resolve(entries["worker-approval"])[1:] == ["workers/worker.py", "approval"]


def test_the_procfile_services_run_workflows_approved_over_http(
    stack: Stack, small_repo: Path, demo: Path
) -> None:
    started = time.monotonic()
    with stack.explained():
        # both runs go in at once: the demo's checks run while the small run waits for a human
        small = stack.submit({"repo": str(small_repo), "workflow": WORKFLOW})
        builtin = stack.submit({"repo": str(demo)})
        refused_submit = stack.http(APPROVER).post("/v1/runs", json={"repo": str(small_repo)})
        assert refused_submit.status_code == 403, refused_submit.text

        stack.wait_for(
            f"{small} to park at 'review'",
            lambda: stack.view(small)["status"] == "awaiting_approval",
            timeout=30,
        )
        parked = stack.view(small)
        assert [(g["id"], g["status"]) for g in parked["active_gates"]] == [("review", "awaiting_approval")]
        assert {g["id"]: g["status"] for g in parked["gates"]} == {
            "build": "passed",
            "review": "awaiting_approval",
            "package": "pending",
        }

        # the submitter holds no role: refused (403, problem+json), audited, nothing changes
        refused = stack.decide(small, "review", SUBMITTER)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["status"] == 403
        assert stack.view(small)["gates"][1]["status"] == "awaiting_approval"
        audit = stack.http(APPROVER).get(f"/v1/runs/{small}/audit").json()["events"]
        assert any(e["type"] == "approval.refused" and e["actor"] == SUBMITTER for e in audit), audit

        final, approved = stack.drive(small, timeout=20)
        stack.timings["small run passed"] = time.monotonic() - started
        assert final["status"] == "passed", final
        assert approved == ["review"]
        check_approvals(final, {"review": "code-reviewer"})
        check_outputs(stack, small, {"review": "code-reviewer"})

        final, approved = stack.drive(builtin, timeout=60)
        gates = {g["id"]: (g["status"], g["reason"]) for g in final["gates"]}
        assert final["status"] == "passed", gates
        roles = {g["id"]: g["approval_role"] for g in final["gates"]}
        assert sorted(approved) == [f"G{i}" for i in range(8)]
        check_approvals(final, roles)
        check_outputs(stack, builtin, roles)
        check_real_demo_checks(final)
        stack.timings["both runs passed"] = time.monotonic() - started

        if stack.broker.vhost is not None:
            check_quorum_queues(stack.broker.vhost)
        assert not stack.procs.exited(), stack.procs.exited()  # every service survived the runs
    print(f"[{stack.broker.kind}] " + ", ".join(f"{k} {v:.1f}s" for k, v in stack.timings.items()))
