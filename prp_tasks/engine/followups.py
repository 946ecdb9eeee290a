"""The consequences of a settle, made durable in the same atomic step, and the outbox that holds the
ones that cannot be done inside it.

A gate settling can make work ready: dependents whose last dependency passed, a slot handed to a
waiting gate, the run's finalization, a pre-approval waiting for a gate that just parked. A worker
killed between the settle and that follow-up work must not leave the run stuck, so the settle
script itself does it (``state/lua/prelude.lua``, ``settle``):

* the ready dependents' check messages, prepared here before the call (:meth:`Followups.outgoing`),
  are pushed onto the broker's queue lists and recorded as dispatched by the script, but only for
  the dependents that became ready; this needs the broker to be the state Redis and the run to have
  no budgets or slot limit to screen its gates against;
* everything else is written into the run's outbox (``P:run:{R}:outbox``: ``start:GATE``,
  ``complete:GATE``, ``preapproval:GATE``, ``close`` (the run already failed while gates wait for
  decisions that cannot change that), ``finalize``) by the same script, and done right after
  by the caller (:meth:`Followups.drain`). Each item goes in the same step as its effect, so doing
  one twice changes nothing. If the caller dies first, a redelivered message of the run (its
  ``acquire`` reports the outbox) or the repair loop (:mod:`prp_tasks.housekeeping.reconciler`, in
  every worker) drains it. With a broker other than the state Redis (RabbitMQ), every start goes through the
  outbox: the messages are sent, then the item is removed.

Every check message is also indexed (``P:dispatch:index``) until its result is claimed, so the
repair loop finds a message that vanished (a worker killed between kombu's pop and its unacked
record) without scanning every run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol

from prp_tasks.core.models import GateSpec, GateStatus
from prp_tasks.core.results import GateRecord
from prp_tasks.core.run import RunSpec
from prp_tasks.engine.limits import RunLimits
from prp_tasks.engine.ports import CheckMessage, Enqueuer
from prp_tasks.errors import RunNotFound
from prp_tasks.ids import new_hex
from prp_tasks.settings import Settings
from prp_tasks.state.events import Rendered
from prp_tasks.state.keys import check_field
from prp_tasks.state.manager import State
from prp_tasks.state.plans import Outgoing, Plan, index_member
from prp_tasks.telemetry.lifecycle import Lifecycle

log = logging.getLogger("prp_tasks.engine.followups")


class FollowupActions(Protocol):
    """What draining an outbox asks of the engine."""

    def complete_gate(self, run_id: str, gate_id: str) -> None: ...

    def skip_unstarted(self, spec: RunSpec, gate_id: str, reason: str) -> None: ...

    def apply_preapprovals(self, run_id: str, gate_id: str) -> None: ...

    def close_parked(self, run_id: str) -> None: ...


class Followups:
    """Prepares follow-up work for settle scripts and drains what they leave in the outbox.

    The items of an outbox are the engine's to do: :meth:`answer_to` names who does them (the
    composition root binds the engine once both exist).
    """

    def __init__(
        self, settings: Settings, state: State, enqueue: Enqueuer, lifecycle: Lifecycle, limits: RunLimits
    ) -> None:
        self.settings = settings
        self.store = state.runs
        self.finish = state.finish
        self.enqueue = enqueue
        self.events = state.events
        self.lifecycle = lifecycle
        self.limits = limits
        self.grace_ms = int(settings.reconcile_grace_s * 1000)
        self._actions: FollowupActions | None = None
        self._local = threading.local()

    def answer_to(self, actions: FollowupActions) -> None:
        """Who does what an outbox asks (completing gates, applying pre-approvals ...)."""
        self._actions = actions

    @property
    def actions(self) -> FollowupActions:
        if self._actions is None:
            raise RuntimeError("Followups.answer_to was never called: the engine is not bound")
        return self._actions

    # preparing --------------------------------------------------------------------------------

    def plan(self, spec: RunSpec) -> Plan:
        """The follow-up plan of a step of ``spec``'s run; takes this thread's held events."""
        now_ms = int(time.time() * 1000)
        direct = self.enqueue.direct and not self.limits.screens(spec)
        return Plan(
            spec.run_id,
            now_ms,
            now_ms + self.grace_ms,
            direct,
            self.limits.gate_limit(spec),
            self.settings.events_maxlen,
            tuple(self.events.take_held()),
        )

    def outgoing(self, plan: Plan, spec: RunSpec, gate_ids: Sequence[str]) -> dict[str, Outgoing]:
        """Prepared messages of the gates (with checks) a settle may make ready (direct plans only)."""
        if not plan.direct:
            return {}
        out = {}
        for gate_id in gate_ids:
            gate = spec.workflow.gate(gate_id)
            if gate.checks:
                out[gate_id] = self._messages(spec, gate, [c.name for c in gate.checks], plan)
        return out

    def _messages(self, spec: RunSpec, gate: GateSpec, names: Sequence[str], plan: Plan) -> Outgoing:
        now = plan.now_ms / 1000
        timeout = self.settings.check_timeout_s
        messages = [
            CheckMessage(spec.run_id, gate.id, n, gate.queue, gate.time_limit(n, timeout), new_hex(), now)
            for n in names
        ]
        queued = self.enqueue.in_transaction(messages) if plan.direct else None
        payloads = queued.payloads() if queued is not None else [("", "")] * len(messages)
        if queued is None:
            for message in messages:  # another broker: sent first, recorded by the script after
                self.enqueue.check(message)
        rows = []
        for message, (queue, payload) in zip(messages, payloads, strict=True):
            field_ = check_field(gate.id, message.check)
            entry = json.dumps({"task_id": message.task_id, "at_ms": plan.now_ms})
            rows.append((queue, payload, field_, entry, index_member(spec.run_id, field_)))
        with self.events.capture() as started:
            self.lifecycle.gates_started(spec.run_id, [gate.id])
        return Outgoing(tuple(rows), tuple(self.events.render(started)), queued)

    def settled_events(
        self, run_id: str, record: GateRecord, skips: Mapping[str, GateRecord]
    ) -> tuple[Rendered, ...]:
        """The lifecycle events of a settle, written by its script (only if it settles)."""
        with self.events.capture() as rows:
            self.lifecycle.gates_settled(run_id, record, skips)
        return tuple(self.events.render(rows))

    # after a settle ---------------------------------------------------------------------------

    def after(
        self,
        run_id: str,
        ready: Sequence[str],
        outgoing: Mapping[str, Outgoing],
        items: Sequence[str],
    ) -> None:
        """Announce the messages a script queued, then do the ``items`` it left in the outbox."""
        self.announce(outgoing, ready)
        if items:
            self.drain(run_id, dict.fromkeys(items, ""))

    def announce(self, outgoing: Mapping[str, Outgoing], ready: Iterable[str] | None = None) -> None:
        """Tell monitors of the prepared messages a script queued: those of the ``ready`` gates
        (a settle queues only the dependents it made ready), or all of them."""
        for gate_id in outgoing if ready is None else ready:
            queued = outgoing[gate_id].queued if gate_id in outgoing else None
            if queued is not None:
                queued.announce()

    # the outbox -------------------------------------------------------------------------------

    def drain(self, run_id: str, items: dict[str, str] | None = None, spec: RunSpec | None = None) -> int:
        """Do the follow-up ``items`` (default: every item of the run's outbox), each at most
        once; returns how many were looked at. ``spec``: the run's, when the caller has it."""
        items = self.store.outbox(run_id) if items is None else items
        if not items:
            return 0
        try:
            spec = spec or self.store.spec(run_id)
        except RunNotFound:
            self.store.outbox_done(run_id, list(items))
            return 0
        for item, value in items.items():
            self._item(spec, item, value)
        return len(items)

    def _item(self, spec: RunSpec, item: str, value: str) -> None:
        actions = self.actions
        kind, _, gate_id = item.partition(":")
        if kind == "finalize":
            due = getattr(self._local, "finalize_here", None)
            if due is None:
                self.send_finalize(spec.run_id, value)
            elif not value or self._claim_finalize(spec.run_id, value):
                due.append(spec.run_id)  # never sent: the finalization's claim records it
        elif kind == "start":
            self._start(spec, gate_id, item)
        elif kind == "complete":
            if self.store.gate_status(spec.run_id, gate_id) == GateStatus.RUNNING:
                actions.complete_gate(spec.run_id, gate_id)  # the settle removes the item
            else:
                self.store.outbox_done(spec.run_id, [item])
        elif kind == "preapproval":
            actions.apply_preapprovals(spec.run_id, gate_id)
            self.store.outbox_done(spec.run_id, [item])
        elif kind == "close":  # the run already failed: gates waiting for a decision are closed
            actions.close_parked(spec.run_id)
            self.store.outbox_done(spec.run_id, [item])
        else:
            log.warning("unknown outbox item %r of %s dropped", item, spec.run_id)
            self.store.outbox_done(spec.run_id, [item])

    def _start(self, spec: RunSpec, gate_id: str, item: str) -> None:
        """A gate that became running: screened against the run's budgets and slots, then its
        checks are sent (or, without checks, it is completed at once)."""
        gate = next((g for g in spec.workflow.gates if g.id == gate_id), None)
        screened = self.limits.screens(spec)
        # the dispatch script reads the gate's status itself; the screening and a gate without
        # checks need it first
        looked = gate is not None and (screened or not gate.checks)
        if gate is None or (looked and self.store.gate_status(spec.run_id, gate_id) != GateStatus.RUNNING):
            self.store.outbox_done(spec.run_id, [item])
            return
        if screened:
            screen = self.limits.screen(spec, [gate_id])
            if gate_id in screen.skip:
                self.actions.skip_unstarted(spec, gate_id, screen.skip[gate_id])
                return
            if gate_id in screen.waiting:  # a settle hands it a slot later (start:GATE again)
                self.store.outbox_done(spec.run_id, [item])
                return
        if not gate.checks:
            with self.events.capture() as started:
                self.lifecycle.gates_started(spec.run_id, [gate_id])
            self.events.hold(started)
            self.actions.complete_gate(spec.run_id, gate_id)
            return
        self.dispatch(spec, gate, [c.name for c in gate.checks], item)

    def dispatch(self, spec: RunSpec, gate: GateSpec, names: Sequence[str], item: str = "") -> bool:
        """Send checks of a running gate (an outbox ``item``, or '' to send again checks whose
        message was lost); recorded in the same step as the item goes. False: nothing to do."""
        plan = self.plan(spec)
        plan_direct = Plan(**{**plan.__dict__, "direct": self.enqueue.direct})
        out = self._messages(spec, gate, names, plan_direct)
        sent = self.store.dispatch(plan_direct, item, gate.id, out.rows, out.events)
        if sent and out.queued is not None:
            out.queued.announce()
        return sent

    @contextlib.contextmanager
    def finalizing_here(self) -> Iterator[list[str]]:
        """Within the block, a finalization this thread's drains find due is claimed (recorded as
        sent, so the repair loop waits its grace before queueing it again) and left to the caller,
        in the yielded list, instead of being queued as ``prp.finalize_run``: the check task that
        settles a run's last gate finalizes the run itself, without a message's round trip. One
        never sent is not recorded here: the finalization's claim records it in its own round trip
        (the settle that left it made it due for the repair loop after the grace; should a repair
        come first all the same, both finalize and one commits)."""
        due: list[str] = []
        self._local.finalize_here = due
        try:
            yield due
        finally:
            self._local.finalize_here = None

    def send_finalize(self, run_id: str, sent: str = "") -> None:
        """Queue the run's finalization (again only when the last one is older than the grace)."""
        now_ms = int(time.time() * 1000)
        if self._within_grace(sent, now_ms):
            return
        message = self.enqueue.finalize_message(run_id)
        if message is None:  # another broker: sent first, then recorded
            self.enqueue.finalize(run_id)
            message = ("", "")
        self.finish.send_finalize(run_id, now_ms, self.grace_ms, *message)

    def _claim_finalize(self, run_id: str, sent: str) -> bool:
        """Record the run's finalization as under way in this process (see :meth:`finalizing_here`);
        False when another one is (within the grace) or it is done."""
        now_ms = int(time.time() * 1000)
        return not self._within_grace(sent, now_ms) and self.finish.send_finalize(
            run_id, now_ms, self.grace_ms, "", ""
        )

    def _within_grace(self, sent: str, now_ms: int) -> bool:
        """Whether a finalization recorded as sent at ``sent`` (ms; '' never) may still be under way."""
        return bool(sent) and now_ms - int(float(sent)) < self.grace_ms
