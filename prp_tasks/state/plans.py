"""What the state scripts that can make work ready take besides their own arguments: the follow-up
plan of a step, the messages prepared for the gates it may make ready, and a settle's arguments
(read back by ``read_plan`` and ``read_settle`` in ``lua/prelude.lua``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from prp_tasks.core.models import GateStatus
from prp_tasks.core.results import GateRecord
from prp_tasks.state.events import Rendered
from prp_tasks.state.lua import Args

if TYPE_CHECKING:
    from prp_tasks.core.approvals import AuditEvent


class Announcer(Protocol):
    """Tells monitors that prepared messages were queued (after the script queued them)."""

    def announce(self) -> None: ...


#: a check message as the scripts take it: queue ('' when sent by another broker), message,
#: "gate/check", dispatched entry JSON, dispatch index member
MessageRow = tuple[str, str, str, str, str]


def index_member(run_id: str, field: str) -> str:
    """A check's member of ``P:dispatch:index``."""
    return json.dumps([run_id, field])


@dataclass(frozen=True)
class Plan:
    """What every script that can make work ready needs to follow it up (``read_plan``)."""

    run_id: str
    now_ms: int
    due_ms: int  #: when the repair loop looks at what this step leaves behind
    direct: bool  #: prepared messages may be pushed by the script itself
    slot_limit: int
    events_maxlen: int
    before: tuple[Rendered, ...] = ()  #: lifecycle events emitted before this step (written by it)

    def write(self, args: Args) -> Args:
        args.one(self.run_id, self.now_ms, self.due_ms, int(self.direct), self.slot_limit)
        return args.one(self.events_maxlen).rows(self.before, 2)


@dataclass(frozen=True)
class Outgoing:
    """A gate's check messages, prepared for a script to queue if the gate becomes ready."""

    rows: tuple[MessageRow, ...]
    events: tuple[Rendered, ...]
    queued: Announcer | None  #: announces the messages to monitors once queued


@dataclass(frozen=True)
class Launch:
    """What a submission writes in the run's creation besides its state: the lifecycle events
    emitted before it (the run's start) and the roots' prepared messages (a direct plan), queued and
    recorded as dispatched in the same transaction; a root not in ``outgoing`` gets its start in
    the outbox."""

    events_maxlen: int
    events: tuple[Rendered, ...] = ()
    outgoing: Mapping[str, Outgoing] = field(default_factory=dict)


@dataclass(frozen=True)
class SettleSpec:
    """One settle (``read_settle``): the gate's move and everything that comes with it."""

    gate_id: str
    expect: GateStatus
    record: GateRecord
    now: str
    dependents: Sequence[str] = ()
    skips: Mapping[str, GateRecord] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)
    audit: Sequence[AuditEvent] = ()
    metrics: Sequence[tuple[str, float]] = ()
    settled_events: tuple[Rendered, ...] = ()
    outgoing: Mapping[str, Outgoing] = field(default_factory=dict)

    def write(self, args: Args) -> Args:
        record = self.record
        args.one(self.gate_id, self.expect.value, record.result.status.value, record.to_json(), self.now)
        args.many(self.dependents).rows(((g, r.to_json()) for g, r in self.skips.items()), 2)
        args.rows(self.outputs.items(), 2).rows(((e.type.value, e.to_json()) for e in self.audit), 2)
        args.rows(self.metrics, 2).rows(self.settled_events, 2).one(len(self.outgoing))
        for gate_id, out in self.outgoing.items():
            args.one(gate_id).rows(out.rows, 5).rows(out.events, 2)
        return args
