"""Webhook signatures, the Slack message shape and the webhook settings' validation."""

from __future__ import annotations

import json

import pytest

from prp_tasks.approvals.notify import hooks_for, slack_body
from prp_tasks.approvals.webhooks import signature, verify
from prp_tasks.errors import ConfigError
from prp_tasks.settings import load_settings


def test_a_signature_binds_the_body_the_secret_and_a_recent_time() -> None:
    body = b'{"type":"approval.requested"}'
    header = signature("key", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify("key", header, body, now=1_700_000_100)
    assert not verify("other", header, body, now=1_700_000_100)
    assert not verify("key", header, body + b"x", now=1_700_000_100)
    assert not verify("key", header, body, now=1_700_000_000 + 301)  # replayed later
    assert not verify("key", "garbage", body) and not verify("key", "t=x,v1=y", body)


def test_the_slack_message_lists_the_requests_with_links() -> None:
    rows = [
        {
            "run_id": f"run-{i}",
            "gate_id": "G3",
            "gate_name": "Code Review",
            "deadline": "2026-01-01T00:00:00Z",
            "quorum": 2,
            "run_url": f"https://x/runs/run-{i}",
        }
        for i in range(25)
    ]
    body = {
        "type": "approval.requested",
        "role": "code-reviewer",
        "count": 25,
        "requests": rows,
        "inbox_url": "https://x/?role=code-reviewer",
    }
    message = slack_body(body)
    assert message["text"] == "25 approval requests for code-reviewer"
    assert len(message["blocks"]) == 1 + 20 + 1  # title, at most 20 rows, the inbox link
    assert "<https://x/runs/run-0|run-0 G3>" in message["blocks"][1]["text"]["text"]
    json.dumps(message)


def test_webhooks_are_validated_and_matched_by_role() -> None:
    hooks = (
        '[{"role": "qa-lead", "url": "https://h/1"}, {"role": "*", "url": "https://h/2", "format": "slack"}]'
    )
    settings = load_settings(notify={"webhooks": json.loads(hooks)})
    assert [i for i, _ in hooks_for(settings, "qa-lead")] == [0, 1]
    assert [i for i, _ in hooks_for(settings, "architect")] == [1]
    for bad in (
        '[{"role": "nobody", "url": "https://h"}]',
        '[{"role": "qa-lead", "url": "ftp://h"}]',
        '[{"role": "qa-lead", "url": "https://h", "format": "teams"}]',
    ):
        with pytest.raises((ConfigError, ValueError)):
            load_settings(notify={"webhooks": json.loads(bad)})
