"""The approvers' inbox in a real headless Chromium (Playwright): sign in, decide, pre-approve,
live updates from a decision made elsewhere, refusals, and the audit trail's channel ``web``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.approvals import AuditType
from prp_tasks.http.app import create_app
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from tests.conftest import run_prp, wait_until
from tests.integration.test_http_api import TOKENS, api_settings, auth
from tests.integration.web_browser import chromium_page, needs_browser, serve

INBOX = """
name: inbox-flow
gates:
  - id: A
    name: Review
    checks: [{name: a, run: ["true"]}]
    approval: {role: qa-lead}
  - id: B
    name: Sign-off
    depends_on: [A]
    checks: [{name: b, run: ["true"]}]
    approval: {role: qa-lead}
  - id: C
    name: Code review
    checks: [{name: c, run: ["true"]}]
    approval: {role: code-reviewer}
"""


@pytest.fixture
def app(settings: Settings, control: Control) -> FastAPI:
    return create_app(Runtime(api_settings(settings)), mount_mcp=False)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    yield from serve(app)


@pytest.fixture
def page() -> Iterator[Any]:
    yield from chromium_page()


def parked(control: Control, run_id: str, *gates: str) -> None:
    wait_until(lambda: all(control.snapshot(run_id).gate_status(g) == "awaiting_approval" for g in gates))


def sign_in(page: Any, server: str, who: str) -> None:
    page.goto(f"{server}/")
    page.wait_for_selector("#login:not([hidden])")
    page.get_by_label("API token").fill(TOKENS[who][0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#live[data-state='live']", timeout=10_000)


def card(page: Any, run_id: str, gate: str, kind: str = "parked") -> Any:
    return page.locator(f"li.card[data-kind='{kind}'][data-row='{run_id}/{gate}']")


@needs_browser
def test_decide_and_pre_approve_from_the_inbox(
    server: str, page: Any, submit: Callable[..., str], control: Control
) -> None:
    run_id = submit(INBOX, actor="submitter")
    parked(control, run_id, "A", "C")
    sign_in(page, server, "bob")  # qa-lead
    assert "signed in as bob" in page.locator("#whoami").inner_text()
    a = card(page, run_id, "A")
    a.wait_for()
    page.set_viewport_size({"width": 400, "height": 800})  # a narrow window: nothing wider than it
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    page.set_viewport_size({"width": 1280, "height": 800})
    assert card(page, run_id, "C").count() == 0  # code-reviewer: not bob's
    text = a.inner_text()
    assert "0 of 1" in text and "qa-lead" in text and "left" in text
    unlabelled = page.evaluate(
        "() => [...document.querySelectorAll('input, textarea, select, button')]"
        ".filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')"
        " && !el.textContent.trim()).map((el) => el.outerHTML)"
    )
    assert unlabelled == []  # every control has an accessible name
    b = card(page, run_id, "B", "upcoming")
    b.get_by_label("Rationale").focus()  # by keyboard: type, Tab to the button, Enter
    page.keyboard.type("plan reviewed in advance")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Pre-approve"
    page.keyboard.press("Enter")
    wait_until(lambda: "pre" in b.locator(".result").inner_text().lower(), timeout=10)
    a.get_by_label("Rationale").fill("evidence looks good")
    a.get_by_role("button", name="Approve").click()
    a.wait_for(state="detached", timeout=10_000)  # decided: gone from the inbox, live
    # the pre-approval took effect when B parked
    wait_until(lambda: control.snapshot(run_id).gate_status("B") == "passed", timeout=30)
    events = control.audit(run_id)
    decided = [e for e in events if e.gate_id == "A" and e.type == AuditType.DECIDED]
    assert [(e.actor, e.channel, e.rationale) for e in decided] == [("bob", "web", "evidence looks good")]
    pre = [e for e in events if e.gate_id == "B" and e.type == AuditType.PREAPPROVED]
    assert [(e.actor, e.channel, e.rationale) for e in pre] == [("bob", "web", "plan reviewed in advance")]
    assert httpx.delete(f"{server}/v1/runs/{run_id}", headers=auth("alice")).status_code == 200
    assert page.problems == []


@needs_browser
def test_a_decision_made_in_the_cli_shows_within_a_second(
    server: str, page: Any, submit: Callable[..., str], control: Control, settings: Settings
) -> None:
    run_id = submit(INBOX, actor="submitter")
    parked(control, run_id, "A")
    sign_in(page, server, "bob")
    a = card(page, run_id, "A")
    a.wait_for()
    env = {
        "PRP_REDIS_URL": str(settings.redis_url),
        "PRP_KEY_PREFIX": settings.key_prefix,
        "PRP_ROLES": '{"dave": ["qa-lead"]}',
    }
    done = run_prp("approve", run_id, "A", "--as", "dave", "--rationale", "from the terminal", env=env)
    decided = time.monotonic()  # the decision was stored before the command ended
    assert done.returncode == 0, done.stderr
    a.wait_for(state="detached", timeout=5_000)
    assert time.monotonic() - decided < 1.0
    card(page, run_id, "B").wait_for(timeout=5_000)  # B parked next: it appears, live too
    assert page.locator("#announce").inner_text() == "1 new gate waiting for your decision"  # read out
    cli = [e for e in control.audit(run_id) if e.type == AuditType.DECIDED and e.gate_id == "A"]
    assert [(e.actor, e.channel) for e in cli] == [("dave", "cli")]
    assert httpx.delete(f"{server}/v1/runs/{run_id}", headers=auth("alice")).status_code == 200
    assert page.problems == []


@needs_browser
def test_a_refusal_shows_the_services_message(
    server: str, page: Any, submit: Callable[..., str], control: Control
) -> None:
    run_id = submit(INBOX, actor="submitter")
    parked(control, run_id, "C")
    sign_in(page, server, "bob")
    page.goto(f"{server}/runs/{run_id}")  # the token stays in the tab's sessionStorage
    row = page.locator("tr#gate-C")
    row.get_by_role("button", name="Approve").click()
    result = row.locator(".result")
    wait_until(lambda: "refused" in result.inner_text(), timeout=10)
    message = result.inner_text()
    assert "bob" in message and "code-reviewer" in message, message
    refused = [e for e in control.audit(run_id) if e.type == AuditType.REFUSED]
    assert [(e.actor, e.gate_id) for e in refused] == [("bob", "C")]
    assert control.snapshot(run_id).gate_status("C") == "awaiting_approval"
    page.set_viewport_size({"width": 400, "height": 800})  # the run page in a narrow window
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    assert row.get_by_role("button", name="Approve").is_visible()
    assert httpx.delete(f"{server}/v1/runs/{run_id}", headers=auth("alice")).status_code == 200
    assert page.problems == []
