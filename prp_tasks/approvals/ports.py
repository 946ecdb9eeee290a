"""What approvals ask of the engine around a settle, as a port (approvals never import the engine).

Settling a decided gate can make its dependents ready: their check messages are prepared before
the settle script runs (it queues the ones that became ready) and whatever it leaves in the run's
outbox is done right after. :class:`prp_tasks.engine.followups.Followups` implements this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from prp_tasks.core.results import GateRecord
from prp_tasks.core.run import RunSpec
from prp_tasks.state.events import EventSink, Rendered
from prp_tasks.state.plans import Outgoing, Plan


class Consequences(Protocol):
    """Prepares a settle's follow-up work and does what the settle leaves in the outbox."""

    events: EventSink

    def plan(self, spec: RunSpec) -> Plan:
        """The follow-up plan of one step of ``spec``'s run."""

    def outgoing(self, plan: Plan, spec: RunSpec, gate_ids: Sequence[str]) -> dict[str, Outgoing]:
        """Prepared check messages of gates a settle may make ready."""

    def settled_events(
        self, run_id: str, record: GateRecord, skips: Mapping[str, GateRecord]
    ) -> tuple[Rendered, ...]:
        """The lifecycle events a settle's script writes if it settles."""

    def after(
        self, run_id: str, ready: Sequence[str], outgoing: Mapping[str, Outgoing], items: Sequence[str]
    ) -> None:
        """Announce what a settle queued and do the items it left in the outbox."""
