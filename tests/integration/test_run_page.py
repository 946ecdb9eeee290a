"""The run view: ``GET /v1/runs/{id}/graph`` and the live page at ``/runs/{id}``, in a real browser."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
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
from prp_tasks.settings import Settings
from tests.conftest import wait_until
from tests.integration.test_http_api import TOKENS, api_settings, auth, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"

DIAMOND = """
name: diamond
gates:
  - id: A
    checks: [{name: a, run: ["true"]}]
  - id: B
    depends_on: [A]
    checks: [{name: b1, run: ["true"]}, {name: b2, run: ["true"]}]
    approval: {role: code-reviewer}
  - id: C
    depends_on: [A]
    checks: [{name: c, run: ["true"]}]
  - id: D
    depends_on: [B, C]
    checks: [{name: d, run: ["true"]}]
"""

PARKED = """
name: parked
gates:
  - id: A
    name: Review
    checks: [{name: a, run: ["true"]}]
    approval: {role: code-reviewer}
  - id: B
    depends_on: [A]
    checks: [{name: b, run: ["true"]}]
"""


@pytest.fixture
def app(settings: Settings, control: Control) -> FastAPI:
    configured = api_settings(settings)
    return create_app(Runtime(configured), mount_mcp=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def graph_of(client: TestClient, run_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/runs/{run_id}/graph", headers=auth("bob"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_graph(client: TestClient, run_id: str, reached: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    wait_until(lambda: reached(graph_of(client, run_id)), timeout=30, interval=0.05)
    return graph_of(client, run_id)


def statuses(graph: dict[str, Any]) -> dict[str, str]:
    return {n["id"]: n["status"] for n in graph["nodes"]}


def test_the_graph_of_a_diamond_shows_levels_parked_gate_and_edge_states(
    client: TestClient, submit: Callable[..., str]
) -> None:
    run_id = submit(DIAMOND)
    midway = {"A": "passed", "B": "awaiting_approval", "C": "passed", "D": "pending"}
    graph = wait_graph(client, run_id, lambda g: statuses(g) == midway)
    assert (graph["run_id"], graph["workflow"], graph["status"]) == (run_id, "diamond", "awaiting_approval")
    assert [(n["id"], n["level"]) for n in graph["nodes"]] == [("A", 0), ("B", 1), ("C", 1), ("D", 2)]
    b = graph["nodes"][1]
    assert (b["checks_passed"], b["checks_total"], b["approval_role"]) == (2, 2, "code-reviewer")
    assert b["waiting_since"] and b["queue"] == "automated"
    assert [(e["source"], e["target"], e["state"]) for e in graph["edges"]] == [
        ("A", "B", "satisfied"),
        ("A", "C", "satisfied"),
        ("B", "D", "waiting"),
        ("C", "D", "satisfied"),
    ]
    decided = client.post(
        f"/v1/runs/{run_id}/gates/B/decision", json={"decision": "approve"}, headers=auth("alice")
    )
    assert decided.status_code == 200, decided.text
    final = wait_graph(client, run_id, lambda g: g["status"] == "passed")
    assert set(statuses(final).values()) == {"passed"}
    assert {e["state"] for e in final["edges"]} == {"satisfied"}


def test_the_graph_needs_a_token_and_an_existing_run(client: TestClient, submit: Callable[..., str]) -> None:
    run_id = submit(PARKED)
    missing = client.get(f"/v1/runs/{run_id}/graph")
    assert missing.status_code == 401 and missing.headers["content-type"] == "application/problem+json"
    wrong = client.get(f"/v1/runs/{run_id}/graph", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    unknown = client.get("/v1/runs/run-does-not-exist/graph", headers=auth("bob"))
    assert unknown.status_code == 404 and unknown.json()["status"] == 404
    assert client.delete(f"/v1/runs/{run_id}", headers=auth("alice")).status_code == 200


def test_the_graph_route_is_documented_and_the_page_is_not(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert paths["/v1/runs/{run_id}/graph"]["get"]["tags"] == ["runs"]
    assert "404" in paths["/v1/runs/{run_id}/graph"]["get"]["responses"]
    assert "/runs/{run_id}" not in paths


def test_the_page_loads_without_a_token_with_a_strict_policy_and_refuses_odd_ids(client: TestClient) -> None:
    page = client.get("/runs/run-abc_1.2")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    for directive in ("default-src 'none'", "connect-src 'self'", "script-src 'self'", "style-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert '<code id="run-id">run-abc_1.2</code>' in page.text and 'data-run-id="run-abc_1.2"' in page.text
    assert "http://" not in page.text  # nothing external
    placeholder = client.get("/runs/__RUN_ID_HTML__").text  # a valid id that looks like the template slot
    assert (
        'data-run-id="__RUN_ID_HTML__"' in placeholder
        and "<title>prp run __RUN_ID_HTML__</title>" in placeholder
    )
    for odd in ("a%20b", "%3Cscript%3E", "x" * 101, "..."):
        refused = client.get(f"/runs/{odd}")
        assert refused.status_code == 404, odd
        assert refused.headers["content-type"] == "application/problem+json"


class Dom(HTMLParser):
    """From a dumped page: the gates' ``data-status``, the edges' states, the header and the form."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.gates: dict[str, str] = {}
        self.edges: dict[tuple[str, str], str] = {}
        self.texts: dict[str, str] = {}
        self.login_shown = False
        self._in: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("data-gate") is not None:
            self.gates[str(found["data-gate"])] = str(found.get("data-status"))
        if found.get("data-source") is not None:
            self.edges[(str(found["data-source"]), str(found["data-target"]))] = str(found.get("data-state"))
        if found.get("id") == "login":
            self.login_shown = "hidden" not in found
        self._in = found.get("id")

    def handle_data(self, data: str) -> None:
        if self._in:
            self.texts[self._in] = self.texts.get(self._in, "") + data.strip()

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    @property
    def run_status(self) -> str:
        return self.texts.get("run-status", "")


def dump_dom(url: str, profile: Path) -> str:
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=8000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def browse_until(url: str, profile: Path, expected: dict[str, str], run_status: str) -> Dom:
    """Dump the page until it shows ``expected`` (each dump is a fresh load that polls the API)."""
    deadline = time.monotonic() + 30
    while True:
        dom = Dom(dump_dom(url, profile))
        if dom.gates == expected and dom.run_status == run_status:
            return dom
        assert time.monotonic() < deadline, f"the page shows {dom.gates} {dom.run_status!r}"
        time.sleep(0.2)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    port = free_port()
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: served.started, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        served.should_exit = True
        thread.join(timeout=10)


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs a Chromium binary (Debian: apt install chromium)"
)
def test_a_headless_browser_draws_the_live_dag_and_follows_an_approval(
    server: str,
    submit: Callable[..., str],
    control: Control,
    finish: Callable[..., Any],
    tmp_path: Path,
) -> None:
    run_id = submit(PARKED)
    wait_until(lambda: control.snapshot(run_id).gate_status("A") == "awaiting_approval", timeout=30)
    url, profile = f"{server}/runs/{run_id}", tmp_path / "chromium"
    parked = browse_until(
        f"{url}#token={TOKENS['bob'][0]}",
        profile,
        {"A": "awaiting_approval", "B": "pending"},
        "awaiting approval",
    )
    assert parked.edges == {("A", "B"): "waiting"} and not parked.login_shown
    assert parked.texts["workflow"] == "parked" and parked.texts["updated"].startswith("last updated")
    decided = httpx.post(
        f"{server}/v1/runs/{run_id}/gates/A/decision", json={"decision": "approve"}, headers=auth("alice")
    )
    assert decided.status_code == 200, decided.text
    assert finish(run_id).status == "passed"
    done = browse_until(f"{url}#token={TOKENS['bob'][0]}", profile, {"A": "passed", "B": "passed"}, "passed")
    assert done.edges == {("A", "B"): "satisfied"}


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs a Chromium binary (Debian: apt install chromium)"
)
def test_the_page_asks_for_a_token_when_it_has_none_or_the_server_refuses_it(
    server: str, submit: Callable[..., str], tmp_path: Path
) -> None:
    run_id = submit(PARKED)
    url, profile = f"{server}/runs/{run_id}", tmp_path / "chromium"
    bare = Dom(dump_dom(url, profile))
    assert bare.login_shown and bare.gates == {} and bare.run_status == "needs a token"
    refused = Dom(dump_dom(f"{url}#token=not-a-token", profile))
    assert refused.login_shown and refused.gates == {}
    assert refused.texts["error"] == "The token was refused; enter another one."
    assert httpx.delete(f"{server}/v1/runs/{run_id}", headers=auth("alice")).status_code == 200
