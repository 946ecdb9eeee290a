"""A consumer group on the events stream during the demo run (``prp run`` against a shared Redis)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.formats.json import JSONFormat

from prp_tasks.settings import Settings
from prp_tasks.state.connection import connect
from prp_tasks.state.keys import Keys
from tests.conftest import ROOT, run_prp

pytestmark = pytest.mark.slow


def read_group(settings: Settings, group: str) -> list[tuple[str, dict[str, Any]]]:
    """Every entry the group gets, as (run id, parsed CloudEvent), acknowledged."""
    client, stream = connect(settings.redis_url or ""), Keys(settings.key_prefix).events
    out = []
    while batch := client.xreadgroup(group, "auditor", {stream: ">"}, count=200):
        for entry_id, fields in batch[0][1]:
            event = JSONFormat().read(None, fields["event"].encode())
            assert (event.get_type(), event.get_subject()) == (fields["type"], fields["subject"])
            assert event.get_source() and event.get_id() and event.get_time()
            out.append((fields["subject"], {"type": event.get_type(), "data": event.get_data()}))
            client.xack(stream, group, entry_id)
    return out


def listed(env: dict[str, str]) -> list[dict[str, Any]]:
    result = run_prp("runs", "--json", env=env)
    return list(json.loads(result.stdout)) if result.returncode == 0 else []


def run_demo_approving_by_hand(settings: Settings, repo: Path) -> dict[str, Any]:
    """``prp run`` in one process, ``prp approve --all-pending`` from another until it ends."""
    env = {"PRP_REDIS_URL": settings.redis_url or "", "PRP_KEY_PREFIX": settings.key_prefix}
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")} | env
    command = [sys.executable, "-m", "prp_tasks.cli", "run", str(repo), "--json", "--timeout", "150"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)
    try:
        deadline = time.monotonic() + 160
        run_ids: list[str] = []
        while first.poll() is None and time.monotonic() < deadline:
            run_ids = run_ids or [r["run_id"] for r in listed(env) if r["repo"] == str(repo.resolve())]
            if run_ids:
                run_prp("approve", *run_ids, "--all-pending", "--as", "alice", "--rationale", "ok", env=env)
            time.sleep(0.2)
        stdout, stderr = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    return dict(json.loads(stdout))


def test_a_consumer_group_sees_the_demo_runs_lifecycle_in_order(
    settings: Settings, celery_app: object, tmp_path: Path
) -> None:
    repo = tmp_path / "demo"
    shutil.copytree(ROOT / "examples" / "demo-repo", repo, ignore=shutil.ignore_patterns(".prp", "*_cache"))
    client = connect(settings.redis_url or "")
    group = "acceptance-auditor"
    client.xgroup_create(Keys(settings.key_prefix).events, group, id="$", mkstream=True)
    run = run_demo_approving_by_hand(settings, repo)
    events = [e for subject, e in read_group(settings, group) if subject == run["run_id"]]
    kinds = [e["type"].removeprefix("prp_runner.") for e in events]
    assert kinds[0] == "processing.started"
    assert kinds[-2:] == ["review.generated", "processing.completed"]
    assert events[-1]["data"]["a2aState"] == "completed"
    depends = {g["id"]: g["depends_on"] for g in run["gates"]}
    started = {e["data"]["gateId"]: i for i, e in enumerate(events) if e["type"].endswith("gate.started")}
    settled = {
        e["data"]["taskId"]: i
        for i, e in enumerate(events)
        if e["type"].endswith("task.executed") and e["data"]["kind"] == "gate"
    }
    assert set(started) == set(settled) == set(depends)
    for gate, deps in depends.items():
        assert started[gate] < settled[gate]
        assert all(settled[dep] < started[gate] for dep in deps), gate
    requested = [i for i, k in enumerate(kinds) if k == "approval.requested"]
    decided = [i for i, k in enumerate(kinds) if k == "approval.decided"]
    assert len(requested) == len(decided) == 8
    assert all(r < d for r, d in zip(requested, decided, strict=True))
