"""The Python client and raw Celery submission, against the real Redis and worker."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prp_tasks import Client
from prp_tasks.errors import ConflictError, InputError
from prp_tasks.intake.submission import SubmitRequest
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from tests.conftest import wait_until

WORKFLOW: dict[str, Any] = {
    "name": "client-flow",
    "gates": [
        {"id": "A", "checks": [{"name": "a", "run": ["true"]}], "approval": {"role": "maintainer"}},
        {"id": "B", "depends_on": ["A"], "checks": [{"name": "b", "run": ["true"]}]},
    ],
}


@pytest.fixture
def client(settings: Settings, celery_app: Any) -> Client:
    return Client(settings=settings)


def test_a_service_submits_follows_decides_and_reads_outputs(
    client: Client, make_repo: Callable[..., Path]
) -> None:
    run = client.submit(repo=make_repo(), workflow=WORKFLOW, blueprint={"title": "Client demo"}, actor="svc")
    wait_until(lambda: run.status()["status"] == "awaiting_approval", timeout=30)
    assert [g["id"] for g in run.status()["active_gates"]] == ["A"]
    assert "approved" in run.decide("A", actor="mia")
    final = run.wait(timeout=30)
    assert final["status"] == "passed"
    assert run.output("prp.md").startswith("# PRP Document")
    assert "Client demo" in run.output("prp.md")


def test_the_same_idempotency_key_returns_the_same_run(
    client: Client, make_repo: Callable[..., Path]
) -> None:
    repo = make_repo()
    first = client.submit(repo=repo, workflow=WORKFLOW, idempotency_key="svc-7")
    again = client.submit(repo=repo, workflow=WORKFLOW, idempotency_key="svc-7")
    assert (first.run_id, first.created, again.created) == (again.run_id, True, False)
    with pytest.raises(ConflictError, match="already used for a different request"):
        client.submit(repo=repo, workflow=None, idempotency_key="svc-7")
    assert first.cancel() is True


def test_bad_input_is_refused_before_anything_is_written(
    client: Client, control: Control, make_repo: Callable[..., Path]
) -> None:
    before = control.store.redis.zcard(control.store.keys.runs)
    with pytest.raises(InputError, match="repository path is not a directory"):
        client.submit(repo="/does/not/exist", idempotency_key="svc-bad")
    with pytest.raises(InputError, match=r"repository path cannot be read: a{200}…: File name too long"):
        client.submit(repo="a" * 300)  # the file system refuses the name (not a traceback)
    with pytest.raises(InputError, match="gates"):
        client.submit(repo=make_repo(), workflow={"name": "x", "gates": []})
    assert control.store.redis.zcard(control.store.keys.runs) == before
    # the refused keyed submission did not keep the key: a valid one may use it now
    ok = client.submit(repo=make_repo(), workflow=WORKFLOW, idempotency_key="svc-bad")
    assert ok.created
    ok.cancel()


def test_raw_celery_send_task_submits_a_run(
    celery_app: Any, control: Control, make_repo: Callable[..., Path]
) -> None:
    payload = SubmitRequest(
        repo=str(make_repo()), workflow=WORKFLOW, idempotency_key="raw-celery-1", actor="rawbot"
    )
    celery_app.send_task("prp.submit_run", kwargs=payload.model_dump(mode="json"), queue="prp.control")
    key = control.store.keys.idempotency(hashlib.sha256(b"raw-celery-1").hexdigest())

    def claimed_run() -> str | None:
        raw = control.store.redis.get(key)
        run_id = json.loads(raw)["run_id"] if raw else None
        return run_id if run_id and control.store.exists(run_id) else None

    wait_until(lambda: claimed_run() is not None, timeout=30)
    run_id = claimed_run()
    assert run_id is not None
    assert control.store.spec(run_id).actor == "rawbot"
    assert control.submit_request(payload, actor="rawbot").run_id == run_id  # same key, same run
    control.cancel(run_id)


def test_a_plain_celery_submitter_finds_its_run_by_key_and_a_misrouted_message_is_reported(
    settings: Settings, celery_app: Any, control: Control, make_repo: Callable[..., Path]
) -> None:
    """A submitter with nothing of prp but Celery: the documented message contract."""
    from celery import Celery

    from prp_tasks.service.diagnostics import diagnose
    from prp_tasks.settings import to_kombu_url

    plain = Celery("raw-submitter", broker=to_kombu_url(settings.redis_url or ""))
    kwargs = {"repo": str(make_repo()), "workflow": WORKFLOW, "idempotency_key": "plain-7", "actor": "rawbot"}
    with plain.connection_for_write() as conn:
        plain.send_task("prp.submit_run", kwargs=kwargs, queue="prp.control", connection=conn)
        wait_until(lambda: control.list_runs(idempotency_key="plain-7")[0] != [], timeout=30)
        [row] = control.list_runs(idempotency_key="plain-7")[0]
        found = Client(settings=settings).find("plain-7")
        assert found is not None and found.run_id == row["run_id"]
        assert Client(settings=settings).find("never-sent") is None
        started = [
            json.loads(fields["event"])["data"]
            for _, fields in control.recent_events(2000)
            if fields["type"] == "prp_runner.processing.started" and fields["subject"] == row["run_id"]
        ]
        assert [s.get("idempotencyKey") for s in started] == ["plain-7"]
        control.cancel(row["run_id"])
        assert diagnose(settings, control).as_json()["findings"][-1]["ok"] is True
        plain.send_task("prp.submit_run", kwargs={**kwargs, "idempotency_key": "lost-1"}, connection=conn)
    finding = diagnose(settings, control).as_json()["findings"][-1]
    assert finding["name"] == "default queue" and finding["ok"] is False
    assert "prp.submit_run" in finding["detail"] and "queue='prp.control'" in finding["detail"]
    control.state.client.delete("celery")


def test_waiting_for_a_run_is_woken_by_its_finalization_not_by_polling(
    client: Client, control: Control, make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finalization publishes a notice: a waiter that would look again only every 60 s
    returns as soon as the run is final, without reading the run again (the notice is only sent
    after the commit)."""
    run = client.submit(repo=make_repo(), workflow=WORKFLOW)
    wait_until(lambda: run.status()["status"] == "awaiting_approval", timeout=30)
    decided = threading.Timer(0.5, lambda: run.decide("A", actor="mia"))
    decided.start()
    reads: list[bool] = []
    is_final = control.is_final
    started = time.monotonic()
    try:
        monkeypatch.setattr(control, "is_final", lambda run_id: reads.append(is_final(run_id)) or reads[-1])
        assert control.wait_final(run.run_id, timeout_s=50, poll_s=60)
    finally:
        decided.join()
        monkeypatch.undo()
    assert time.monotonic() - started < 20  # the old polling loop slept its 60 s slice first
    assert reads == [False]  # looked once, before the notice
    assert run.status()["status"] == "passed"
    # a run that never finishes: the timeout still holds
    other = client.submit(repo=make_repo(), workflow=WORKFLOW)
    started = time.monotonic()
    assert control.wait_final(other.run_id, timeout_s=0.5, poll_s=60) is False
    assert time.monotonic() - started < 5
    other.cancel()
