"""The run page of the built-in 8-gate workflow at 1280×800 in a real Chromium: every gate in
view, no label overflowing its box or overlapping another, no edge crossing a gate it does not
join; and the page's security headers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.http.app import create_app
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.service.layout import layered_layout
from prp_tasks.settings import Settings
from tests.conftest import wait_until
from tests.integration.test_http_api import TOKENS, api_settings, auth
from tests.integration.web_browser import chromium_page, needs_browser, serve

GEOMETRY = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
                        return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const nodes = [...document.querySelectorAll("#graph g.node")].map((g) => ({
    id: g.dataset.gate, box: box(g.querySelector("rect")),
    texts: [...g.querySelectorAll("text")].map((t) => ({text: t.textContent, box: box(t)}))}));
  const svg = document.querySelector("#graph svg"), ctm = svg.getScreenCTM();
  const edges = [...document.querySelectorAll("#graph path.edge")].map((p) => {
    const n = p.getTotalLength(), pts = [];
    for (let i = 1; i < 60; i++) {
      const q = p.getPointAtLength(n * i / 60);
      pts.push([q.x * ctm.a + ctm.e, q.y * ctm.d + ctm.f]);
    }
    return {source: p.dataset.source, target: p.dataset.target, points: pts};
  });
  return {nodes, edges, width: document.documentElement.scrollWidth};
}"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def inside(p: list[float], b: dict[str, float], margin: float = 1.0) -> bool:
    return (
        b["x"] + margin < p[0] < b["x"] + b["w"] - margin
        and b["y"] + margin < p[1] < b["y"] + b["h"] - margin
    )


def test_the_layout_of_the_builtin_workflow_fits_1280_pixels_without_crossing_a_gate() -> None:
    workflow = builtin_workflow()
    edges = [(d, g.id) for g in workflow.gates for d in g.depends_on]
    layout = layered_layout(list(workflow.gate_ids), edges)
    assert layout.width <= 1280 - 32 and layout.height < 500
    boxes = {
        n.id: {"x": n.x, "y": n.y, "w": layout.node_width, "h": layout.node_height} for n in layout.nodes
    }
    assert not [(a, b) for a in boxes for b in boxes if a < b and overlap(boxes[a], boxes[b])]
    for route in layout.edges:  # every bend lies outside the gates the edge does not join
        for point in route.points[1:-1]:
            hit = [g for g, b in boxes.items() if inside(list(point), b, -4)]
            assert not hit, (route.source, route.target, point, hit)
    ends = [tuple(r.points[-1]) for r in layout.edges if r.target == "G6"]
    assert len(set(ends)) == 6  # G6's six incoming edges enter at six different points


@pytest.fixture
def app(settings: Settings, control: Control) -> FastAPI:
    return create_app(Runtime(api_settings(settings)), mount_mcp=False)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    yield from serve(app)


@pytest.fixture
def page() -> Iterator[Any]:
    yield from chromium_page(1280, 800)


def test_the_pages_have_a_strict_policy_and_their_files_come_from_the_app(app: FastAPI) -> None:
    with TestClient(app) as client:
        for path in ("/", "/runs/run-abc_1.2"):
            page = client.get(path)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            csp = page.headers["content-security-policy"]
            assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
            assert "<script>" not in page.text and "style=" not in page.text
            assert "http://" not in page.text and "https://" not in page.text
        for name, kind in (
            ("app.css", "text/css"),
            ("common.js", "text/javascript"),
            ("run.js", "text/javascript"),
        ):
            asset = client.get(f"/static/{name}")
            assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
            assert "http://" not in asset.text.replace("http://www.w3.org/2000/svg", "")
        assert client.get("/static/../pages.py").status_code == 404
        assert client.get("/static/nope.js").status_code == 404
        assert client.get("/v1/inbox").status_code == 401
        sent = client.post(
            "/v1/inbox/decisions", json={"decision": "approve", "items": [{"run_id": "r", "gate_id": "G"}]}
        )
        assert sent.status_code == 401  # no token, no decision: nothing rides on a cookie
        stream = client.get("/v1/events/stream?token=" + TOKENS["bob"][0])
        assert stream.status_code == 401  # a token in the URL is not accepted


@needs_browser
def test_the_builtin_workflow_run_page_fits_1280_by_800_without_overlap(
    server: str, page: Any, control: Control, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    spec = prepare_run(make_repo({"README.md": "demo\n"}), workflow=builtin_workflow(), actor="submitter")
    run_id = control.submit(spec)
    page.goto(f"{server}/runs/{run_id}#token={TOKENS['bob'][0]}")
    page.wait_for_selector("#graph g.node[data-gate='G7']")
    wait_until(lambda: page.locator("#live").get_attribute("data-state") == "live", timeout=10)
    page.screenshot(path=str(tmp_path / "run-page-1280.png"))
    found = page.evaluate(GEOMETRY)
    assert found["width"] <= 1280  # no horizontal scrolling
    nodes = {n["id"]: n for n in found["nodes"]}
    assert sorted(nodes) == [f"G{i}" for i in range(8)]
    for n in nodes.values():
        b = n["box"]
        assert b["x"] >= 0 and b["x"] + b["w"] <= 1280 and b["y"] >= 0 and b["y"] + b["h"] <= 800, n
        for t in n["texts"]:  # each label inside its own gate
            assert (
                inside([t["box"]["x"] + 1, t["box"]["y"] + 1], b, 0)
                and t["box"]["x"] + t["box"]["w"] <= b["x"] + b["w"]
            ), t
    ids = sorted(nodes)
    assert not [(a, c) for a in ids for c in ids if a < c and overlap(nodes[a]["box"], nodes[c]["box"])]
    for edge in found["edges"]:
        others = [g for g in ids if g not in (edge["source"], edge["target"])]
        crossing = [(g, p) for p in edge["points"] for g in others if inside(p, nodes[g]["box"])]
        assert not crossing, (edge["source"], edge["target"], crossing[:3])
    texts = page.locator("#gates").inner_text()
    assert "checks" not in texts or " s" in texts or "ms" in texts  # human durations, not raw numbers
    assert page.problems == []
    assert httpx.delete(f"{server}/v1/runs/{run_id}", headers=auth("alice")).status_code in (200, 409)


def _frame_ids(lines: Iterator[str], wanted: int) -> list[str]:
    ids = []
    for line in lines:
        if line.startswith("id: "):
            ids.append(line[4:])
            if len(ids) == wanted:
                break
    return ids


def test_a_stream_reconnecting_with_last_event_id_gets_the_events_it_missed_once(
    server: str, control: Control, make_repo: Callable[..., Path]
) -> None:
    """The page's EventSource (or any client) sends the last id it saw when it reconnects: the
    events after it come first, in order, and none twice; a malformed id is refused, naming it."""
    text = (
        'name: events\ngates:\n  - {id: A, checks: [{name: a, run: ["true"]}]}\n'
        '  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}\n'
        '  - {id: C, checks: [{name: c, run: [sleep, "30"]}]}\n'
    )
    spec = prepare_run(make_repo(), workflow=parse_workflow(text), actor="submitter")
    first = control.recent_events(1)
    control.submit(spec)
    wait_until(lambda: len(control.events_since(first[-1][0] if first else "0-0", 100)) >= 6, timeout=30)
    missed = control.events_since(first[-1][0] if first else "0-0", 100)
    last, expected = missed[1][0], [entry_id for entry_id, _ in missed[2:]]
    headers = auth("bob") | {"Last-Event-ID": last}
    with httpx.stream("GET", f"{server}/v1/events/stream", headers=headers, timeout=10) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        assert _frame_ids(lines, len(expected)) == expected
        control.cancel(spec.run_id, "test")  # new events, after the missed ones
        later = _frame_ids(lines, 2)
    sent = [*expected, *later]
    assert sorted(sent, key=lambda i: tuple(map(int, i.split("-")))) == sent and len(set(sent)) == len(sent)
    bad = httpx.get(f"{server}/v1/events/stream", headers=auth("bob") | {"Last-Event-ID": "yesterday"})
    assert bad.status_code == 400 and "Last-Event-ID" in bad.text
