"""A task message as kombu's Redis transport stores it, written from a template with slots.

``RedisQueueWriter`` writes every check message of a settle itself (:mod:`.publish`). Building
each one through ``app.amqp.as_task_v2``, kombu's serializer registry and two JSON encodings of
dictionaries took about a tenth of the engine's CPU per gate (``bench/hotpath.py --check
builtin``: 0.12–0.14 of ~1.4 ms); yet all but a few values are the same for every message of a
task name and queue. :class:`Envelopes` asks Celery once per
(task name, queue, extra header names) for a message whose varying values are markers, keeps its
JSON text cut at the markers, and fills the slots of each message with its values' JSON:
the message is the one ``as_task_v2`` builds (``tests/integration/test_publish.py`` compares it
with what ``send_task`` writes), for about half the CPU.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

from prp_tasks.ids import new_uuid

#: the values that differ between two messages of one template
SLOTS = (
    "id",
    "root_id",
    "parent_id",
    "time_limit",
    "argsrepr",
    "kwargsrepr",
    "origin",
    "reply_to",
    "tag",
    "body",
)
_MARK = "\u0001slot:{}\u0001"
#: what kombu's JSON serializer says of its bodies
JSON = ("application/json", "utf-8")
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}

#: a string's JSON (quoted, escaped as ``json.dumps`` escapes it), without json.dumps's dispatch
_string: Callable[[str], str] = encode_basestring_ascii

#: builds (headers, properties) as ``as_task_v2`` does, from the keyword arguments it takes
TaskMessage = Callable[..., tuple[dict[str, Any], dict[str, Any]]]


def kombu_envelope(
    body: str,
    content: tuple[str, str],
    headers: dict[str, Any],
    properties: dict[str, Any],
    *,
    exchange: str,
    routing_key: str,
    delivery_tag: str,
) -> dict[str, Any]:
    """A message as kombu's Redis transport stores and publishes it (``body``: already base64;
    ``content``: its type and encoding), with the delivery properties ``Channel.basic_publish``
    adds after ``properties``."""
    properties.update(
        delivery_mode=2,
        delivery_info={"exchange": exchange, "routing_key": routing_key},
        priority=0,
        body_encoding="base64",
        delivery_tag=delivery_tag,
    )
    content_type, encoding = content
    return {
        "body": body,
        "content-encoding": encoding,
        "content-type": content_type,
        "headers": headers,
        "properties": properties,
    }


@dataclass(frozen=True)
class Template:
    """A message's JSON text cut at its slots: ``parts[0] slot parts[1] slot ...``."""

    parts: tuple[str, ...]
    slots: tuple[str, ...]

    @classmethod
    def of(cls, text: str, names: tuple[str, ...]) -> Template:
        marks = {json.dumps(_MARK.format(n)): n for n in names}
        parts, slots, rest = [], [], text
        while True:
            found = [(rest.find(m), m) for m in marks if m in rest]
            if not found:
                break
            at, mark = min(found)
            parts.append(rest[:at])
            slots.append(marks[mark])
            rest = rest[at + len(mark) :]
        parts.append(rest)
        return cls(tuple(parts), tuple(slots))

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each slot replaced by its value's JSON (``values``: already JSON)."""
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            out.append(values[slot])
            out.append(part)
        return "".join(out)


class Envelopes:
    """Task messages from templates, one per (task name, queue, extra header names, whether the
    message has a time limit)."""

    def __init__(self, task_message: TaskMessage) -> None:
        self._task_message = task_message
        self._templates: dict[tuple[str, str, tuple[str, ...], bool], Template] = {}
        self._lock = threading.Lock()

    def message(
        self,
        name: str,
        queue: str,
        *,
        task_id: str,
        options: Mapping[str, Any],
        root_id: str | None,
        parent_id: str | None,
        origin: str,
        reply_to: str,
    ) -> str:
        """The message ``as_task_v2(task_id, name, **options, ...)`` builds, as stored in ``queue``
        (``options``: kwargs, argsrepr, kwargsrepr, time_limit and extra headers when given)."""
        extra: Mapping[str, str] = options.get("headers") or {}
        template = self._template(name, queue, options, tuple(extra))
        body = json.dumps([[], options["kwargs"], _EMBED])
        values = {
            "id": _string(task_id),
            "root_id": _string(root_id or task_id),
            "parent_id": _string(parent_id) if parent_id is not None else "null",
            "time_limit": json.dumps(options.get("time_limit")),
            "argsrepr": _string(options["argsrepr"]),
            "kwargsrepr": _string(options["kwargsrepr"]),
            "origin": _string(origin),
            "reply_to": _string(reply_to),
            "tag": _string(new_uuid()),
            "body": '"' + base64.b64encode(body.encode()).decode("ascii") + '"',
        }
        values.update({f"h:{k}": _string(v) for k, v in extra.items()})
        return template.fill(values)

    def _template(
        self, name: str, queue: str, options: Mapping[str, Any], extra: tuple[str, ...]
    ) -> Template:
        key = (name, queue, extra, "time_limit" in options)
        template = self._templates.get(key)
        if template is None:
            with self._lock:
                template = self._templates.setdefault(key, self._made(name, queue, options, extra))
        return template

    def _made(self, name: str, queue: str, options: Mapping[str, Any], extra: tuple[str, ...]) -> Template:
        mark = _MARK.format
        marked: dict[str, Any] = {
            **options,
            "argsrepr": mark("argsrepr"),
            "kwargsrepr": mark("kwargsrepr"),
            "headers": {k: mark(f"h:{k}") for k in extra},
        }
        if "time_limit" in options:
            marked["time_limit"] = mark("time_limit")
        headers, properties = self._task_message(
            mark("id"),
            name,
            **marked,
            root_id=mark("root_id"),
            parent_id=mark("parent_id"),
            reply_to=mark("reply_to"),
            origin=mark("origin"),
        )
        message = kombu_envelope(
            mark("body"), JSON, headers, properties, exchange="", routing_key=queue, delivery_tag=mark("tag")
        )
        names = (*SLOTS, *(f"h:{k}" for k in extra))
        return Template.of(json.dumps(message), names)
