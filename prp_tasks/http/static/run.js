/* The run page: the gate DAG drawn from the server's layered layout, gates, approvals, outputs. */
"use strict";
(function () {
  const {$, api, download, live, duration, when, checks, h, throttle} = PRP;
  const RUN_ID = document.body.dataset.runId;
  const BASE = "/v1/runs/" + encodeURIComponent(RUN_ID);
  const NS = "http://www.w3.org/2000/svg";
  let stopLive = null;
  const typed = {};  // rationale typed per gate, kept across refreshes

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function fit(text, width) {
    // shorten a label until it fits its box (measured), so labels never spill into a neighbour
    if (text.getComputedTextLength() <= width) return;
    const full = text.textContent;
    let lo = 0, hi = full.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      text.textContent = full.slice(0, mid) + "\u2026";
      if (text.getComputedTextLength() <= width) lo = mid; else hi = mid - 1;
    }
    text.textContent = full.slice(0, lo) + "\u2026";
  }
  function checkLine(n) {
    const c = {passed: n.checks_passed, failed: n.checks_failed, skipped: n.checks_skipped, total: n.checks_total};
    if (!c.total) return "no checks";
    const parts = [c.passed + "\u2713"];
    if (c.failed) parts.push(c.failed + "\u2717");
    if (c.skipped) parts.push(c.skipped + " skipped");
    return "checks " + parts.join(" ") + " of " + c.total;
  }
  function note(n) {
    if (n.approval) return (n.approval.decision === "approved" ? "approved by " : "rejected by ") + n.approval.actor;
    if (n.status === "awaiting_approval") return "needs " + n.approval_role;
    if (n.reason) return n.reason;
    return n.approval_role ? "approver: " + n.approval_role : "";
  }
  function statusLine(n) {
    const text = n.status.replace(/_/g, " ");
    return n.duration_ms == null ? text : text + " \u00b7 " + duration(n.duration_ms);
  }
  function path(points) {
    // level runs through skipped columns, smooth horizontal-tangent curves between columns
    let d = "M" + points[0][0] + "," + points[0][1];
    for (let i = 1; i < points.length; i++) {
      const [x1, y1] = points[i - 1], [x2, y2] = points[i];
      if (y1 === y2) { d += " L" + x2 + "," + y2; continue; }
      const mx = (x1 + x2) / 2;
      d += " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2;
    }
    return d;
  }
  function drawGraph(graph) {
    const L = graph.layout, W = L.node_width, H = L.node_height;
    const root = svg("svg", {viewBox: "0 0 " + L.width + " " + L.height, role: "img",
                              "aria-label": "gate dependency graph of run " + graph.run_id + " (the gate table below lists the same)",
                              preserveAspectRatio: "xMinYMin meet"});
    root.style.maxWidth = L.width + "px";
    const defs = svg("defs");
    const marker = svg("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6,
                                  markerHeight: 6, orient: "auto-start-reverse"});
    marker.append(svg("path", {d: "M0,0 L10,5 L0,10 z"}));
    defs.append(marker);
    root.append(defs);
    $("graph").replaceChildren(root);
    const state = {};
    for (const e of graph.edges) state[e.source + ">" + e.target] = e.state;
    for (const route of L.edges) {
      const s = state[route.source + ">" + route.target] || "waiting";
      const p = svg("path", {class: "edge", d: path(route.points), "marker-end": "url(#arrow)",
                             "data-source": route.source, "data-target": route.target, "data-state": s});
      p.append(svg("title", {}, route.source + " \u2192 " + route.target + ": " + s));
      root.append(p);
    }
    const byId = {};
    for (const n of graph.nodes) byId[n.id] = n;
    for (const box of L.nodes) {
      const n = byId[box.id];
      const g = svg("g", {class: "node", "data-gate": n.id, "data-status": n.status, tabindex: 0,
                          transform: "translate(" + box.x + "," + box.y + ")",
                          "aria-label": n.id + " " + n.name + ": " + statusLine(n) + ", " + checkLine(n)});
      g.append(svg("title", {}, n.id + " " + n.name + "\n" + statusLine(n) + "\n" + checkLine(n) + "\n" + note(n)));
      g.append(svg("rect", {width: W, height: H, rx: 8, ry: 8}));
      root.append(g);  // in the document before its labels are measured
      const lines = [["gid", n.id + " " + n.name], ["gstatus", statusLine(n)], ["gchecks", checkLine(n)], ["gnote", note(n)]];
      lines.forEach(([cls, text], i) => {
        const t = svg("text", {x: 8, y: 18 + i * 18, class: cls}, text);
        g.append(t);
        fit(t, W - 16);
      });
      g.addEventListener("click", () => focusRow(n.id));
      g.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); focusRow(n.id); } });
    }
  }
  function focusRow(gateId) {
    const row = document.getElementById("gate-" + gateId);
    if (row) { row.scrollIntoView({block: "center"}); row.focus(); }
  }

  function approvalCell(n, view) {
    const cell = h("td", {"data-label": "Approval"});
    if (!n.approval_role) { cell.append("none"); return cell; }
    if (n.approval) {
      const a = n.approval;
      cell.append(h("span", {class: "decided"}, a.decision + " by " + a.actor + (a.role ? " (" + a.role + ")" : "") +
        " at " + when(a.timestamp) + " via " + a.channel), a.rationale ? h("div", {class: "meta"}, "\u201c" + a.rationale + "\u201d") : null);
      return cell;
    }
    cell.append(h("div", {}, "role " + n.approval_role + (n.status === "awaiting_approval" ? ": waiting since " + when(n.waiting_since) : "")));
    if (!["pending", "running", "awaiting_approval"].includes(n.status)) return cell;
    const parked = n.status === "awaiting_approval", id = "why-" + n.id;
    const area = h("textarea", {id, rows: 1});
    area.value = typed[n.id] || "";
    area.addEventListener("input", () => { typed[n.id] = area.value; });
    const out = h("p", {class: "result", role: "status", id: "result-" + n.id});
    const group = h("div", {class: "decide", role: "group", "aria-label": "decide " + n.id},
      h("label", {for: id}, "Rationale", area),
      h("button", {type: "button", class: "approve"}, parked ? "Approve" : "Pre-approve"),
      h("button", {type: "button", class: "reject"}, parked ? "Reject" : "Pre-reject"));
    const [approve, reject] = group.querySelectorAll("button");
    approve.addEventListener("click", () => decide(n.id, "approve", area.value, out, view));
    reject.addEventListener("click", () => decide(n.id, "reject", area.value, out, view));
    cell.append(group, out);
    return cell;
  }
  async function decide(gateId, decision, rationale, out, view) {
    out.className = "result";
    out.textContent = "sending\u2026";
    const item = {run_id: RUN_ID, gate_id: gateId};
    const sha = view && view.repo ? view.repo.commit_sha : "";
    if (/^[0-9a-fA-F]{7,64}$/.test(sha || "")) item.commit_sha = sha;
    try {
      const response = await api("/v1/inbox/decisions", {method: "POST", json: {decision, rationale, items: [item]}});
      const r = (await response.json()).results[0];
      lastResult[gateId] = [(r.outcome === "refused" ? "refused: " : "") + r.message, r.outcome === "refused" ? "result refused" : "result ok"];
      delete typed[gateId];
    } catch (e) {
      lastResult[gateId] = [e.message, "result refused"];
    }
    refresh();
  }
  const lastResult = {};

  function drawTable(graph, view) {
    const checksOf = {};
    for (const g of view.gates) checksOf[g.id] = g.checks;
    $("gates").replaceChildren(...graph.nodes.map((n) => {
      const details = h("details", {}, h("summary", {}, checks({passed: n.checks_passed, failed: n.checks_failed,
        skipped: n.checks_skipped, total: n.checks_total})),
        ...(checksOf[n.id] || []).map((c) => h("div", {}, h("strong", {}, c.name + ": " + c.status + " \u00b7 " + duration(c.duration_ms)),
          c.output ? h("pre", {}, c.output) : null)));
      const row = h("tr", {id: "gate-" + n.id, tabindex: -1},
        h("th", {scope: "row", "data-label": "Gate"}, n.id + " " + n.name),
        h("td", {"data-label": "Status"}, n.status.replace(/_/g, " ") + (n.reason ? " \u2014 " + n.reason : "")),
        h("td", {"data-label": "Duration"}, duration(n.duration_ms) + (n.waited_ms ? " (" + duration(n.waited_ms) + " waiting for approval)" : "")),
        h("td", {"data-label": "Checks"}, details),
        approvalCell(n, view));
      const previous = lastResult[n.id];
      const out = row.querySelector(".result");
      if (previous && out) { out.textContent = previous[0]; out.className = previous[1]; }
      else if (previous) row.lastChild.append(h("p", {class: previous[1], role: "status"}, previous[0]));
      return row;
    }));
  }
  function drawOutputs(graph) {
    const outputs = graph.outputs.map((name) => h("li", {}, h("a", {href: BASE + "/outputs/" + encodeURIComponent(name),
      "data-download": name}, name)));
    const files = graph.files.map((f) => h("li", {}, h("a", {href: BASE + "/outputs/files/" + encodeURIComponent(f.gate) + "/" +
      f.name.split("/").map(encodeURIComponent).join("/"), "data-download": f.name.split("/").pop()}, f.gate + "/" + f.name),
      " (" + f.size + " bytes)"));
    $("output-list").replaceChildren(...(outputs.length ? outputs : [h("li", {class: "empty"}, "none yet")]));
    $("file-list").replaceChildren(...(files.length ? files : [h("li", {class: "empty"}, "none yet")]));
  }

  async function load() {
    const [graph, view] = await Promise.all([
      api(BASE + "/graph").then((r) => r.json()), api(BASE).then((r) => r.json())]);
    const focused = document.activeElement && document.activeElement.id;
    drawGraph(graph);
    drawTable(graph, view);
    drawOutputs(graph);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    $("run-status").textContent = graph.status.replace(/_/g, " ");
    $("run-status").dataset.status = graph.status;
    $("workflow").textContent = graph.workflow;
    $("repo").textContent = graph.repository || "local repository";
    $("commit").textContent = (graph.commit_sha || "").slice(0, 12);
    $("actor").textContent = graph.actor;
    shown = graph;
    elapsed();
    $("updated").textContent = "last updated " + new Date().toLocaleTimeString();
    $("error").textContent = "";
  }
  let shown = null;
  function elapsed() {  // a local clock between events: no request to the server
    if (!shown) return;
    const end = shown.finished_at ? Date.parse(shown.finished_at) : Date.now();
    $("elapsed").textContent = (shown.finished_at ? "took " : "running for ") + duration(end - Date.parse(shown.created_at));
  }
  setInterval(elapsed, 1000);
  const refresh = throttle(() => load().catch(failed), 700);
  function failed(e) {
    if (e instanceof PRP.Unauthorized) {
      if (stopLive) stopLive();
      $("run-status").textContent = "needs a token";
      PRP.showLogin("The token was refused; enter another one.");
    } else $("error").textContent = e.message;
  }
  let arrived = false;
  function start() {
    load().then(() => {
      if (!arrived && /^#(gate-|outputs)/.test(location.hash)) {  // a link from the inbox
        const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
        if (target) { target.scrollIntoView({block: "start"}); target.focus(); }
      }
      arrived = true;
      stopLive = live((event) => { if (event.run_id === RUN_ID) refresh(); }, (state) => {
        $("live").dataset.state = state;
        $("live").textContent = state;
        if (state === "signed-out") failed(new PRP.Unauthorized("signed out"));
        if (state === "live") refresh();
      });
    }).catch(failed);
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-download]");
    if (!link) return;
    event.preventDefault();  // the route needs the token in a header: fetch it, then save it
    download(link.getAttribute("href"), link.dataset.download).catch((e) => { $("error").textContent = e.message; });
  });
  PRP.signIn(() => { $("run-status").textContent = "loading"; start(); });
})();
