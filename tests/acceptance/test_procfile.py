"""Acceptance across processes: the Procfile's services, configured by environment, used over HTTP.

The API, one worker per queue class and the sweeper are started as separate OS processes from the
Procfile's own command lines against a private Redis (and, in the second variant, a private
RabbitMQ vhost with quorum queues as the broker). Everything after start-up goes through the HTTP
API with two bearer tokens: a submitter without roles and an approver holding the gates' roles.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from tests.acceptance.procfile import procfile_entries, resolve
from tests.acceptance.stack import (
    APPROVER,
    RABBITMQ,
    SERVICES,
    SUBMITTER,
    WORKER_CLASSES,
    Broker,
    Stack,
    rabbitmq_unreachable,
    rabbitmqctl,
    rabbitmqctl_path,
)
from tests.conftest import EMBEDDED_SERVER

pytestmark = pytest.mark.slow

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
# brokers and the running stack


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
    problem = "rabbitmqctl is not installed" if rabbitmqctl_path() is None else None
    if problem is None:
        created = rabbitmqctl("add_vhost", vhost)
        if created.returncode != 0:  # e.g. no access to the node's Erlang cookie
            problem = f"rabbitmqctl add_vhost failed: {(created.stderr or created.stdout).strip()[-300:]}"
    if problem is not None:  # RabbitMQ's shared default vhost would not be isolated: skip instead
        pytest.skip(f"RabbitMQ answers but a private vhost cannot be made ({problem})")
    try:
        allowed = rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        assert allowed.returncode == 0, f"rabbitmqctl set_permissions: {allowed.stdout}{allowed.stderr}"
        yield Broker("rabbitmq", {**env, "PRP_BROKER_URL": f"{RABBITMQ}/{quote(vhost, safe='')}"}, vhost)
    finally:
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a unix socket (never the machine's 127.0.0.1:6379)."""
    server = EmbeddedRedis(tmp_path / "redis", server=EMBEDDED_SERVER)
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
    # the demo has no security report: G4 passed on coverage alone, nothing verified security
    expected = ["G4-security-validation"] if "G4" in approvals else []
    assert [f["id"] for f in review["findings"]] == expected, review["findings"]
    scores = dict(review["scores"])
    assert scores.pop("security", "amber") == "amber" and set(scores.values()) == {"green"}, review["scores"]

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


def check_parked_then_refused(stack: Stack, small: str) -> None:
    """The small run parks at 'review'; the submitter (no role) is refused (403, problem+json),
    audited, and nothing changes."""
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

        check_parked_then_refused(stack, small)

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
