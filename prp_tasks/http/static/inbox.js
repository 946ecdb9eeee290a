/* The approvers' inbox: parked gates the token's roles cover, decisions, pre-approvals, live. */
"use strict";
(function () {
  const {$, api, live, countdown, when, checks, h, throttle} = PRP;
  let data = null, stopLive = null, seen = null;

  const keyOf = (item) => item.kind + ":" + item.run_id + "/" + item.gate_id;
  const idOf = (item, what) => what + "-" + keyOf(item).replace(/[^A-Za-z0-9_-]/g, "_");

  function filters() {
    const params = new URLSearchParams();
    for (const [id, name] of [["f-role", "role"], ["f-run", "run"], ["f-repo", "repository"]]) {
      if ($(id).value) params.set(name, $(id).value);
    }
    return params;
  }
  function fillSelect(id, values, current) {
    const select = $(id), first = select.options[0];
    select.replaceChildren(first, ...values.map((v) => h("option", {value: v, text: v})));
    select.value = values.includes(current) ? current : "";
  }

  async function load() {
    const query = filters().toString();
    const response = await api("/v1/inbox" + (query ? "?" + query : ""));
    data = await response.json();
    render();
  }

  function card(item) {
    const parked = item.kind === "parked";
    const title = item.gate_id + " " + item.gate_name;
    const runLink = h("a", {href: "/runs/" + encodeURIComponent(item.run_id)}, "run " + item.run_id);
    const heading = h("h3", {id: idOf(item, "title")},
      parked ? h("input", {type: "checkbox", class: "select", id: idOf(item, "sel"),
                           "aria-label": "select " + title + " of run " + item.run_id}) : null,
      h("span", {}, title), h("span", {class: "meta"}, "\u00b7 "), runLink);
    const facts = h("dl", {});
    const fact = (label, value, cls) => { facts.append(h("dt", {}, label), h("dd", {class: cls || null}, value)); };
    fact("Role", item.role + (item.escalate_to ? " (escalates to " + item.escalate_to + ")" : ""));
    fact("Quorum", item.votes + " of " + item.quorum + (item.voters.length ? " \u2014 approved by " +
         item.voters.join(", ") : ""));
    if (!parked && item.preapproved_by.length) fact("Pre-approved by", item.preapproved_by.join(", "));
    if (parked) {
      fact("Requested", when(item.requested_at));
      const left = countdown(item.deadline);
      fact("Deadline", h("time", {datetime: item.deadline, class: "countdown" + (left === "overdue" ? " overdue" : "")},
                         left + " (" + when(item.deadline) + ")"));
    } else {
      fact("Gate now", item.gate_status.replace(/_/g, " "));
    }
    fact("Repository", item.repository || "(local)");
    fact("Commit", h("code", {}, (item.commit_sha || "").slice(0, 12)));
    fact("Checks", checks(item.checks));
    const evidence = h("ul", {class: "evidence", "aria-label": "evidence"},
      ...item.evidence.map((line) => h("li", {}, line)));
    const runPage = "/runs/" + encodeURIComponent(item.run_id);
    const links = h("p", {class: "links"},
      h("a", {href: runPage + "#gate-" + encodeURIComponent(item.gate_id)}, "Full check output"),
      h("a", {href: runPage + "#outputs"}, "Outputs"));
    const rationale = h("textarea", {id: idOf(item, "why"), rows: 1});
    const actions = h("div", {class: "actions", role: "group", "aria-label": "decide " + title},
      h("label", {for: idOf(item, "why")}, "Rationale", rationale),
      h("button", {type: "button", class: "approve", "data-decision": "approve"}, parked ? "Approve" : "Pre-approve"),
      h("button", {type: "button", class: "reject", "data-decision": "reject"}, parked ? "Reject" : "Pre-reject"));
    const result = h("p", {class: "result", role: "status", id: idOf(item, "result")});
    const li = h("li", {class: "card " + item.kind, "data-row": item.run_id + "/" + item.gate_id,
                        "data-kind": item.kind, "aria-labelledby": idOf(item, "title")},
      heading, item.description && item.description !== item.gate_name ? h("p", {class: "meta"}, item.description) : null,
      facts, evidence, links, actions, result);
    for (const button of actions.querySelectorAll("button")) {
      button.addEventListener("click", () => decide([item], button.dataset.decision, rationale.value, result));
    }
    return li;
  }

  function render() {
    // keep what the approver typed or selected across live refreshes
    const kept = {}, focused = document.activeElement && document.activeElement.id;
    for (const el of document.querySelectorAll(".card textarea, .card input.select, .card .result")) {
      kept[el.id] = el.tagName === "P" ? [el.textContent, el.className] : el.type === "checkbox" ? el.checked : el.value;
    }
    $("whoami").textContent = "signed in as " + data.identity + " \u00b7 roles: " + (data.roles.join(", ") || "none");
    const all = data.parked.concat(data.upcoming);
    fillSelect("f-role", data.roles, $("f-role").value);
    fillSelect("f-run", [...new Set(all.map((i) => i.run_id))].sort(), $("f-run").value);
    fillSelect("f-repo", data.repositories, $("f-repo").value);
    const empty = (text) => h("li", {class: "empty"}, text);
    $("parked").replaceChildren(...(data.parked.length ? data.parked.map(card) : [empty("Nothing waits for your roles.")]));
    $("upcoming").replaceChildren(...(data.upcoming.length ? data.upcoming.map(card) : [empty("No upcoming gates.")]));
    const now = data.parked.map(keyOf);
    const fresh = seen === null ? [] : now.filter((k) => !seen.includes(k));
    if (fresh.length) $("announce").textContent = fresh.length + " new gate" + (fresh.length > 1 ? "s" : "") + " waiting for your decision";
    seen = now;
    $("parked-count").textContent = data.parked.length;
    $("upcoming-count").textContent = data.upcoming.length;
    for (const [id, value] of Object.entries(kept)) {
      const el = document.getElementById(id);
      if (!el) continue;
      if (el.tagName === "P") { el.textContent = value[0]; el.className = value[1]; }
      else if (el.type === "checkbox") el.checked = value; else el.value = value;
    }
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  async function decide(items, decision, rationale, out) {
    out.className = "result";
    out.textContent = "sending\u2026";
    try {
      const body = {decision, rationale, items: items.map((i) => {
        const target = {run_id: i.run_id, gate_id: i.gate_id};
        if (/^[0-9a-fA-F]{7,64}$/.test(i.commit_sha || "")) target.commit_sha = i.commit_sha;
        return target;
      })};
      const response = await api("/v1/inbox/decisions", {method: "POST", json: body});
      const {results} = await response.json();
      const refused = results.filter((r) => r.outcome === "refused");
      out.className = "result " + (refused.length ? "refused" : "ok");
      out.textContent = results.map((r) => (items.length > 1 ? r.run_id + "/" + r.gate_id + ": " : "") +
        (r.outcome === "refused" ? "refused: " : "") + r.message).join("; ");
    } catch (e) {
      out.className = "result refused";
      out.textContent = e.message;
      if (e instanceof PRP.Unauthorized) PRP.showLogin("The token was refused; sign in again.");
    }
    refresh();
  }

  function selected() {
    const rows = [];
    for (const item of data ? data.parked : []) {
      const box = document.getElementById(idOf(item, "sel"));
      if (box && box.checked) rows.push(item);
    }
    return rows;
  }
  function batch(decision) {
    const rows = selected(), out = $("batch-result");
    if (!rows.length) { out.className = "result refused"; out.textContent = "Select at least one gate."; return; }
    decide(rows, decision, $("batch-rationale").value, out);
  }

  const refresh = throttle(() => load().catch(failed), 500);
  function failed(e) {
    if (e instanceof PRP.Unauthorized) { if (stopLive) stopLive(); $("main").hidden = true; PRP.showLogin("The token was refused; enter another one."); }
    else $("error").textContent = e.message;
  }
  function tick() {
    for (const el of document.querySelectorAll("time.countdown")) {
      const left = countdown(el.getAttribute("datetime"));
      el.firstChild.textContent = left + " (" + when(el.getAttribute("datetime")) + ")";
      el.classList.toggle("overdue", left === "overdue");
    }
  }

  function start() {
    $("main").hidden = false;
    load().then(() => {
      stopLive = live((event) => {
        // what changes the inbox: requests and decisions, gates settling (status set), runs ending
        if (/approval|cancelled|completed|gate\.started/.test(event.type) || (/task\.executed/.test(event.type) && event.status)) refresh();
      }, (state) => {
        $("live").dataset.state = state;
        $("live").textContent = state === "live" ? "live" : state;
        if (state === "signed-out") failed(new PRP.Unauthorized("signed out"));
        if (state === "live") refresh();  // catch up on anything missed while connecting
      });
    }).catch(failed);
  }

  $("batch-approve").addEventListener("click", () => batch("approve"));
  $("batch-reject").addEventListener("click", () => batch("reject"));
  $("select-all").addEventListener("change", (event) => {
    for (const box of document.querySelectorAll("#parked input.select")) box.checked = event.target.checked;
  });
  for (const id of ["f-role", "f-run", "f-repo"]) $(id).addEventListener("change", refresh);
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  setInterval(tick, 1000);
  PRP.signIn(start);
})();
