"""The repair loop: re-drives follow-up work a crash left undone and check messages that vanished.

Delivery is at least once, but a message can still vanish: kombu's Redis transport pops a message
from the queue before it records it as unacknowledged, so a worker killed in that window (or a
Redis that lost its last second of writes) loses it; and a worker killed right after a state
change leaves its follow-up work in the run's outbox (:mod:`prp_tasks.engine.followups`). Both are
indexed, so a pass costs in proportion to what needs looking at, not to the runs in flight:

* :meth:`Reconciler.repair` (every sweep, about every second, in whichever process holds the
  sweeper lease; every worker takes part): drains the outboxes that are due (``P:outbox``), then
  looks at check messages dispatched at least ``PRP_RECONCILE_GRACE_S`` ago whose result is not
  in (``P:dispatch:index``). A message is *live* while its check holds a lease (executing) or the
  message is in the broker (queued, or reserved by a worker: the Redis transport's ``unacked``);
  one that is neither is sent again. With a broker that cannot be inspected (RabbitMQ, which does
  not lose acknowledged-late messages this way) a message is only sent again once older than its
  check's time limit plus the grace.
* :meth:`Reconciler.maybe_pass` (a round at most every ``PRP_RECONCILE_INTERVAL_S``, 100 runs per
  sweep): the safety net over every live run (runs written by earlier versions, an index entry
  lost with Redis's last second): completes gates whose checks all reported and whose completion
  is not in the outbox (there the task that claimed the last result does it, else the fast pass),
  sends checks never sent, finalizes runs whose gates all settled.

Re-sending is safe: results are claimed once, so a message that was not lost after all only causes
a delivery that finds the result recorded.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from prp_tasks.core.models import TERMINAL, GateSpec, GateStatus
from prp_tasks.engine.engine import Engine
from prp_tasks.engine.followups import Followups
from prp_tasks.engine.limits import RunLimits
from prp_tasks.errors import RunNotFound
from prp_tasks.settings import Settings
from prp_tasks.state.broker import BrokerLists
from prp_tasks.state.keys import check_field
from prp_tasks.state.live_runs import LiveState
from prp_tasks.state.manager import State
from prp_tasks.state.plans import index_member
from prp_tasks.state.repair import DispatchState
from prp_tasks.state.run_index import prune_index

log = logging.getLogger("prp_tasks.housekeeping.reconciler")

#: a live message is looked at again after its age, at most this long (ms)
MAX_BACKOFF_MS = 60_000
#: live runs the safety net looks at per sweep (about a second): its round over a thousand runs
#: takes ten sweeps, none of which holds the worker's consumer up for long
ROUND_SLICE = 100


@dataclass
class Pass:
    """What one pass did."""

    runs: int = 0
    drained: int = 0
    resent: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    finalized: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "reconciled_runs": self.runs,
            "outbox_items": self.drained,
            "resent_checks": len(self.resent),
            "completed_gates": len(self.completed),
            "finalized_runs": len(self.finalized),
        }

    def report(self) -> tuple[int, str]:
        """(level, words) of a round that completed gates or finalized runs: a gate completed here
        means a step was lost (a warning); a finalization only means the one a check task claimed
        took longer than the grace (both finalize and one commits: information, not a warning
        printed raw on a user's terminal as ``reconciled: {...}``)."""
        said = [f"{len(self.completed)} gate(s) completed"] if self.completed else []
        said += [f"{len(self.finalized)} run(s) finalized"] if self.finalized else []
        said += [f"{len(self.resent)} check message(s) sent again"] if self.resent else []
        level = logging.WARNING if self.completed else logging.INFO
        return level, f"the repair loop, over {self.runs} live run(s): " + ", ".join(said)

    def changed(self) -> bool:
        return bool(self.drained or self.resent or self.completed or self.finalized)


class Reconciler:
    """Repair passes over the run state; ``broker`` lists live message ids (None: a broker that
    cannot be looked into)."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        engine: Engine,
        followups: Followups,
        limits: RunLimits,
        broker: BrokerLists | None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.followups = followups
        self.limits = limits
        self.store = state.runs
        self.live = state.live
        self.repairs = state.repairs
        self.grace_ms = int(settings.reconcile_grace_s * 1000)
        self.lease_ms = int(settings.check_lease_s * 1000)
        self.broker = broker

    # the fast pass ----------------------------------------------------------------------------

    def repair(self, now_ms: float | None = None, limit: int = 200) -> Pass:
        """Drain the outboxes that are due, then look at the due check messages."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        done = Pass()
        for run_id in self.store.due_outboxes(now_ms, limit):
            self.repairs.postpone_outbox(run_id, now_ms + self.grace_ms)  # a failing drain waits
            try:
                done.drained += self.followups.drain(run_id)
            except RunNotFound:
                continue
        self._dispatches(now_ms, limit, done)
        self.repairs.mark_repaired(now_ms)
        if done.changed():
            log.warning("repaired: %s", done.counts())
        return done

    def _dispatches(self, now_ms: float, limit: int, done: Pass) -> None:
        states = self.repairs.due_dispatches(now_ms, limit)
        suspects = [s for s in states if self._settled(s, now_ms)]
        if not suspects:
            return
        in_broker = self.broker.message_ids() if self.broker is not None else None
        for state in suspects:
            self._suspect(state, now_ms, in_broker, done)

    def _settled(self, state: DispatchState, now_ms: float) -> bool:
        """Drop or postpone what needs nothing; True for a message that may be lost."""
        if state.resolved:
            self.repairs.forget_dispatch(state.member)
            return False
        if state.leased:  # executing: look again when its lease could have lapsed
            self.repairs.postpone_dispatch(state.member, now_ms + self.lease_ms)
            return False
        return True

    def _suspect(self, state: DispatchState, now_ms: float, in_broker: set[str] | None, done: Pass) -> None:
        age_ms = now_ms - state.at_ms
        if in_broker is not None and state.task_id in in_broker:
            self.repairs.postpone_dispatch(
                state.member, now_ms + min(MAX_BACKOFF_MS, max(self.grace_ms, age_ms))
            )
            return
        spec = self.store.spec(state.run_id)
        gate = spec.workflow.gate(state.gate_id)
        if in_broker is None:  # a broker we cannot look into: wait out the check's time limit
            limit_ms = gate.time_limit(state.check, self.settings.check_timeout_s) * 1000 + self.grace_ms
            if age_ms < limit_ms:
                self.repairs.postpone_dispatch(state.member, state.at_ms + limit_ms)
                return
        if self.followups.dispatch(spec, gate, [state.check]):
            done.resent.append(f"{state.run_id}/{state.gate_id}/{state.check}")
        else:
            self.repairs.forget_dispatch(state.member)

    # the safety net ---------------------------------------------------------------------------

    def maybe_pass(self) -> dict[str, int]:
        """One slice of the safety net's round over every live run: a round starts at most every
        ``PRP_RECONCILE_INTERVAL_S`` and looks at :data:`ROUND_SLICE` runs per sweep until it has
        seen them all. The sweep runs on a worker's timer, in its consumer's thread: a pass over a
        thousand runs at once held the worker's messages up for a second (``bench/scale.py``)."""
        cursor = self.repairs.round_cursor()
        if cursor is None:
            interval_ms = int(self.settings.reconcile_interval_s * 1000)
            if not self.repairs.take_interval("reconcile", interval_ms):
                return {}
            cursor = 0
        cursor, runs = self.live.page(cursor, ROUND_SLICE)
        self.repairs.set_round_cursor(cursor, ttl_s=int(self.settings.reconcile_interval_s * 4) + 60)
        done = Pass()
        self._runs(runs, time.time() * 1000, done)
        counts = done.counts()
        if cursor == 0:  # the round is complete
            counts["index_pruned"] = prune_index(self.store, self.settings.retention_s)
        return counts

    def pass_once(self, now_ms: float | None = None) -> Pass:
        """Look at every live run at once (see the module doc), then make a fast pass."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        done = Pass()
        self._runs(self.live.all(), now_ms, done)
        fast = self.repair(now_ms)
        done.drained += fast.drained
        done.resent += fast.resent
        return done

    def _runs(self, run_ids: list[str], now_ms: float, done: Pass) -> None:
        for start in range(0, len(run_ids), ROUND_SLICE):
            chunk = run_ids[start : start + ROUND_SLICE]
            for run_id, state in zip(chunk, self.live.states(chunk), strict=True):
                try:
                    self._run(run_id, state, now_ms, done)
                except RunNotFound:
                    self.live.forget(run_id)
        if done.completed or done.finalized:
            level, said = done.report()
            log.log(level, "%s", said)

    def _run(self, run_id: str, state: LiveState | None, now_ms: float, done: Pass) -> None:
        if state is None or state.finalized:
            self.live.forget(run_id)
            return
        if state.queued:
            return
        done.runs += 1
        if all(s in TERMINAL for s in state.gates.values()):
            self.store.outbox_add(run_id, "finalize", int(now_ms))
            self.followups.drain(run_id)
            done.finalized.append(run_id)
            return
        spec = self.store.spec(run_id)
        running = [g for g in spec.workflow.gates if state.gates.get(g.id) == GateStatus.RUNNING]
        waiting = set(self.limits.waiting(run_id)) if running else set()
        for gate in running:
            if gate.id not in waiting:
                self._gate(run_id, gate, now_ms, done)

    def _gate(self, run_id: str, gate: GateSpec, now_ms: float, done: Pass) -> None:
        results, sent = self.store.check_dispatches(run_id, gate)
        if all(results.values()):
            # the claim completing the join left the completion in the outbox: done by the task that
            # claimed it, else by the fast pass once due (coloredlogs: completed here meanwhile, the
            # round warned of a lost step); without it the step was lost (an older version's run)
            if f"complete:{gate.id}" not in self.store.outbox(run_id):
                self.engine.complete_gate(run_id, gate.id)
                done.completed.append(f"{run_id}/{gate.id}")
            return
        never_sent = [name for name, result in results.items() if not result and name not in sent]
        if never_sent:  # recorded running, never sent (a crash between the two, an older version)
            self.followups.dispatch(self.store.spec(run_id), gate, never_sent)
            done.resent += [f"{run_id}/{gate.id}/{name}" for name in never_sent]
        for name in sent:  # the fast pass looks at these (an index entry lost is added again)
            if not results[name]:
                self.repairs.index_dispatch(index_member(run_id, check_field(gate.id, name)), now_ms)


def repair_problems(last_ms: int | None, now_ms: float, stale_s: float) -> list[str]:
    """No repair pass anywhere for ``stale_s`` (``last_ms``: the last one, None for none in a
    day): no worker does housekeeping (every worker should, :mod:`prp_tasks.celeryapp.bootsteps`),
    so approval deadlines and crash repairs wait."""
    if last_ms is not None and (now_ms - last_ms) / 1000 <= stale_s:
        return []
    when = "ever (or in the last day)" if last_ms is None else f"for {(now_ms - last_ms) / 1000:.0f}s"
    return [f"no housekeeping pass {when}: approval deadlines and crash repairs wait until a worker runs"]
