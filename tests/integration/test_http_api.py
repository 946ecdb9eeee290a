"""The HTTP API through the ASGI test client (and once over a real uvicorn socket)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.http.app import create_app
from prp_tasks.service.control import Control
from prp_tasks.service.identity import hash_token
from prp_tasks.settings import ApiToken, Settings
from tests.conftest import ROOT, wait_until

TOKENS = {
    "alice": ("tok-alice-0123456789", ["code-reviewer"], True),
    "carol": ("tok-carol-0123456789", ["code-reviewer"], False),
    "bob": ("tok-bob-0123456789", ["qa-lead"], False),
    "rita": ("tok-rita-0123456789", [], False),  # only the rate-limit test uses her
}

WORKFLOW = {
    "name": "api-flow",
    "gates": [
        {
            "id": "A",
            "checks": [{"name": "a", "run": ["true"]}],
            "approval": {"role": "code-reviewer", "quorum": 2},
        },
        {"id": "B", "depends_on": ["A"], "checks": [{"name": "b", "run": ["true"]}]},
    ],
}


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who][0]}"}


def api_settings(settings: Settings, **api: Any) -> Settings:
    tokens = tuple(
        ApiToken(sha256=hash_token(tok), identity=name, roles=tuple(roles), submit=submit)  # type: ignore[arg-type]
        for name, (tok, roles, submit) in TOKENS.items()
    )
    return settings.model_copy(update={"api": settings.api.model_copy(update={"tokens": tokens, **api})})


@pytest.fixture
def app(settings: Settings, control: Control) -> FastAPI:
    configured = api_settings(settings)
    return create_app(Runtime(configured))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def repo(make_repo: Any) -> Path:
    path: Path = make_repo()
    return path


def submit(client: TestClient, repo: Path, **extra: Any) -> httpx.Response:
    return client.post(
        "/v1/runs", json={"repo": str(repo), "workflow": WORKFLOW, **extra}, headers=auth("alice")
    )


def wait_status(client: TestClient, run_id: str, gate: str, status: str) -> dict[str, Any]:
    def reached() -> bool:
        view = client.get(f"/v1/runs/{run_id}", headers=auth("bob")).json()
        return any(g["id"] == gate and g["status"] == status for g in view["gates"])

    wait_until(reached, timeout=30, interval=0.05)
    return dict(client.get(f"/v1/runs/{run_id}", headers=auth("bob")).json())


def test_a_service_submits_approves_with_two_tokens_and_downloads_prp_md(
    client: TestClient, repo: Path
) -> None:
    created = submit(client, repo)
    assert created.status_code == 201, created.text
    run_id = created.json()["run_id"]
    view = wait_status(client, run_id, "A", "awaiting_approval")
    assert [(g["id"], g["status"]) for g in view["active_gates"]] == [("A", "awaiting_approval")]
    assert view["active_gates"][0]["since"]
    first = client.post(
        f"/v1/runs/{run_id}/gates/A/decision", json={"decision": "approve"}, headers=auth("alice")
    )
    assert first.json()["outcome"] == "counted"
    second = client.post(
        f"/v1/runs/{run_id}/gates/A/decision",
        json={"decision": "approve", "rationale": "ok"},
        headers=auth("carol"),
    )
    assert second.json()["outcome"] == "approved", second.text
    wait_until(
        lambda: client.get(f"/v1/runs/{run_id}", headers=auth("bob")).json()["status"] == "passed", timeout=30
    )
    prp_md = client.get(f"/v1/runs/{run_id}/outputs/prp.md", headers=auth("bob"))
    assert prp_md.status_code == 200 and prp_md.text.startswith("# PRP Document")
    assert prp_md.headers["content-type"].startswith("text/markdown")
    audit = client.get(f"/v1/runs/{run_id}/audit", headers=auth("bob")).json()["events"]
    decided = [e for e in audit if e["type"] in ("approval.vote", "approval.decided")]
    assert [(e["actor"], e["channel"]) for e in decided] == [("alice", "http"), ("carol", "http")]


def test_refusals_have_documented_status_codes_and_change_nothing(
    client: TestClient, repo: Path, control: Control
) -> None:
    runs_before = control.store.redis.zcard(control.store.keys.runs)
    body = {"repo": str(repo), "workflow": WORKFLOW}
    cases = [
        (client.post("/v1/runs", json=body), 401),
        (client.post("/v1/runs", json=body, headers={"Authorization": "Bearer nope"}), 401),
        (client.post("/v1/runs", json=body, headers=auth("bob")), 403),
        (client.post("/v1/runs", json={**body, "repo_typo": 1}, headers=auth("alice")), 422),
        (
            client.post(
                "/v1/runs",
                content=b"{" + b" " * 300_000 + b"}",
                headers={**auth("alice"), "content-type": "application/json"},
            ),
            413,
        ),
        (
            client.post(
                "/v1/runs", json={**body, "workflow": {"name": "x", "gates": []}}, headers=auth("alice")
            ),
            400,
        ),
    ]
    for response, status in cases:
        assert response.status_code == status, (status, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status
    assert cases[0][0].headers["www-authenticate"] == "Bearer"
    assert "repo_typo" in cases[3][0].json()["detail"]
    assert control.store.redis.zcard(control.store.keys.runs) == runs_before


def test_a_token_lacking_the_gates_role_cannot_decide(
    client: TestClient, repo: Path, control: Control
) -> None:
    run_id = submit(client, repo).json()["run_id"]
    wait_status(client, run_id, "A", "awaiting_approval")
    refused = client.post(
        f"/v1/runs/{run_id}/gates/A/decision", json={"decision": "approve"}, headers=auth("bob")
    )
    assert refused.status_code == 403
    assert (
        "bob may not decide this gate: it needs code-reviewer (bob has qa-lead)" in refused.json()["detail"]
    )
    assert control.engine.approvals.astore.votes(run_id, "A") == 0
    client.delete(f"/v1/runs/{run_id}", headers=auth("alice"))


def test_the_same_idempotency_key_returns_the_same_run(client: TestClient, repo: Path) -> None:
    first = submit(client, repo, idempotency_key="deploy-42")
    again = submit(client, repo, idempotency_key="deploy-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["run_id"] == again.json()["run_id"] and again.json()["created"] is False
    other = client.post(
        "/v1/runs", json={"repo": str(repo), "idempotency_key": "deploy-42"}, headers=auth("alice")
    )
    assert other.status_code == 409
    client.delete(f"/v1/runs/{first.json()['run_id']}", headers=auth("alice"))


def test_runs_are_listed_newest_first_with_filters_and_pages(client: TestClient, repo: Path) -> None:
    ids = [submit(client, repo).json()["run_id"] for _ in range(3)]
    for run_id in ids:
        client.delete(f"/v1/runs/{run_id}", headers=auth("alice"))
    page = client.get("/v1/runs", params={"limit": 2, "status": "cancelled"}, headers=auth("bob")).json()
    assert [r["run_id"] for r in page["items"]] == ids[::-1][:2]
    rest = client.get(
        "/v1/runs",
        params={"limit": 2, "status": "cancelled", "cursor": page["next_cursor"]},
        headers=auth("bob"),
    ).json()
    assert rest["items"][0]["run_id"] == ids[0]
    for bad in ({"since": "not-a-time"}, {"since": "2026-12-04"}, {"status": "bogus"}, {"statuss": "x"}):
        refused = client.get("/v1/runs", params=bad, headers=auth("bob"))
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
    unknown = client.get("/v1/runs", params={"statuss": "x"}, headers=auth("bob")).json()["detail"]
    assert "statuss" in unknown and "accepted: cursor, idempotency_key, limit" in unknown
    since = client.get("/v1/runs", params={"since": "2000-01-01T00:00:00Z"}, headers=auth("bob"))
    assert since.status_code == 200 and len(since.json()["items"]) >= 3


def test_a_run_is_found_by_the_idempotency_key_of_its_submission(client: TestClient, repo: Path) -> None:
    first = submit(client, repo, idempotency_key="find-me-7")
    run_id = first.json()["run_id"]
    found = client.get("/v1/runs", params={"idempotency_key": "find-me-7"}, headers=auth("bob")).json()
    assert [r["run_id"] for r in found["items"]] == [run_id] and found["next_cursor"] is None
    assert found["items"][0]["a2a_state"] in ("working", "input-required")
    none = client.get("/v1/runs", params={"idempotency_key": "never-used"}, headers=auth("bob")).json()
    assert none["items"] == []
    client.delete(f"/v1/runs/{run_id}", headers=auth("alice"))


def test_the_list_says_the_status_the_run_view_says(client: TestClient, repo: Path) -> None:
    run_id = submit(client, repo).json()["run_id"]
    wait_until(
        lambda: client.get(f"/v1/runs/{run_id}", headers=auth("bob")).json()["status"] == "awaiting_approval"
    )
    listed = client.get("/v1/runs", params={"status": "awaiting_approval"}, headers=auth("bob")).json()
    row = next(r for r in listed["items"] if r["run_id"] == run_id)
    assert (row["status"], row["a2a_state"]) == ("awaiting_approval", "input-required")
    client.delete(f"/v1/runs/{run_id}", headers=auth("alice"))


def test_methods_are_answered_per_resource_with_a_complete_allow(client: TestClient) -> None:
    options = client.options("/v1/runs/run-x")
    assert (options.status_code, options.headers["allow"]) == (204, "DELETE, GET, HEAD, OPTIONS")
    put = client.put("/v1/runs/run-x", headers=auth("bob"))
    assert (put.status_code, put.headers["allow"]) == (405, "DELETE, GET, HEAD, OPTIONS")
    assert put.headers["content-type"] == "application/problem+json"
    head = client.head("/healthz")
    assert head.status_code == 200 and head.content == b""
    assert client.options("/v1/runs").headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_bodies_are_as_strict_as_the_schema_says(client: TestClient, repo: Path) -> None:
    for body in (
        {},
        {"repo": None},
        {"repo": str(repo), "strict": 0},
        {"repo": str(repo), "auto_approve": "yes"},
    ):
        refused = client.post("/v1/runs", json=body, headers=auth("alice"))
        assert refused.status_code in (400, 422), body
        assert refused.headers["content-type"] == "application/problem+json"
    batch = client.post(
        "/v1/approvals/batch", json={"decision": "approve", "include_upcoming": 0}, headers=auth("bob")
    )
    assert batch.status_code == 422 and "include_upcoming" in batch.json()["detail"]


def test_outputs_refuse_path_traversal_and_unknown_names(client: TestClient, repo: Path) -> None:
    run_id = submit(client, repo).json()["run_id"]
    for name in ("a/b.md", "%2e%2e%2fsecret", "%2e%2e", ".hidden/x"):
        response = client.get(f"/v1/runs/{run_id}/outputs/{name}", headers=auth("bob"))
        assert response.status_code == 400, name
        assert "must be a plain file name" in response.json()["detail"]
    missing = client.get(f"/v1/runs/{run_id}/outputs/prp.md", headers=auth("bob"))
    assert missing.status_code == 404 and "not finished" in missing.json()["detail"]
    client.delete(f"/v1/runs/{run_id}", headers=auth("alice"))


def test_cancel_rerun_batch_and_listing_pending_approvals(client: TestClient, repo: Path) -> None:
    run_id = submit(client, repo).json()["run_id"]
    wait_status(client, run_id, "A", "awaiting_approval")
    pending = client.get("/v1/approvals", params={"role": "code-reviewer"}, headers=auth("bob")).json()
    assert any(p["run_id"] == run_id and p["gate_id"] == "A" for p in pending)
    batch = client.post(
        "/v1/approvals/batch",
        json={"runs": [run_id], "decision": "reject", "rationale": "no"},
        headers=auth("alice"),
    ).json()
    assert [(r["gate_id"], r["outcome"]) for r in batch["results"]] == [("A", "rejected")]
    wait_until(lambda: client.get(f"/v1/runs/{run_id}", headers=auth("bob")).json()["status"] == "failed")
    refused = client.post(f"/v1/runs/{run_id}/gates/A/rerun", json={}, headers=auth("alice"))
    assert refused.status_code == 409 and "pass force" in refused.json()["detail"]
    rerun = client.post(f"/v1/runs/{run_id}/gates/A/rerun", json={"force": True}, headers=auth("alice"))
    assert rerun.json()["reopened"] == ["A", "B"]
    wait_status(client, run_id, "A", "awaiting_approval")
    cancelled = client.delete(f"/v1/runs/{run_id}", headers=auth("alice")).json()
    again = client.delete(f"/v1/runs/{run_id}", headers=auth("alice")).json()
    assert (cancelled["cancelled"], again["cancelled"]) == (True, False)
    assert client.delete(f"/v1/runs/{run_id}", headers=auth("bob")).status_code == 403


def test_the_pending_list_is_paged(client: TestClient, repo: Path) -> None:
    runs = [submit(client, repo).json()["run_id"] for _ in range(3)]
    for run_id in runs:
        wait_status(client, run_id, "A", "awaiting_approval")
    mine, offset, requested = [], 0, []
    while page := client.get(
        "/v1/approvals", params={"limit": 2, "offset": offset}, headers=auth("bob")
    ).json():
        assert len(page) <= 2
        mine += [(p["run_id"], p["gate_id"]) for p in page if p["run_id"] in runs]
        requested += [p["requested_at"] for p in page]
        offset += len(page)
    # each once, oldest request first (the runs' checks finish, and their gates park, in any order)
    assert sorted(mine) == sorted((r, "A") for r in runs) and len(mine) == len(runs)
    assert requested == sorted(requested)
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        assert client.get("/v1/approvals", params=bad, headers=auth("bob")).status_code == 422, bad
    for run_id in runs:
        client.delete(f"/v1/runs/{run_id}", headers=auth("alice"))


def test_requests_over_the_rate_limit_get_429(settings: Settings, control: Control, repo: Path) -> None:
    configured = api_settings(settings, rate_limit_per_min=3)
    with TestClient(create_app(Runtime(configured), mount_mcp=False)) as client:
        codes = [client.get("/v1/approvals", headers=auth("rita")).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "redis": True, "detail": None}


def test_the_openapi_document_is_generated_and_checked_in(app: FastAPI) -> None:
    checked_in = json.loads((ROOT / "docs" / "openapi.json").read_text())
    generated = json.loads(json.dumps(app.openapi(), sort_keys=True))
    assert generated == checked_in, "run `prp api openapi > docs/openapi.json` and review the diff"


def raw_get(port: int, path: str, headers: dict[str, str]) -> str:
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = conn.recv(65536).decode(errors="replace")
    return data.splitlines()[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_api_answers_over_a_real_uvicorn_socket(app: FastAPI, repo: Path) -> None:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=20)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz").status_code == 200
        created = httpx.post(
            f"{base}/v1/runs", json={"repo": str(repo), "workflow": WORKFLOW}, headers=auth("alice")
        )
        run_id = created.json()["run_id"]
        assert httpx.get(f"{base}/v1/runs/{run_id}", headers=auth("bob")).json()["run_id"] == run_id
        assert httpx.delete(f"{base}/v1/runs/{run_id}", headers=auth("alice")).json()["cancelled"] is True
        # a raw request line keeps its dot segments (clients normalise them away)
        status_line = raw_get(port, f"/v1/runs/{run_id}/outputs/../../etc/passwd", auth("bob"))
        assert status_line.startswith("HTTP/1.1 400")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        time.sleep(0.1)


def test_the_document_declares_each_error_with_the_media_type_it_is_sent_with(app: FastAPI) -> None:
    document = app.openapi()
    declared = {
        (path, method, code): next(iter(response.get("content", {})), None)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for code, response in operation["responses"].items()
        if code[0] in "45"
    }
    assert declared[("/healthz", "get", "503")] == "application/json"  # the Health body
    others = {key: media for key, media in declared.items() if key[0] != "/healthz"}
    assert len(others) > 50 and set(others.values()) == {"application/problem+json"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_callers_trace_context_is_kept_with_the_run_and_a_malformed_one_is_ignored(
    client: TestClient, repo: Path, control: Control
) -> None:
    traced = client.post(
        "/v1/runs",
        json={"repo": str(repo), "workflow": WORKFLOW},
        headers={**auth("alice"), "traceparent": CALLER.upper()},
    )
    assert traced.status_code == 201, traced.text
    assert control.store.spec(traced.json()["run_id"]).caller_trace == CALLER
    for header in ("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "rubbish"):
        plain = client.post(
            "/v1/runs",
            json={"repo": str(repo), "workflow": WORKFLOW},
            headers={**auth("alice"), "traceparent": header},
        )
        assert plain.status_code == 201, plain.text  # W3C: a bad header is ignored, not refused
        assert control.store.spec(plain.json()["run_id"]).caller_trace is None
