"""The sweeper: enforces approval deadlines, sends reminders and escalations, announces partial
batches, queues and delivers webhook notifications (:mod:`prp_tasks.approvals.webhooks`) and
re-drives pre-approvals. Durable: all its inputs are Redis indexes, so it survives any
restart; several sweepers may run (workers of the approval class, ``prp sweeper``), a Redis lease
lets one sweep at a time.

Deliveries are sent by a thread of their own under a lease of their own (``notifier``): a webhook
that answers slowly (up to twice ``PRP_NOTIFY__TIMEOUT_S`` per pass) must not hold up deadlines,
reminders or repairs.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from prp_tasks.approvals.service import Approvals, Settled
from prp_tasks.approvals.webhooks import deliver_due
from prp_tasks.core.approvals import ApprovalRequest, AuditEvent, AuditType
from prp_tasks.core.evaluate import apply_decision, expired_record, utc_now
from prp_tasks.core.models import GateStatus
from prp_tasks.core.results import Decision, GateRecord, HumanApproval
from prp_tasks.core.run import RunSpec
from prp_tasks.errors import PrpError, RunNotFound
from prp_tasks.housekeeping.deadlines import Deadlines
from prp_tasks.housekeeping.reconciler import Reconciler
from prp_tasks.state.approvals import split_member
from prp_tasks.state.repair import Leases
from prp_tasks.telemetry import observe

log = logging.getLogger("prp_tasks.sweeper")


def expire_due(approvals: Approvals, now_ms: float) -> int:
    """Settle every parked gate past its deadline: failed, or approved by ``auto`` per policy."""
    done = 0
    for value, _ in approvals.astore.indexed("deadlines", until_ms=now_ms):
        run_id, gate_id = split_member(value)
        try:
            expired = _expire_one(approvals, run_id, gate_id)
        except RunNotFound:
            approvals.astore.reschedule("deadlines", value, None)
            continue
        if expired is not None and expired[0].ok:
            settle, outgoing = expired
            approvals.followups.after(run_id, settle.ready, outgoing, settle.outbox)
            done += 1
    return done


def _expire_one(approvals: Approvals, run_id: str, gate_id: str) -> Settled | None:
    store = approvals.store
    spec = store.spec(run_id)
    gate = spec.workflow.gate(gate_id)
    record = store.record(run_id, gate_id)
    request = approvals.astore.request(run_id, gate_id)
    if record is None or request is None or gate.approval is None:
        approvals.astore.reschedule("deadlines", f"{run_id}/{gate_id}", None)
        return None
    now = utc_now()
    decided, event = _expiry(spec, request, record, now)
    outcome = "approved" if decided.result.status == GateStatus.PASSED else "expired"
    metrics = observe.gate_settled(decided, gate.queue)
    metrics += observe.approval_waited(gate_id, record.result.finished_at or now, now, outcome)
    return approvals.expire(spec, gate, decided, event, metrics)


def _expiry(
    spec: RunSpec, request: ApprovalRequest, record: GateRecord, now: str
) -> tuple[GateRecord, AuditEvent]:
    """What an expired request becomes (failed, or approved by ``auto``) and its audit record."""
    reason = f"approval expired (no decision by {request.deadline})"
    if request.on_timeout != "approve":
        event = AuditEvent(
            type=AuditType.EXPIRED,
            run_id=spec.run_id,
            gate_id=request.gate_id,
            at=now,
            reason=reason,
            role=request.role,
        )
        return expired_record(record, reason, now), event
    approval = HumanApproval(
        gate_id=request.gate_id,
        actor="auto",
        decision=Decision.APPROVED,
        timestamp=now,
        commit_sha=spec.repo.commit_sha,
        rationale="approval expired; policy on_timeout: approve",
        role=request.role,
        channel="auto",
    )
    event = AuditEvent(
        type=AuditType.EXPIRED,
        run_id=spec.run_id,
        gate_id=request.gate_id,
        at=now,
        reason=reason,
        role=request.role,
        approval=approval,
        actor="auto",
        decision=approval.decision.value,
    )
    return apply_decision(record, approval), event


def _due(approvals: Approvals, index: str, now_ms: float) -> list[tuple[str, ApprovalRequest | None]]:
    """The entries of ``index`` due by ``now_ms``, each with its request while its gate is still
    parked (else None), read in one round trip."""
    members = [value for value, _ in approvals.astore.indexed(index, until_ms=now_ms)]
    requests = approvals.astore.parked_requests(members)
    return [(value, request) for value, (request, _votes) in zip(members, requests, strict=True)]


def remind_due(approvals: Approvals, now_ms: float) -> int:
    """Re-announce waiting requests whose reminder time came; schedule the next reminder."""
    sent = 0
    for value, request in _due(approvals, "reminders", now_ms):
        run_id, gate_id = split_member(value)
        if request is None or not request.reminder_s:
            approvals.astore.reschedule("reminders", value, None)
            continue
        event = AuditEvent(
            type=AuditType.REMINDER,
            run_id=run_id,
            gate_id=gate_id,
            at=utc_now(),
            role=request.role,
            batch_id=request.batch_id,
            details={"deadline": request.deadline, "requested_at": request.requested_at},
        )
        approvals.store.append_audit(run_id, event)
        approvals.notifier.follow_up("approval.reminder", request, request.role, now_ms)
        approvals.astore.reschedule("reminders", value, now_ms + request.reminder_s * 1000)
        sent += 1
    return sent


def escalate_due(approvals: Approvals, now_ms: float) -> int:
    """Announce that a waiting request may now also be decided by its escalation role."""
    sent = 0
    for value, request in _due(approvals, "escalations", now_ms):
        run_id, gate_id = split_member(value)
        approvals.astore.reschedule("escalations", value, None)
        if request is None or request.escalate_to is None:
            continue
        event = AuditEvent(
            type=AuditType.ESCALATED,
            run_id=run_id,
            gate_id=gate_id,
            at=utc_now(),
            role=request.escalate_to,
            reason=f"escalated from {request.role}",
            details={"deadline": request.deadline},
        )
        approvals.store.append_audit(run_id, event)
        approvals.notifier.follow_up("approval.escalated", request, request.escalate_to, now_ms)
        sent += 1
    return sent


def flush_batches(approvals: Approvals, now_ms: float) -> int:
    """Announce partial batches whose window is over (full batches announce themselves)."""
    window_ms = approvals.settings.approval_batch_window_s * 1000
    published = 0
    for role, batch in approvals.astore.open_batches():
        if float(batch.get("created", now_ms)) + window_ms > now_ms:
            continue
        members = approvals.astore.batch_members(batch["id"])
        if not members:
            continue
        run_id, _ = split_member(members[0])
        event = AuditEvent(type=AuditType.BATCH, run_id=run_id, at=utc_now(), batch_id=batch["id"], role=role)
        published += approvals.astore.flush_batch(role, batch["id"], members[0], event)
    return published


def redrive_preapprovals(approvals: Approvals) -> int:
    """Apply pre-approvals of gates that parked while their applier was interrupted."""
    applied = 0
    for value in approvals.astore.preapproved_members():
        run_id, gate_id = split_member(value)
        status = None
        try:
            status = approvals.store.gate_status(run_id, gate_id)
        except PrpError:
            pass
        if status == GateStatus.AWAITING_APPROVAL:
            approvals.apply_preapprovals(run_id, gate_id)
            applied += 1
        elif status is None or status.value in ("passed", "failed", "skipped"):
            approvals.astore.forget_preapproved(run_id, gate_id)
    return applied


@dataclass
class Sweeper:
    """Runs :func:`sweep_once` every ``interval_s`` in a daemon thread while holding a lease."""

    approvals: Approvals
    leases: Leases
    interval_s: float
    #: wall-clock budgets and admission repair, if given
    deadlines: Deadlines | None = None
    #: the repair loop, if given
    reconciler: Reconciler | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def sweep_once(self, now_ms: float | None = None) -> dict[str, int] | None:
        """One pass under the sweeper lease (None when another sweeper is mid-pass).

        The lease is held only during the pass (its TTL covers a crash mid-pass), so any sweeper
        may do the next one.
        """
        leases = self.leases
        lease_ms = int(max(self.interval_s * 3, 30) * 1000)
        if not leases.take("sweeper", self.token, lease_ms):
            return None
        now = time.time() * 1000 if now_ms is None else now_ms
        try:
            return {
                "expired": expire_due(self.approvals, now),
                "reminded": remind_due(self.approvals, now),
                "escalated": escalate_due(self.approvals, now),
                "batches": flush_batches(self.approvals, now),
                "preapprovals": redrive_preapprovals(self.approvals),
                "notifications_queued": self.approvals.notifier.announce(now),
                **self._housekeeping(now),
            }
        finally:
            leases.release("sweeper", self.token)

    def _housekeeping(self, now_ms: float) -> dict[str, int]:
        """Wall-clock budgets, admission repair and (rate-limited) reconciliation."""
        done: dict[str, int] = {}
        if self.deadlines is not None:
            done["time_budget_skips"] = self.deadlines.sweep(now_ms)
            done["admitted"] = self.deadlines.repair_admission()
        if self.reconciler is not None:
            repaired = self.reconciler.repair(now_ms)
            done |= {f"repair_{k}": v for k, v in repaired.counts().items() if k != "reconciled_runs"}
            done |= self.reconciler.maybe_pass()
        return done

    def deliver_once(self, now_ms: float | None = None) -> int | None:
        """Send the webhook deliveries that are due, under the ``notifier`` lease (None when
        another process is sending); returns how many were delivered."""
        timeout_s = self.approvals.settings.notify.timeout_s
        lease_ms = int(max(self.interval_s * 3, 30, 4 * timeout_s) * 1000)
        if not self.leases.take("notifier", self.token, lease_ms):
            return None
        try:  # the lease is renewed before each attempt: a slow webhook does not let it lapse
            return deliver_due(
                self.approvals.notifier, now_ms, lambda: self.leases.take("notifier", self.token, lease_ms)
            )
        finally:
            self.leases.release("notifier", self.token)

    def _loop(self, work: Callable[[], object], what: str) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                work()
            except Exception:
                log.exception("%s failed", what)

    def start(self) -> Sweeper:
        """The pass and the webhook sender, each in a daemon thread of its own."""
        self._spawn(self.sweep_once, "sweep", "prp-sweeper")
        return self.start_sender()

    def start_sender(self) -> Sweeper:
        """Only the webhook sender's thread (a worker runs the pass on its own timer)."""
        self._spawn(self.deliver_once, "webhook delivery", "prp-notifier")
        return self

    def _spawn(self, work: Callable[[], object], what: str, name: str) -> None:
        if any(t.name == name and t.is_alive() for t in self._threads):
            return  # one of each per sweeper (its token is its leases' owner: two would share them)
        if not any(t.is_alive() for t in self._threads):
            self._threads, self._stop = [], threading.Event()  # started again after a stop
        thread = threading.Thread(target=self._loop, args=(work, what), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:  # a delivery cut short is sent again from the outbox
            thread.join(timeout=10 if thread.name == "prp-sweeper" else 1)
