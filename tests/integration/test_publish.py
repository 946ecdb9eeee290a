"""Publishing and consuming over Redis: a check message queued by a state script is the message
``send_task`` would have sent, it is queued in the same step as its dispatch record, monitors
still hear about it, and the transport reuses its redis-py client."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.exceptions import Retry

from prp_tasks.celeryapp.app import create_celery
from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.publish import RELEASE_COMMAND, CeleryEnqueuer, direct_publish_possible
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.celeryapp.tasks import retry
from prp_tasks.celeryapp.transport import Channel, SentinelTransport, Transport
from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.run import RunStatus
from prp_tasks.engine.ports import CheckMessage
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import Settings, load_settings
from prp_tasks.state.connection import Replicas
from prp_tasks.state.finish import FinishStore
from prp_tasks.state.keys import Keys
from prp_tasks.state.notices import FinalNotices
from tests.conftest import EMBEDDED_SERVER

FLOW = "name: one\ngates:\n  - {id: G0, checks: [{name: lint, run: ['true']}]}\n"
MESSAGE = CheckMessage("run-1", "G0", "lint", "automated", 30.0, "task-1", 1_700_000_000.5)


@pytest.fixture
def private(tmp_path: Path) -> Any:
    """A Redis no worker consumes from (the session's worker would take the messages)."""
    with EmbeddedRedis(tmp_path / "redis", server=EMBEDDED_SERVER) as server:
        yield server


def _settings(server: EmbeddedRedis, **overrides: Any) -> Settings:
    return load_settings(redis_url=server.url, key_prefix="pub", **{"task_events": False, **overrides})


def _pop(client: redis.Redis, queue: str = "prp.automated") -> dict[str, Any]:
    raw = client.rpop(queue)
    assert raw is not None, f"nothing queued on {queue}"
    message: dict[str, Any] = json.loads(raw)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


def test_the_direct_message_is_the_one_send_task_writes(private: EmbeddedRedis) -> None:
    settings = _settings(private)
    app = create_celery(settings)
    client = redis.Redis.from_url(private.url)
    CeleryEnqueuer(app).check(MESSAGE)  # no settings: through send_task
    sent = _pop(client)
    queued = CeleryEnqueuer(app, settings).in_transaction([MESSAGE])
    assert queued is not None
    [(queue, payload)] = queued.payloads()
    client.lpush(queue, payload)  # what the scripts do with it
    direct = _pop(client)
    assert sent["properties"].pop("delivery_tag") != direct["properties"].pop("delivery_tag")
    assert {k: v for k, v in direct["headers"].items() if sent["headers"].get(k) != v} == {}
    assert direct == sent
    assert direct["headers"]["timelimit"] == [60.0, None]
    assert direct["body"][1] == MESSAGE.kwargs()


def test_the_direct_finalize_message_is_the_one_send_task_writes(private: EmbeddedRedis) -> None:
    settings = _settings(private)
    app = create_celery(settings)
    client = redis.Redis.from_url(private.url)
    CeleryEnqueuer(app).finalize("run-1")
    sent = _pop(client, "prp.control")
    message = CeleryEnqueuer(app, settings).finalize_message("run-1")
    assert message is not None and CeleryEnqueuer(app).finalize_message("run-1") is None
    client.lpush(*message)
    direct = _pop(client, "prp.control")
    for message in (sent, direct):
        message["properties"].pop("delivery_tag")
        assert message["headers"].pop("id") == message["properties"].pop("correlation_id")
        assert message["headers"].pop("root_id")  # the message's own id: a new one each time
    assert direct == sent
    assert direct["headers"]["task"] == "prp.finalize_run"
    assert direct["body"][1] == {"run_id": "run-1"}


def test_the_release_broadcast_is_the_one_control_broadcast_publishes(private: EmbeddedRedis) -> None:
    """The finalization's "release your workspace" message, published on the state store's
    connection, is what ``app.control.broadcast`` publishes: same topic, same envelope, the same
    command."""
    settings = _settings(private)
    app = create_celery(settings)
    client = redis.Redis.from_url(private.url)
    pubsub = client.pubsub()
    pubsub.psubscribe("*")
    assert pubsub.get_message(timeout=5)["type"] == "psubscribe"  # type: ignore[index]
    app.control.broadcast(RELEASE_COMMAND, arguments={"run_id": "run-1"})
    sent = pubsub.get_message(timeout=5)
    assert sent is not None and sent["type"] == "pmessage"
    release = CeleryEnqueuer(app, settings).release_message("run-1")
    assert release is not None
    topics, payload = release
    assert topics == (sent["channel"].decode(),)
    ours, theirs = json.loads(payload), json.loads(sent["data"])
    for message in (ours, theirs):
        message["body"] = json.loads(base64.b64decode(message["body"]))
        assert message["properties"].pop("delivery_tag")
        assert message["headers"].pop("clock") > 0
        assert 0 < message["headers"].pop("expires") - time.time() <= 1.0
    assert ours == theirs
    assert ours["body"]["method"] == RELEASE_COMMAND
    assert ours["body"]["arguments"] == {"run_id": "run-1"}
    pubsub.close()
    assert CeleryEnqueuer(app).release_message("run-1") is None  # another broker: broadcast() then


def test_the_release_broadcast_is_best_effort_for_a_redis_user_without_channels(
    private: EmbeddedRedis,
) -> None:
    """Published on the state store's connection after the final notice: a Redis user that may
    not publish (an ACL user without channels) gets neither, and the finalization goes on (each
    worker's sweep removes the workspace)."""
    admin = redis.Redis.from_url(private.url)
    admin.acl_setuser(
        "nochan", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all"], reset_channels=True
    )
    client = redis.Redis.from_url(private.url, username="nochan", password="pw")
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.publish("topic", "message")
    FinalNotices(client, Keys("acl")).broadcast(("topic",), "message")  # no error


def test_the_commit_tells_the_runs_waiters_itself_when_asked_and_never_before_replicas(
    private: EmbeddedRedis,
) -> None:
    """With ``announce``, the finalize script publishes the run's status on its channel once the
    outputs are committed (no round trip of its own after it); best effort for a Redis user that
    may not publish (the commit stands); and never while commits wait for replicas, where the
    notice must follow the replicas' confirmation."""
    admin = redis.Redis.from_url(private.url, decode_responses=True)
    admin.acl_setuser(
        "nochan", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all"], reset_channels=True
    )
    keys = Keys("fin")
    pubsub = admin.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(*(keys.run(r).final_channel for r in ("r1", "r2", "r3")))

    def commit(client: redis.Redis, run_id: str, announce: bool) -> bool:
        return FinishStore(client, keys).finalize(
            run_id,
            status=RunStatus.PASSED,
            finished_at=utc_now(),
            outputs={"prp.md": run_id},
            retention_s=60,
            announce=announce,
        )

    assert commit(admin, "r1", announce=False) and commit(admin, "r2", announce=True)
    assert not commit(admin, "r2", announce=True)  # committed once, told once
    nochan = redis.Redis.from_url(private.url, username="nochan", password="pw")
    assert commit(nochan, "r3", announce=True)
    assert admin.hget(keys.run("r3").meta, "finalized") == "1"
    deadline, told = time.monotonic() + 0.5, []
    while time.monotonic() < deadline:  # None is also the subscriptions' confirmations, skipped
        if (message := pubsub.get_message(timeout=0.1)) is not None:
            told.append(message)
    assert [(m["channel"], m["data"]) for m in told] == [(keys.run("r2").final_channel, "passed")]
    assert not FinishStore(admin, keys, Replicas(1, 100)).announces
    pubsub.close()


def test_with_tracing_both_paths_carry_the_gate_and_run_traceparent(
    private: EmbeddedRedis, tmp_path: Path
) -> None:
    from prp_tasks.telemetry.tracing import Tracing, traceparent

    settings = _settings(private, trace_file=tmp_path / "spans.jsonl")
    tracing = Tracing(settings)
    app = create_celery(settings)
    client = redis.Redis.from_url(private.url)
    CeleryEnqueuer(app, tracing=tracing).check(MESSAGE)
    CeleryEnqueuer(app, tracing=tracing).finalize(MESSAGE.run_id)
    queued = CeleryEnqueuer(app, settings, tracing).in_transaction([MESSAGE])
    finalize = CeleryEnqueuer(app, settings, tracing).finalize_message(MESSAGE.run_id)
    assert queued is not None and finalize is not None
    client.lpush(*queued.payloads()[0])
    client.lpush(*finalize)
    gate = traceparent(MESSAGE.run_id, MESSAGE.gate_id)
    run = traceparent(MESSAGE.run_id)
    assert gate != run and gate.startswith("00-") and gate.endswith("-01")
    assert [_pop(client)["headers"]["traceparent"] for _ in range(2)] == [gate, gate]
    assert [_pop(client, "prp.control")["headers"]["traceparent"] for _ in range(2)] == [run, run]


def test_messages_leave_with_their_dispatch_record(private: EmbeddedRedis, tmp_path: Path) -> None:
    """A gate's messages are queued by the script that records them as dispatched (and indexes
    them for the repair loop), and only while the gate is running."""
    settings = _settings(private)
    engine = Runtime(settings).engine
    spec = prepare_run(tmp_path, workflow=parse_workflow(FLOW))
    engine.store.create_run(spec, roots=["G0"], ttl_s=60, now=utc_now(), due_ms=0)
    gate = spec.workflow.gate("G0")
    assert engine.followups.dispatch(spec, gate, ["lint"], "start:G0")
    client = redis.Redis.from_url(private.url, decode_responses=True)
    k = engine.store.k(spec.run_id)
    sent = json.loads(client.hget(k.dispatched, "G0/lint") or "{}")
    assert _pop(client)["headers"]["id"] == sent["task_id"]
    assert client.zscore(engine.store.keys.dispatch_index, json.dumps([spec.run_id, "G0/lint"]))
    assert client.hgetall(k.outbox) == {}  # the start item went with the messages
    assert not engine.followups.dispatch(spec, gate, ["lint"], "start:G0")  # done already
    assert client.llen("prp.automated") == 0


def test_task_sent_events_are_still_sent(private: EmbeddedRedis) -> None:
    settings = _settings(private, task_events=True)
    app = create_celery(settings)
    heard: list[dict[str, Any]] = []
    queued = CeleryEnqueuer(app, settings).in_transaction([MESSAGE])
    assert queued is not None
    with app.connection_for_read() as conn:
        receiver = app.events.Receiver(conn, handlers={"task-sent": heard.append})
        with receiver.Consumer() as (connection, _, _):
            deadline, announced = time.monotonic() + 10, False
            while not heard and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=0.2)
                except TimeoutError:  # the first idle drain has subscribed: announce now
                    if not announced:
                        queued.announce()
                        announced = True
    assert [e["uuid"] for e in heard] == [MESSAGE.task_id]
    assert heard[0]["name"] == "prp.run_check"
    assert heard[0]["queue"] == "prp.automated"


@pytest.mark.parametrize(
    ("overrides", "possible"),
    [
        ({}, True),
        ({"direct_publish": False}, False),
        ({"broker_url": "amqp://guest:guest@127.0.0.1:5672//"}, False),
        ({"broker_url": "redis://127.0.0.1:6379/5"}, False),
        ({"broker_transport_options": {"global_keyprefix": "x"}}, False),
    ],
)
def test_direct_publishing_only_when_the_broker_is_the_state_redis(
    private: EmbeddedRedis, overrides: dict[str, Any], possible: bool
) -> None:
    assert direct_publish_possible(_settings(private, **overrides)) is possible
    same = _settings(private, broker_url=private.url)
    assert direct_publish_possible(same)


@pytest.mark.parametrize("url", ["redis://h:6379/0", "redis+socket:///tmp/r.sock", "rediss://h:6380/0"])
def test_redis_urls_keep_their_scheme_and_use_the_client_reusing_transport(url: str) -> None:
    """Flower recognises the broker by its URL's scheme: it stays redis://."""
    from kombu import Connection

    assert Connection(url).transport_cls in ("redis", "rediss")
    assert Connection(url).get_transport_cls() is Transport


def test_sentinel_urls_use_the_transport_that_survives_a_failover() -> None:
    from kombu import Connection

    conn = Connection("sentinel://a:26379;sentinel://b:26379", transport_options={"master_name": "m"})
    assert conn.get_transport_cls() is SentinelTransport


def test_the_transport_reuses_one_client_per_channel(private: EmbeddedRedis) -> None:
    """kombu would build a new redis-py client for every ack and every publish."""
    app = create_celery(_settings(private))
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        assert isinstance(channel, Channel)
        first = channel._create_client()
        assert channel._create_client() is first
        assert channel._create_client(asynchronous=True) is not first  # BRPOP's stays kombu's
        assert first.ping()
        channel._pool = None  # a reconnect builds a new pool: the client follows it
        assert channel._create_client() is not first


def test_the_transport_takes_the_restore_lock_expiry(private: EmbeddedRedis) -> None:
    """kombu's channel gets it (its own default is 300 s, whatever the visibility timeout)."""
    app = create_celery(_settings(private, visibility_timeout_s=3))
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        assert channel.visibility_timeout == 3 and channel.unacked_mutex_expire == 5


def test_a_retried_check_keeps_the_argument_reprs_monitors_show(private: EmbeddedRedis) -> None:
    """Celery's ``retry`` republishes a task without its ``argsrepr``/``kwargsrepr``: a check
    retried (a busy lease, Redis away) then showed its kwargs' repr in Flower."""
    runtime = Runtime(_settings(private))
    task = runtime.app.tasks["prp.run_check"]
    client = redis.Redis.from_url(private.url)
    kwargs = MESSAGE.kwargs()
    reprs = {"argsrepr": "()", "kwargsrepr": "{run_id: run-1, gate: G0, check: lint}"}
    delivery = {"exchange": "", "routing_key": "prp.automated"}
    task.push_request(id="task-1", kwargs=kwargs, called_directly=False, delivery_info=delivery, **reprs)
    try:
        with pytest.raises(Retry):
            raise retry(task, 0.5)
    finally:
        task.pop_request()
    message = _pop(client)
    assert message["headers"]["task"] == "prp.run_check"
    assert message["body"][1] == kwargs
    assert message["headers"]["retries"] == 1
    assert {k: message["headers"][k] for k in reprs} == reprs
