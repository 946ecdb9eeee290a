"""The scheduler: submit runs, execute checks, settle gates, dispatch dependents, finalize.

Every step is idempotent, so a task that runs twice (redelivery, duplicate message) changes
nothing the first run did not: check results are claimed once per (run, gate, check), a gate
moves out of a status only once, and a dependent becomes ready exactly once (its dependency
counter reaches zero inside the same Lua transaction that settles its last dependency).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from prp_tasks.approvals.service import Approvals
from prp_tasks.core import dag
from prp_tasks.core.approvals import AuditEvent, AuditType
from prp_tasks.core.evaluate import dependency_reason, skipped_record, utc_now
from prp_tasks.core.models import GateSpec, GateStatus
from prp_tasks.core.results import GateRecord
from prp_tasks.core.run import RunSpec
from prp_tasks.engine.execution import CheckExecutor, Executed, retry_delay
from prp_tasks.engine.finalization import Finalizer
from prp_tasks.engine.followups import Followups
from prp_tasks.engine.gates import evaluated
from prp_tasks.engine.limits import TIME_EXCEEDED, RunLimits
from prp_tasks.engine.ports import CheckRun
from prp_tasks.engine.rerun import check_rerun, rerun_outputs, rerun_plan
from prp_tasks.errors import ConflictError, RunNotFound
from prp_tasks.ids import new_hex
from prp_tasks.settings import Settings
from prp_tasks.state.checks import Claim, GateInputs, Lease
from prp_tasks.state.manager import State
from prp_tasks.state.plans import Launch, Outgoing, Plan, SettleSpec
from prp_tasks.state.runs import Settle, settle_result
from prp_tasks.telemetry import observe
from prp_tasks.telemetry.lifecycle import Lifecycle
from prp_tasks.telemetry.logs import log_context

log = logging.getLogger("prp_tasks.engine.engine")


class Engine:
    """DAG progress over the run state; stateless apart from it. Built with its parts by the
    composition root (:mod:`prp_tasks.celeryapp.runtime`), which also binds it to answer what
    the outboxes ask (:meth:`Followups.answer_to`)."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        *,
        followups: Followups,
        approvals: Approvals,
        executor: CheckExecutor,
        finalizer: Finalizer,
        limits: RunLimits,
        lifecycle: Lifecycle,
    ) -> None:
        self.settings = settings
        self.store = state.runs
        self.checks = state.checks
        self.events = state.events
        self.followups = followups
        self.approvals = approvals
        self.executor = executor
        self.finalizer = finalizer
        self.limits = limits
        self.lifecycle = lifecycle

    # submission -------------------------------------------------------------------------------

    def submit(self, spec: RunSpec) -> str:
        """Record a new run with its root gates running (or queue it when admission is full). The
        roots' checks are queued in the same transaction when the plan is direct; otherwise their
        start is in the run's outbox, drained right after."""
        roots = dag.roots(spec.workflow)
        admitted = self.limits.admit(spec)
        plan = self.followups.plan(spec)
        with self.events.capture() as started:
            self.lifecycle.started(spec)
        outgoing = self.followups.outgoing(plan, spec, roots) if admitted else {}
        launch = Launch(plan.events_maxlen, (*plan.before, *self.events.render(started)), outgoing)
        outbox = self.store.create_run(
            spec,
            roots=roots,
            ttl_s=self.settings.run_ttl_s,
            now=utc_now(),
            due_ms=plan.due_ms,
            queued=not admitted,
            launch=launch,
        )
        self.followups.announce(outgoing)  # the roots' messages the creation queued
        if outbox:  # the other roots' starts, drained as written (neither they nor the spec read back)
            self.followups.drain(spec.run_id, outbox, spec)
        return spec.run_id

    def start_queued(self, run_id: str) -> bool:
        """Start a run admitted from the queue (idempotent: False when it is not queued)."""
        spec = self.store.spec(run_id)
        if not self.store.start_queued(self.followups.plan(spec), dag.roots(spec.workflow), utc_now()):
            return False
        self.followups.drain(run_id)
        return True

    # what draining an outbox asks of the engine (prp_tasks.engine.followups.FollowupActions) ----------

    def skip_unstarted(self, spec: RunSpec, gate_id: str, reason: str) -> None:
        """A budget ran out before the gate could start: it (and its dependents) are skipped."""
        now = utc_now()
        gate = spec.workflow.gate(gate_id)
        settle, outgoing = self._settle(spec, gate, skipped_record(gate, reason, now), now, {})
        if settle.ok:
            self._advance(spec.run_id, settle, outgoing)

    def skip_past_deadline(self, run_id: str) -> int:
        """The run's wall-clock budget ran out: its pending gates are skipped (``time budget
        exceeded``); returns how many. Running checks end at their own time limits."""
        spec = self.store.spec(run_id)
        statuses = self.store.gate_statuses(run_id)
        now = utc_now()
        records = {
            g.id: skipped_record(g, TIME_EXCEEDED, now)
            for g in spec.workflow.gates
            if statuses.get(g.id) == GateStatus.PENDING
        }
        if not records:
            return 0
        _, done = self.store.skip_pending(self.followups.plan(spec), records, TIME_EXCEEDED, now)
        for gate_id in done:
            self.lifecycle.gates_settled(run_id, records[gate_id])
        log.info("time budget exceeded: %d gate(s) skipped", len(done), extra={"run_id": run_id})
        self.followups.drain(run_id)  # the run's finalization, when all settled
        return len(done)

    def apply_preapprovals(self, run_id: str, gate_id: str) -> None:
        self.approvals.apply_preapprovals(run_id, gate_id)

    def close_parked(self, run_id: str) -> None:
        """The run already failed: no decision can change that, so its parked gates are closed."""
        for settle, outgoing in self.approvals.close_parked(self.store.spec(run_id)):
            self.followups.after(run_id, settle.ready, outgoing, settle.outbox)

    # checks -----------------------------------------------------------------------------------

    def run_check(
        self,
        run_id: str,
        gate_id: str,
        check: str,
        *,
        queue: str = "automated",
        enqueued_at: float | None = None,
        worker: str = "",
    ) -> CheckRun:
        """Execute one check under a lease and record its result exactly once.

        ``worker`` names the executing process in the result (``node/pid``).
        """
        # this task's events in one round trip; a run it finishes is finalized after them
        with self.followups.finalizing_here() as due, self.events.deferred():
            outcome = self._run_check(run_id, gate_id, check, queue, enqueued_at, worker)
        for finished in due:
            self._finalize_claimed(finished)
        return outcome

    def _finalize_claimed(self, run_id: str) -> None:
        """Finalize a run this task settled the last gate of (its claim recorded by the drain);
        a failure leaves it to the repair loop, which queues ``prp.finalize_run`` after its grace."""
        try:
            self.finalize(run_id)
        except Exception:
            log.warning("finalizing run %s failed; the repair loop retries it", run_id, exc_info=True)

    def _run_check(
        self, run_id: str, gate_id: str, check: str, queue: str, enqueued_at: float | None, worker: str
    ) -> CheckRun:
        token = new_hex()
        lease_ms = int(self.settings.check_lease_s * 1000)
        waited = observe.queue_wait(queue, enqueued_at)
        breaker = self._breaker_key(run_id, gate_id, check)
        lease = self.checks.acquire(run_id, gate_id, check, token, lease_ms, waited, breaker=breaker)
        if lease.state != "ok":
            return self._not_ours(lease, run_id, gate_id)
        spec = self.store.spec(run_id)
        gate = spec.workflow.gate(gate_id)
        lost = lease.starts - 1 - lease.ends
        with log_context(run_id=run_id, gate_id=gate_id, check=check, attempt=lease.starts):
            if lost >= self.settings.max_lost_attempts:
                done = Executed(self.executor.worker_lost(spec, gate, check, lease.starts, lost), False)
            else:
                done = self.executor.execute(
                    spec, gate, check, token, lease.starts, worker, lease.breaker_state
                )
            result = done.result
            log.info("check %s: %s in %d ms", check, result.status.value, result.duration)
        delay = retry_delay(gate, check, lease.ends) if done.retryable else None
        if delay is not None:
            self.checks.end_attempt(run_id, gate_id, check, token)
            return CheckRun("retry", delay_s=delay)
        self._record(spec, gate, token, done, lease.started_at)
        reason = result.output.partition("\n")[0]
        return CheckRun("done", 0.0, result.status.value, reason, spec.repo.commit_sha, lease.starts)

    def _breaker_key(self, run_id: str, gate_id: str, check: str) -> str | None:
        """The check's breaker key, read with its lease (None for an unknown run, gate or check:
        the lease then says what to do with the message)."""
        try:
            spec = self.store.spec(run_id)
            return self.executor.breakers.key(spec.workflow.gate(gate_id).check(check))
        except (RunNotFound, LookupError):
            return None

    def _record(
        self, spec: RunSpec, gate: GateSpec, token: str, done: Executed, started_at: str | None = None
    ) -> None:
        """Claim the result (once); the last check of a gate completes it (a gate's only check
        settles it in the same round trip, when its gate's start is known)."""
        files = [(m.field, m.model_dump_json()) for m in done.produced]
        with self.events.capture() as executed:
            self.lifecycle.check_executed(spec.run_id, gate.id, done.result)
        events = self.events.render(executed)
        claim = Claim(observe.check_recorded(gate.id, done.result), files, done.breaker_ok, events)
        if (
            len(gate.checks) == 1
            and started_at
            and self._claim_and_settle(spec, gate, token, done, claim, started_at)
        ):
            return
        names = [c.name for c in gate.checks]
        plan = self.followups.plan(spec)
        outcome, left, inputs = self.checks.record_check(plan, gate.id, done.result, token, claim, names)
        if outcome in ("ok", "dup") and left == 0:
            self.complete_gate(spec.run_id, gate.id, inputs)

    def _claim_and_settle(
        self, spec: RunSpec, gate: GateSpec, token: str, done: Executed, claim: Claim, started_at: str
    ) -> bool:
        """Claim the only check's result and settle its gate with the record evaluated from it, in
        one script (its dependents' checks queued by it too); False (nothing done) when the gate
        would wait for an approval."""
        now = utc_now()
        record, outputs = evaluated(spec, gate, {done.result.name: done.result}, started_at, now)
        if record.result.status == GateStatus.AWAITING_APPROVAL:
            return False
        plan = self.followups.plan(spec)
        settle_spec = self._settle_spec(spec, gate, record, now, outputs, plan)
        outcome, left, reply = self.checks.record_and_settle(
            plan, gate.id, done.result, token, claim, settle_spec
        )
        if reply is None:  # not the claim that completed the join (a duplicate, a stale delivery)
            if outcome in ("ok", "dup") and left == 0:
                self.complete_gate(spec.run_id, gate.id)
            return True
        self._advance(spec.run_id, settle_result(reply), settle_spec.outgoing, gate.id, record)
        return True

    def _not_ours(self, lease: Lease, run_id: str, gate_id: str) -> CheckRun:
        """A delivery that must not execute: stale, already done, or held by a live execution. A
        stale or done delivery re-drives whatever follow-up work the run's outbox still holds."""
        if lease.state in ("stale", "done") and lease.outbox:
            self.followups.drain(run_id)
        if lease.state == "done":
            self._join_again(run_id, gate_id)
        if lease.state == "busy":  # another execution holds the lease; look again when it lapses
            return CheckRun("busy", delay_s=max(0.05, lease.starts / 1000))
        return CheckRun(lease.state)

    def _join_again(self, run_id: str, gate_id: str) -> None:
        """A redelivered check found its result recorded: finish the gate if its join is complete."""
        spec = self.store.spec(run_id)
        gate = spec.workflow.gate(gate_id)
        if self.store.gate_status(run_id, gate_id) != GateStatus.RUNNING:
            return
        if len(self.store.check_results(run_id, gate_id)) == len(gate.checks):
            self.complete_gate(run_id, gate_id)

    # gates ------------------------------------------------------------------------------------

    def complete_gate(self, run_id: str, gate_id: str, inputs: GateInputs | None = None) -> None:
        """Evaluate a gate whose checks all reported, settle it and advance the graph."""
        spec = self.store.spec(run_id)
        gate = spec.workflow.gate(gate_id)
        results, started_at = inputs or self.store.gate_inputs(run_id, gate_id)
        now = utc_now()
        record, outputs = evaluated(spec, gate, results, started_at, now)
        if record.result.status == GateStatus.AWAITING_APPROVAL:
            settle, outgoing = self.approvals.park_or_auto(spec, gate, record, now, outputs)
        else:
            settle, outgoing = self._settle(spec, gate, record, now, outputs)
        self._advance(run_id, settle, outgoing, gate_id, record)

    def _advance(
        self,
        run_id: str,
        settle: Settle,
        outgoing: Mapping[str, Outgoing],
        gate_id: str = "",
        record: GateRecord | None = None,
    ) -> None:
        """After settling a gate: announce what its script queued and do what it left in the
        outbox; after a conflicting settle, re-drive what the winner may have left undone."""
        if not settle.ok:
            self.repair(run_id)
            return
        if record is not None:
            log.info(
                "gate %s %s",
                gate_id,
                record.result.status.value,
                extra={"run_id": run_id, "gate_id": gate_id},
            )
        self.followups.after(run_id, settle.ready, outgoing, settle.outbox)

    def _settle(
        self, spec: RunSpec, gate: GateSpec, record: GateRecord, now: str, outputs: dict[str, str]
    ) -> tuple[Settle, Mapping[str, Outgoing]]:
        """Settle a running gate with its record (a failure skips its dependents)."""
        plan = self.followups.plan(spec)
        settle_spec = self._settle_spec(spec, gate, record, now, outputs, plan)
        return self.store.settle(plan, settle_spec), settle_spec.outgoing

    def _settle_spec(
        self, spec: RunSpec, gate: GateSpec, record: GateRecord, now: str, outputs: dict[str, str], plan: Plan
    ) -> SettleSpec:
        """The settle moving a running gate to its record's status, its dependents' messages
        prepared (those it makes ready are queued by the script), the gates a failure skips."""
        skips = {}
        status = record.result.status
        if status in (GateStatus.FAILED, GateStatus.SKIPPED):
            reason = dependency_reason(gate.id, status)
            for gid in dag.transitive_dependents(spec.workflow, gate.id):
                skips[gid] = skipped_record(spec.workflow.gate(gid), reason, now)
        dependents = dag.dependents(spec.workflow)[gate.id]
        return SettleSpec(
            gate_id=gate.id,
            expect=GateStatus.RUNNING,
            record=record,
            now=now,
            dependents=dependents,
            skips=skips,
            outputs=outputs,
            metrics=observe.gate_settled(record, gate.queue),
            settled_events=self.followups.settled_events(spec.run_id, record, skips),
            outgoing=self.followups.outgoing(plan, spec, dependents) if status == GateStatus.PASSED else {},
        )

    def repair(self, run_id: str) -> None:
        """Re-drive a run after a replayed or conflicting step: do what its outbox still holds."""
        self.followups.drain(run_id)

    # decisions and cancellation ---------------------------------------------------------------

    def cancel(self, run_id: str, actor: str = "system") -> bool:
        """Durably cancel a run: unsettled gates become skipped (reason ``cancelled``)."""
        spec = self.store.spec(run_id)
        meta = self.store.meta(run_id)
        if meta.get("finalized") == "1" and meta.get("cancelled") != "1":
            raise ConflictError(
                f"run {run_id} already finished ({meta.get('status')})", state=meta.get("status")
            )
        now = utc_now()
        skips = {g.id: skipped_record(g, "cancelled", now) for g in spec.workflow.gates}
        event = AuditEvent(type=AuditType.CANCELLED, run_id=run_id, at=now, actor=actor, reason="cancelled")
        unsettled = self.store.cancel(self.followups.plan(spec), skips, now, event)
        # checks of the run this process runs stop at once (other workers' heartbeats see the cancel)
        self.executor.leases.stop_run(run_id)
        if unsettled is not None:
            self.lifecycle.cancelled(run_id, actor)
        self.followups.drain(run_id)
        return unsettled is not None

    # the end of a run ------------------------------------------------------------------------

    def finalize(self, run_id: str) -> bool:
        """Commit the run's outputs once every gate settled (True: this call did), then start the
        queued runs its place in flight admits."""
        admitted = self.finalizer.finalize(run_id)
        if admitted is None:
            return False
        for queued in admitted:
            self.start_queued(queued)
        return True

    def rerun_gate(self, run_id: str, gate_id: str, *, force: bool, actor: str = "system") -> list[str]:
        """Re-execute a settled gate and every gate depending on it (``force`` is required).

        Returns the gates re-opened. The run is live again and is finalized anew at the end.
        """
        spec = self.store.spec(run_id)
        statuses = self.store.gate_statuses(run_id)
        check_rerun(spec, statuses, gate_id, force)
        reset = [gate_id, *dag.transitive_dependents(spec.workflow, gate_id)]
        now = utc_now()
        event = AuditEvent(
            type=AuditType.RERUN,
            run_id=run_id,
            gate_id=gate_id,
            at=now,
            actor=actor,
            details={"reset": reset},
        )
        plan = self.followups.plan(spec)
        reopen, stale = rerun_plan(spec, reset, statuses), rerun_outputs(spec, reset)
        ok, reason = self.store.rerun(plan, gate_id, reopen, stale, event, self.settings.run_ttl_s, now)
        if not ok:
            raise ConflictError(f"cannot re-run {gate_id}: {reason}")
        self.followups.drain(run_id)
        return reset
