/* prp-tasks pages: the token (sessionStorage only), authenticated fetch, live events, formatting.
   The token is sent only as an Authorization header, never in a cookie or a URL. */
"use strict";
const PRP = (function () {
  const KEY = "prp-token";
  let memoryToken = null;
  const $ = (id) => document.getElementById(id);

  function remember(token) {
    memoryToken = token;
    try { sessionStorage.setItem(KEY, token); } catch (e) { /* storage disabled: memory only */ }
  }
  function recall() {
    try { return sessionStorage.getItem(KEY) || memoryToken; } catch (e) { return memoryToken; }
  }
  function forget() {
    memoryToken = null;
    try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing stored */ }
  }
  function takeFragmentToken() {
    // a link may carry the token in the fragment (never sent to a server): store it, then drop it
    const match = /(?:^|&)token=([^&]*)/.exec(location.hash.slice(1));
    if (!match) return;
    let token = match[1];
    try { token = decodeURIComponent(token); } catch (e) { /* use as is */ }
    if (token) remember(token);
    history.replaceState(null, "", location.pathname + location.search);
  }

  class Unauthorized extends Error {}

  async function problem(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || response.statusText;
    } catch (e) { return response.status + " " + response.statusText; }
  }
  async function api(path, options) {
    const token = recall();
    if (!token) throw new Unauthorized("no token");
    const opts = Object.assign({cache: "no-store"}, options || {});
    opts.headers = Object.assign({Authorization: "Bearer " + token, Accept: "application/json"},
                                 opts.headers || {});
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    const response = await fetch(path, opts);
    if (response.status === 401) { forget(); throw new Unauthorized(await problem(response)); }
    if (!response.ok) throw new Error(response.status + ": " + await problem(response));
    return response;
  }
  async function download(path, name) {
    const response = await api(path, {headers: {Accept: "*/*"}});
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  /* Server-sent events read with fetch (so the token travels in a header, not the URL); after a
     reconnection the page refreshes its data (onState "live"), so nothing missed stays missing. */
  function live(onEvent, onState) {
    let stopped = false, controller = null, delay = 500, lastId = null;
    async function connect() {
      controller = new AbortController();
      const headers = {Accept: "text/event-stream"};
      if (lastId) headers["Last-Event-ID"] = lastId;  // the server sends what was missed first
      const response = await api("/v1/events/stream", {headers, signal: controller.signal});
      onState("live");
      delay = 500;
      const reader = response.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, {stream: true});
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let data = null;
          for (const line of frame.split("\n")) {
            if (line.startsWith("data:")) data = (data || "") + line.slice(5).trim();
            else if (line.startsWith("id:")) lastId = line.slice(3).trim();
          }
          if (data) { try { onEvent(JSON.parse(data)); } catch (e) { /* not ours */ } }
        }
      }
    }
    async function loop() {
      while (!stopped) {
        try { await connect(); }
        catch (e) {
          if (e instanceof Unauthorized) { onState("signed-out"); return; }
          onState("reconnecting");
        }
        if (stopped) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 10000);
      }
    }
    loop();
    return () => { stopped = true; if (controller) controller.abort(); };
  }

  function duration(ms) {
    if (ms == null) return "";
    if (ms < 1000) return Math.round(ms) + " ms";
    const s = ms / 1000;
    if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + " s";
    const m = Math.floor(s / 60), rs = Math.round(s % 60);
    if (m < 60) return m + " min" + (rs ? " " + rs + " s" : "");
    const h = Math.floor(m / 60), rm = m % 60;
    if (h < 24) return h + " h" + (rm ? " " + rm + " min" : "");
    const d = Math.floor(h / 24), rh = h % 24;
    return d + " d" + (rh ? " " + rh + " h" : "");
  }
  function countdown(deadline) {
    if (!deadline) return "";
    const left = Date.parse(deadline) - Date.now();
    return left <= 0 ? "overdue" : duration(Math.floor(left / 1000) * 1000) + " left";
  }
  function when(iso) {
    if (!iso) return "";
    const at = new Date(iso);
    return isNaN(at) ? iso : at.toLocaleString();
  }
  function checks(c) {
    // "2 passed, 1 failed, 1 skipped of 4": skipped checks are not failures
    const parts = [c.passed + " passed"];
    if (c.failed) parts.push(c.failed + " failed");
    if (c.skipped) parts.push(c.skipped + " skipped");
    const waiting = c.total - c.passed - c.failed - c.skipped;
    if (waiting > 0) parts.push(waiting + " not run yet");
    return parts.join(", ");
  }
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function throttle(fn, ms) {
    // at once when idle, then at most once per ms (the last call is never lost): a burst of
    // events costs one request, and a busy deployment stays under the API's rate limit
    let last = 0, timer = null;
    return () => {
      if (timer) return;
      const wait = Math.max(0, last + ms - Date.now());
      timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, wait);
    };
  }

  /* The sign-in form: shows itself when there is no token, calls start() once there is one. */
  function signIn(start) {
    takeFragmentToken();
    const form = $("login");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      if (!token) return;
      remember(token);
      $("token").value = "";
      form.hidden = true;
      $("error").textContent = "";
      start();
    });
    const out = $("signout");
    if (out) out.addEventListener("click", () => { forget(); location.reload(); });
    if (recall()) start(); else showLogin("");
  }
  function showLogin(message) {
    $("login").hidden = false;
    if ($("run-status")) $("run-status").textContent = "needs a token";
    $("error").textContent = message || "";
    $("token").focus();
  }

  return {$, api, download, live, duration, countdown, when, checks, h, throttle, signIn, showLogin,
          Unauthorized};
})();
