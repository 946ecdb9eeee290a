"""The run page: a run's gate DAG drawn live in the browser, and the ``/v1`` graph it polls.

``GET /runs/{run_id}`` serves one self-contained HTML page (inline script and style, no external
resources) that needs no authentication to load: it holds no data. The page takes the API token
from the URL fragment (``/runs/ID#token=…``, never sent to the server) or asks for it, keeps it in
``sessionStorage`` and polls ``GET /v1/runs/{run_id}/graph`` every 2 s with it as a bearer token.
"""

from __future__ import annotations

import html
import json
import re

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from prp_tasks.core.evaluate import utc_now
from prp_tasks.errors import RunNotFound
from prp_tasks.http.routes import ERRORS, Caller, Ctl
from prp_tasks.service.graph import RunGraph, run_graph

RUN_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_SLOT = re.compile(r"__RUN_ID_(?:HTML|JSON)__")

CSP = (
    "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline' 'self'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

pages_router = APIRouter()


@pages_router.get("/v1/runs/{run_id}/graph", response_model=RunGraph, tags=["runs"], responses=ERRORS)
def get_run_graph(run_id: str, ctl: Ctl, caller: Caller) -> RunGraph:
    """The run's gate DAG: gates with their level and state, dependency edges with theirs."""
    return run_graph(ctl.snapshot(run_id), now=utc_now())


@pages_router.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(run_id: str) -> HTMLResponse:
    """The live run page (the data comes from the authenticated graph route)."""
    return HTMLResponse(render_page(run_id), headers=PAGE_HEADERS)


def render_page(run_id: str) -> str:
    """The page for ``run_id``; an id that cannot be a run's is :class:`RunNotFound`."""
    if not RUN_ID.fullmatch(run_id) or not run_id.strip("."):
        raise RunNotFound(f"no such run: {run_id[:100]}")
    # the id is checked above; escaping anyway keeps the template safe if the check ever widens
    as_js = json.dumps(run_id).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    values = {"__RUN_ID_HTML__": html.escape(run_id), "__RUN_ID_JSON__": as_js}
    return _SLOT.sub(lambda m: values[m.group(0)], PAGE)  # one pass: inserted text is never re-read


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>prp run __RUN_ID_HTML__</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; }
  body { margin: 0; padding: 16px 24px; background: #f6f8fa; }
  h1 { font-size: 18px; margin: 0 0 6px; }
  h1 code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
  .meta { font-size: 14px; margin: 3px 0; }
  #run-status { font-weight: 600; padding: 1px 8px; border-radius: 10px; background: #d0d7de; }
  #run-status[data-status="running"], #run-status[data-status="finalizing"] { background: #ddf4ff; }
  #run-status[data-status="awaiting_approval"] { background: #fff1c2; }
  #run-status[data-status="passed"] { background: #dafbe1; }
  #run-status[data-status="failed"] { background: #ffebe9; }
  #run-status[data-status="cancelled"] { background: #fbefff; }
  #updated { color: #57606a; font-size: 12px; }
  #error { color: #cf222e; font-size: 13px; min-height: 1em; }
  form { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 16px;
         max-width: 560px; margin: 12px 0; }
  form input { width: 320px; font: inherit; padding: 4px 6px; }
  form p { color: #57606a; font-size: 12px; margin: 8px 0 0; }
  #graph { overflow: auto; background: #fff; border: 1px solid #d0d7de; border-radius: 8px;
           margin-top: 12px; min-height: 60px; }
  svg text { font-size: 12px; fill: #1f2328; }
  svg text.gid { font-weight: 700; font-size: 13px; }
  svg text.gstatus { font-weight: 600; }
  svg text.gchecks, svg text.gnote { fill: #57606a; }
  svg text.gnote { font-style: italic; }
  #graph:empty { display: none; }
  .legend { font-size: 12px; color: #57606a; }
  .legend span { display: inline-block; margin-right: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 4px;
              vertical-align: -1px; border: 1px solid #8c959f; }
</style>
</head>
<body>
<header>
  <h1>Run <code id="run-id">__RUN_ID_HTML__</code></h1>
  <p class="meta">status <span id="run-status" data-status="">loading</span>
     &middot; workflow <span id="workflow" class="mono">&hellip;</span></p>
  <p class="meta" id="updated">last updated: never</p>
  <p class="meta" id="error" role="alert"></p>
</header>
<form id="login" hidden>
  <label>API token <input id="token" type="password" autocomplete="off" required></label>
  <button type="submit">Show run</button>
  <p id="login-note">This page needs an API token to read the run. It stays in this browser tab
     (sessionStorage) and is sent only to this server, as a bearer token.</p>
</form>
<main id="graph" aria-live="polite"></main>
<p class="legend">
  <span><i style="background:#eaeef2"></i>pending</span><span><i style="background:#ddf4ff"></i>running</span>
  <span><i style="background:#fff1c2"></i>awaiting approval</span>
  <span><i style="background:#dafbe1"></i>passed</span><span><i style="background:#ffebe9"></i>failed</span>
  <span><i style="background:#fbefff"></i>skipped</span>
  <span>edges: solid = satisfied, dashed = blocked, dotted = waiting</span>
</p>
<noscript>This page needs JavaScript; <code>prp status RUN</code> shows the same in a terminal.</noscript>
<script>
"use strict";
(function () {
  const RUN_ID = __RUN_ID_JSON__;
  const GRAPH_URL = new URL("../v1/runs/" + encodeURIComponent(RUN_ID) + "/graph", location.href);
  const POLL_MS = 2000, KEY = "prp-token", NS = "http://www.w3.org/2000/svg";
  const W = 240, H = 100, GX = 72, GY = 20, PAD = 16, LANE = 10;
  const COLORS = {
    pending: ["#eaeef2", "#8c959f"], running: ["#ddf4ff", "#0969da"],
    awaiting_approval: ["#fff1c2", "#bf8700"], passed: ["#dafbe1", "#1a7f37"],
    failed: ["#ffebe9", "#cf222e"], skipped: ["#fbefff", "#8250df"],
  };
  const EDGES = {
    satisfied: {stroke: "#1a7f37", dash: "", width: 2},
    blocked: {stroke: "#cf222e", dash: "7 4", width: 2},
    waiting: {stroke: "#8c959f", dash: "2 4", width: 1.5},
  };
  const $ = (id) => document.getElementById(id);
  let memoryToken = null, timer = null;

  function remember(token) {
    memoryToken = token;
    try { sessionStorage.setItem(KEY, token); } catch (e) { /* storage disabled: keep it in memory */ }
  }
  function recall() {
    try { return sessionStorage.getItem(KEY) || memoryToken; } catch (e) { return memoryToken; }
  }
  function forget() {
    memoryToken = null;
    try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing stored */ }
  }
  function takeFragmentToken() {
    const match = /(?:^|&)token=([^&]*)/.exec(location.hash.slice(1));
    let token = match ? match[1] : "";
    try { token = decodeURIComponent(token); } catch (e) { /* not percent-encoded: use as is */ }
    if (token) {
      remember(token);
      history.replaceState(null, "", location.pathname + location.search);  // out of sight and history
    }
  }

  function el(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function clip(value, n) {
    const text = String(value == null ? "" : value);
    return text.length > n ? text.slice(0, n - 1) + "\\u2026" : text;
  }
  function statusLine(n) {
    const line = String(n.status).replace(/_/g, " "), ms = n.duration_ms;
    if (ms == null) return clip(line, 30);
    return clip(line + " \\u00b7 " + (ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(1) + " s"), 30);
  }
  function note(n) {
    if (n.status === "awaiting_approval" && n.approval_role) return "needs " + n.approval_role;
    if (n.reason) return clip(n.reason, 38);
    return n.approval_role ? "approver: " + n.approval_role : "";
  }
  function tooltip(n) {
    const lines = [n.id + (n.name !== n.id ? " " + n.name : ""), "status: " + n.status, "queue: " + n.queue];
    if (n.approval_role) lines.push("approver: " + n.approval_role);
    if (n.started_at) lines.push("started: " + n.started_at);
    if (n.waiting_since) lines.push("waiting since: " + n.waiting_since);
    if (n.finished_at) lines.push("finished: " + n.finished_at);
    if (n.reason) lines.push("reason: " + n.reason);
    return lines.join("\\n");
  }

  function lanes(graph, level) {
    // an edge skipping a column runs in a lane above the nodes, never through them
    const ends = [], lane = new Map();
    const long = graph.edges.filter((e) => level[e.target] - level[e.source] > 1)
      .sort((a, b) => level[a.source] - level[b.source]);
    for (const e of long) {
      let k = ends.findIndex((end) => end <= level[e.source]);
      if (k < 0) k = ends.push(0) - 1;
      ends[k] = level[e.target];
      lane.set(e, k);
    }
    return {lane, used: ends.length};
  }
  function layout(graph) {
    const count = {}, row = {}, pos = {}, level = {};
    for (const n of graph.nodes) {
      count[n.level] = (count[n.level] || 0) + 1;
      level[n.id] = n.level;
    }
    const {lane, used} = lanes(graph, level);
    const top = PAD + used * LANE + (used ? 4 : 0);
    const rows = Math.max(1, ...Object.values(count));
    const cols = Math.max(0, ...graph.nodes.map((n) => n.level)) + 1;
    for (const n of graph.nodes) {
      const r = (row[n.level] = (row[n.level] === undefined ? 0 : row[n.level] + 1));
      const offset = ((rows - count[n.level]) * (H + GY)) / 2;
      pos[n.id] = {x: PAD + n.level * (W + GX), y: top + offset + r * (H + GY)};
    }
    const laneY = (e) => (lane.has(e) ? top - 4 - LANE / 2 - lane.get(e) * LANE : null);
    return {pos, laneY, width: 2 * PAD + cols * W + (cols - 1) * GX,
            height: top + PAD + rows * H + (rows - 1) * GY};
  }
  function markers() {
    const defs = el("defs");
    for (const [state, style] of Object.entries(EDGES)) {
      const marker = el("marker", {id: "arrow-" + state, viewBox: "0 0 10 10", refX: 10, refY: 5,
                                   markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"});
      marker.append(el("path", {d: "M0,0 L10,5 L0,10 z", fill: style.stroke}));
      defs.append(marker);
    }
    return defs;
  }
  function edge(e, a, b, laneY) {
    const state = Object.prototype.hasOwnProperty.call(EDGES, e.state) ? e.state : "waiting";
    const style = EDGES[state];
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, dx = Math.max(24, (x2 - x1) / 2);
    const g = GX / 2, d = laneY == null
      ? `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`
      : `M${x1},${y1} C${x1 + g},${y1} ${x1 + g / 2},${laneY} ${x1 + g},${laneY} L${x2 - g},${laneY} ` +
        `C${x2 - g / 2},${laneY} ${x2 - g},${y2} ${x2},${y2}`;
    const path = el("path", {class: "edge", d,
      fill: "none", stroke: style.stroke, "stroke-width": style.width, "marker-end": `url(#arrow-${state})`,
      "data-source": e.source, "data-target": e.target, "data-state": state});
    if (style.dash) path.setAttribute("stroke-dasharray", style.dash);
    path.append(el("title", {}, e.source + " \\u2192 " + e.target + ": " + state));
    return path;
  }
  function node(n, p) {
    const colors = COLORS[n.status] || COLORS.pending;
    const g = el("g", {class: "node", "data-gate": n.id, "data-status": n.status,
                       transform: `translate(${p.x},${p.y})`});
    g.append(el("title", {}, tooltip(n)));
    const active = n.status === "running" || n.status === "awaiting_approval";
    g.append(el("rect", {width: W, height: H, rx: 10, ry: 10, fill: colors[0], stroke: colors[1],
                         "stroke-width": active ? 3 : 1.5}));
    g.append(el("text", {x: 12, y: 20, class: "gid"}, clip(n.id, 28)));
    g.append(el("text", {x: 12, y: 38, class: "gname"}, clip(n.name, 36)));
    g.append(el("text", {x: 12, y: 57, class: "gstatus", style: "fill:" + colors[1]}, statusLine(n)));
    g.append(el("text", {x: 12, y: 75, class: "gchecks"}, `checks ${n.checks_passed}/${n.checks_total}`));
    g.append(el("text", {x: 12, y: 92, class: "gnote"}, note(n)));
    return g;
  }
  function render(graph) {
    const {pos, laneY, width, height} = layout(graph);
    const root = el("svg", {xmlns: NS, width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
                            "aria-label": "gate dependency graph of run " + graph.run_id});
    root.append(markers());
    for (const e of graph.edges) {
      if (pos[e.source] && pos[e.target]) root.append(edge(e, pos[e.source], pos[e.target], laneY(e)));
    }
    for (const n of graph.nodes) root.append(node(n, pos[n.id]));
    $("graph").replaceChildren(root);
    $("run-status").textContent = graph.status;
    $("run-status").dataset.status = graph.status;
    $("workflow").textContent = graph.workflow;
    $("updated").textContent = "last updated " + new Date().toLocaleTimeString() + " (every 2 s)";
  }

  async function problem(response) {
    try { const body = await response.json(); return response.status + ": " + (body.detail || body.title); }
    catch (e) { return response.status + " " + response.statusText; }
  }
  function showLogin(message) {
    clearTimeout(timer);
    $("login").hidden = false;
    $("run-status").textContent = "needs a token";
    $("error").textContent = message || "";
    $("token").focus();
  }
  async function poll() {
    const token = recall();
    if (!token) { showLogin(""); return; }
    try {
      const response = await fetch(GRAPH_URL, {headers: {Authorization: "Bearer " + token,
                                                         Accept: "application/json"}, cache: "no-store"});
      if (response.status === 401) {
        forget();
        showLogin("The token was refused; enter another one.");
        return;
      }
      if (response.ok) { render(await response.json()); $("error").textContent = ""; }
      else $("error").textContent = await problem(response);
    } catch (e) {
      $("error").textContent = "cannot reach the server: " + e.message;
    }
    clearTimeout(timer);
    timer = setTimeout(poll, POLL_MS);
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    remember(token);
    $("token").value = "";
    $("login").hidden = true;
    $("error").textContent = "";
    poll();
  });
  takeFragmentToken();
  poll();
})();
</script>
</body>
</html>
"""
