"""Check messages written into the Redis broker's queue in the same transaction as their record.

When the broker is the Redis that holds the runs' state (the default: ``PRP_BROKER_URL`` unset),
a check's Celery message does not need a second connection and two more round trips through
kombu's producer: the engine's dispatch transaction (the events that led to the dispatch, the
"gate/check -> message id" record the reconciler reads) also pushes the message onto the queue
list. A check is then recorded as dispatched exactly when its message is queued, and a gate costs
one round trip less. A run's ``prp.finalize_run`` message goes out the same way, with the events
of the gate that settled last.

The message is Celery's own (task protocol 2, built by ``app.amqp.as_task_v2``) in kombu's Redis
envelope (JSON, body base64, what ``Channel._put`` writes for priority 0 to an anonymous-exchange
route), so workers consume it as any other; ``tests/integration/test_publish.py`` compares it with
a message published by ``send_task``. Task-sent events (``PRP_TASK_EVENTS``) are still sent.
Any other broker (RabbitMQ, a different Redis, a kombu key prefix) goes through ``send_task``.

A finished run's "release your workspace" broadcast goes out the same way: the remote-control
message ``app.control.broadcast`` would publish (kombu's pidbox envelope on the mailbox's fanout
topic) is published on the state store's own connection, without a kombu producer per run.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from celery.utils.nodenames import anon_nodename
from kombu.serialization import dumps

from prp_tasks.celeryapp.envelopes import Envelopes, kombu_envelope
from prp_tasks.engine.ports import CheckMessage
from prp_tasks.ids import new_hex, new_uuid
from prp_tasks.routing import CONTROL, FINALIZE_RUN, RUN_CHECK, queue_name
from prp_tasks.settings import Settings, to_kombu_url
from prp_tasks.telemetry.tracing import Tracing

log = logging.getLogger("prp_tasks.celeryapp.publish")

#: a check task's hard time limit is its check's timeout plus this (the check is killed first)
GRACE_S = 30
#: the remote-control command that removes a finished run's worktree on every worker
RELEASE_COMMAND = "prp_release_workspace"
#: a broadcast not handled by then is dropped by the worker (``app.control.broadcast``'s default)
BROADCAST_EXPIRES_S = 1.0


def task_options(check: CheckMessage, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """What ``send_task`` and ``as_task_v2`` both take for a check's message: its arguments, hard
    time limit and the argument reprs (given, so Celery does not ``saferepr`` the arguments of
    every message). Monitors show the registered task name; run, gate and check are in the
    kwargs repr, never in a name (a per-run name is an unbounded label in Flower's metrics).
    ``headers``: extra message headers (the gate span's W3C ``traceparent`` when tracing is on)."""
    options: dict[str, Any] = {
        "kwargs": check.kwargs(),
        "time_limit": check.time_limit_s + GRACE_S,
        "argsrepr": "()",
        "kwargsrepr": f"{{run_id: {check.run_id}, gate: {check.gate_id}, check: {check.check}}}",
    }
    if headers:
        options["headers"] = headers
    return options


def finalize_options(run_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """What ``send_task`` and ``as_task_v2`` both take for a run's finalization message
    (``headers``: the run span's ``traceparent`` when tracing is on)."""
    options: dict[str, Any] = {
        "kwargs": {"run_id": run_id},
        "argsrepr": "()",
        "kwargsrepr": f"{{run_id: {run_id}}}",
    }
    if headers:
        options["headers"] = headers
    return options


def direct_publish_possible(settings: Settings) -> bool:
    """True when check messages can be written by the state store's own Redis connection."""
    if not settings.direct_publish or settings.redis_url is None:
        return False
    same_redis = settings.broker == to_kombu_url(settings.redis_url)
    return same_redis and "global_keyprefix" not in settings.broker_transport_options


def kombu_message(
    body: Any,
    serializer: str,
    headers: dict[str, Any],
    properties: dict[str, Any],
    *,
    exchange: str,
    routing_key: str,
) -> str:
    """A message as kombu's Redis transport stores and publishes it: JSON, the serialized body in
    base64, the delivery properties ``Channel.basic_publish`` adds after ``properties``."""
    content_type, encoding, data = dumps(body, serializer=serializer)  # type: ignore[no-untyped-call]
    raw = data.encode(encoding) if isinstance(data, str) else data
    encoded = base64.b64encode(raw).decode("ascii")
    return json.dumps(
        kombu_envelope(
            encoded,
            (content_type, encoding),
            headers,
            properties,
            exchange=exchange,
            routing_key=routing_key,
            delivery_tag=new_uuid(),
        )
    )


class RedisQueueWriter:
    """Builds check messages and adds their ``LPUSH`` to a batch of commands for the broker's Redis."""

    def __init__(self, app: Celery, queue_of: Callable[[str], str], tracing: Tracing | None = None) -> None:
        self.app = app
        self.queue_of = queue_of
        self.tracing = tracing
        self.sent_events = bool(app.conf.task_send_sent_event)
        self._origin = ("", 0)  # (nodename, pid): worker processes fork after import
        self._topics: dict[str, tuple[str, ...]] = {}
        self.envelopes = Envelopes(self._template_message)

    def commands(self, checks: Sequence[CheckMessage]) -> Queued:
        """The messages of ``checks``, ready to be added to a batch of commands."""
        queued = Queued(self.app)
        for check in checks:
            options = task_options(check, self.headers(check))
            queued.add(*self.envelope(RUN_CHECK, check.task_id, options, check.queue))
        return queued

    def headers(self, check: CheckMessage) -> dict[str, str]:
        return self.tracing.headers(check.run_id, check.gate_id) if self.tracing is not None else {}

    def finalize(self, run_id: str) -> tuple[str, str]:
        """The run's ``prp.finalize_run`` message: (queue, message as the broker stores it)."""
        options = finalize_options(run_id, self.tracing.headers(run_id) if self.tracing is not None else None)
        queue, payload, _sent = self.envelope(FINALIZE_RUN, new_hex(), options, CONTROL)
        return queue, payload

    def envelope(
        self, name: str, task_id: str, options: dict[str, Any], queue_class: str
    ) -> tuple[str, str, dict[str, Any] | None]:
        """(queue, the message as kombu's Redis transport stores it, its task-sent event or None);
        the current task (if any) is the message's parent, as with ``send_task``. Without task
        events the message is filled in from its template (:mod:`.envelopes`)."""
        queue = self.queue_of(queue_class)
        parent = self.app.current_worker_task
        ids = {
            "root_id": (parent.request.root_id or parent.request.id) if parent else None,
            "parent_id": parent.request.id if parent else None,
            "reply_to": self.app.thread_oid,
            "origin": self.origin(),
        }
        if not self.sent_events:
            return queue, self.envelopes.message(name, queue, task_id=task_id, options=options, **ids), None
        headers, properties, body, sent = self._task_message(task_id, name, with_event=True, **options, **ids)
        if sent is not None:
            sent.update(queue=queue, exchange="", routing_key=queue)
        return queue, kombu_message(body, "json", headers, properties, exchange="", routing_key=queue), sent

    def _task_message(
        self, task_id: str, name: str, *, with_event: bool = False, **options: Any
    ) -> tuple[dict[str, Any], dict[str, Any], Any, dict[str, Any] | None]:
        """Celery's own message for ``options`` (headers, properties, body, task-sent event)."""
        headers, properties, body, sent = self.app.amqp.as_task_v2(
            task_id,
            name,
            **options,
            create_sent_event=with_event,
            ignore_result=None,  # as send_task leaves it (the task options decide)
        )
        headers.update(options.get("headers") or {})  # as send_task merges them
        properties.update(
            argsrepr=options["argsrepr"],  # send_task repeats these in the properties; so do we
            kwargsrepr=options["kwargsrepr"],
        )
        return headers, properties, body, sent

    def _template_message(
        self, task_id: str, name: str, **options: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        headers, properties, _body, _sent = self._task_message(task_id, name, **options)
        return headers, properties

    def broadcast(self, command: str, arguments: dict[str, Any]) -> tuple[tuple[str, ...], str]:
        """(Pub/Sub topics, message) of a remote-control command to every worker, as
        ``app.control.broadcast(command, arguments)`` publishes it (no reply asked for)."""
        mailbox = self.app.control.mailbox
        body = {
            "method": command,
            "arguments": arguments,
            "destination": None,
            "pattern": None,
            "matcher": None,
        }
        headers = {"clock": mailbox.clock.forward(), "expires": time.time() + BROADCAST_EXPIRES_S}
        exchange = mailbox.exchange.name
        message = kombu_message(
            body, mailbox.serializer or "json", headers, {}, exchange=exchange, routing_key=""
        )
        return self.fanout_topics(exchange), message

    def fanout_topics(self, exchange: str) -> tuple[str, ...]:
        """The topics kombu's Redis transport publishes ``exchange``'s messages on (asked once)."""
        topics = self._topics.get(exchange)
        if topics is None:
            with self.app.connection_for_write() as conn:
                topics = tuple(conn.default_channel._get_publish_topics(exchange, ""))
            self._topics[exchange] = topics
        return topics

    def origin(self) -> str:
        nodename, pid = self._origin
        if pid != os.getpid():
            nodename, pid = anon_nodename(), os.getpid()
            self._origin = (nodename, pid)
        return nodename


@dataclass
class Queued:
    """Check messages to push in a transaction, and the task-sent events to send after it."""

    app: Celery
    messages: list[tuple[str, str]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def add(self, queue: str, payload: str, sent: dict[str, Any] | None) -> None:
        self.messages.append((queue, payload))
        if sent is not None:
            self.sent.append(sent)

    def payloads(self) -> list[tuple[str, str]]:
        return list(self.messages)

    def announce(self) -> None:
        """Task-sent events for monitors (Flower), as ``send_task`` would have sent them; best
        effort: the messages are queued and recorded already, a monitor missing one is no error."""
        if not self.sent:
            return
        try:
            with self.app.events.default_dispatcher() as dispatcher:
                for event in self.sent:
                    dispatcher.send("task-sent", **event)
        except Exception as exc:
            log.warning("task-sent events not sent: %s", exc)


class CeleryEnqueuer:
    """:class:`prp_tasks.engine.ports.Enqueuer` over Celery messages."""

    def __init__(self, app: Celery, settings: Settings | None = None, tracing: Tracing | None = None) -> None:
        self.app = app
        self.direct = settings is not None and direct_publish_possible(settings)
        self.tracing = tracing
        self.writer = RedisQueueWriter(app, queue_name, tracing) if self.direct else None

    def check(self, message: CheckMessage) -> None:
        headers = self.tracing.headers(message.run_id, message.gate_id) if self.tracing is not None else {}
        options = task_options(message, headers)
        with self.tracing.publishing(message.run_id, message.gate_id) if self.tracing else nullcontext():
            self.app.send_task(RUN_CHECK, queue=queue_name(message.queue), task_id=message.task_id, **options)

    def in_transaction(self, messages: Sequence[CheckMessage]) -> Queued | None:
        return self.writer.commands(messages) if self.writer is not None else None

    def finalize(self, run_id: str) -> None:
        headers = self.tracing.headers(run_id) if self.tracing is not None else None
        self.app.send_task(FINALIZE_RUN, queue=queue_name(CONTROL), **finalize_options(run_id, headers))

    def finalize_message(self, run_id: str) -> tuple[str, str] | None:
        return self.writer.finalize(run_id) if self.writer is not None else None

    def release_workspaces(self, run_id: str) -> None:
        """Broadcast to every worker (remote control, no reply awaited); a missed one is GC'd later."""
        self.app.control.broadcast(RELEASE_COMMAND, arguments={"run_id": run_id})

    def release_message(self, run_id: str) -> tuple[tuple[str, ...], str] | None:
        return self.writer.broadcast(RELEASE_COMMAND, {"run_id": run_id}) if self.writer is not None else None
