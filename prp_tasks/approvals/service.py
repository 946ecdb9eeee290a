"""Approvals: park gates, decide them (quorum, roles, self-approval, pre-approval), batch decisions.

A parked gate is only data in Redis; no task, retry loop, countdown or ETA waits for it. A
decision settles it atomically (Lua), and the same script queues its dependents' checks (or leaves
their start in the run's outbox, done by the caller at once: :mod:`prp_tasks.engine.followups`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from prp_tasks.approvals.authz import Authorizer
from prp_tasks.approvals.notify import Notifier
from prp_tasks.approvals.ports import Consequences
from prp_tasks.approvals.requests import (
    approval_gate,
    audit_event,
    auto_rule,
    build_request,
    human_approval,
    iso_after,
    new_batch_id,
    stopped_by,
    to_ms,
)
from prp_tasks.core import dag
from prp_tasks.core.approvals import ApprovalRequest, AuditEvent, AuditType, DecisionResult
from prp_tasks.core.evaluate import apply_decision, skipped_record, utc_now
from prp_tasks.core.models import TERMINAL, GateSpec, GateStatus
from prp_tasks.core.results import Decision, GateRecord, HumanApproval
from prp_tasks.core.run import RunSpec
from prp_tasks.errors import ConflictError, NotAuthorized, RunNotFound
from prp_tasks.settings import Settings
from prp_tasks.state.approvals import Vote, member
from prp_tasks.state.manager import State
from prp_tasks.state.plans import Outgoing, Plan, SettleSpec
from prp_tasks.state.runs import Settle
from prp_tasks.telemetry import observe
from prp_tasks.telemetry.lifecycle import Lifecycle

#: a settle's reply and the messages prepared for the dependents it may have made ready
Settled = tuple[Settle, Mapping[str, Outgoing]]


class Approvals:
    """The approval use cases over the run store."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        authorizer: Authorizer,
        lifecycle: Lifecycle,
        followups: Consequences,
    ) -> None:
        self.lifecycle = lifecycle
        self.settings = settings
        self.store = state.runs
        self.astore = state.approvals
        self.authz = authorizer
        self.followups = followups
        #: webhook notifications of published batches, reminders and escalations (sent by the sweeper)
        self.notifier = Notifier(settings, state, self.astore)

    # parking ----------------------------------------------------------------------------------

    def park_or_auto(
        self, spec: RunSpec, gate: GateSpec, record: GateRecord, now: str, outputs: dict[str, str]
    ) -> Settled:
        """A gate whose checks passed: approve it by rule, or park it for humans."""
        rule = auto_rule(spec, gate)
        if rule is None:
            return self.park(spec, gate, record, now, outputs)
        approval = HumanApproval(
            gate_id=gate.id,
            actor="auto",
            decision=Decision.APPROVED,
            timestamp=now,
            commit_sha=spec.repo.commit_sha,
            rationale=f"auto-approved by rule {rule}",
            role=gate.approval.role.value if gate.approval else None,
            channel="auto",
        )
        event = audit_event(AuditType.AUTO, spec, gate.id, now, approval=approval, reason=rule)
        decided = apply_decision(record, approval)
        metrics = observe.gate_settled(decided, gate.queue) + observe.approval_waited(
            gate.id, now, now, "auto"
        )
        plan = self.followups.plan(spec)
        settle = self._settle_spec(
            spec, gate, decided, now, plan, GateStatus.RUNNING, event, metrics, (approval, "approved", 1)
        )
        return self.store.settle(plan, replace(settle, outputs=outputs)), settle.outgoing

    def _settle_spec(
        self,
        spec: RunSpec,
        gate: GateSpec,
        decided: GateRecord,
        now: str,
        plan: Plan,
        expect: GateStatus,
        event: AuditEvent,
        metrics: list[tuple[str, float]],
        decision: tuple[HumanApproval, str, int] | None,
    ) -> SettleSpec:
        """A decided gate's settle: its dependents' messages prepared, a rejection's skips, and
        the decision's and settle's lifecycle events (written by the script if it settles)."""
        skips = stopped_by(spec, gate, decided)
        dependents = dag.dependents(spec.workflow)[gate.id]
        with self.followups.events.capture() as rows:
            if decision is not None:
                self.lifecycle.approval_decided(spec.run_id, *decision)
        events = (
            *self.followups.events.render(rows),
            *self.followups.settled_events(spec.run_id, decided, skips),
        )
        passed = decided.result.status == GateStatus.PASSED
        return SettleSpec(
            gate_id=gate.id,
            expect=expect,
            record=decided,
            now=now,
            dependents=dependents,
            skips=skips,
            audit=[event],
            metrics=metrics,
            settled_events=events,
            outgoing=self.followups.outgoing(plan, spec, dependents) if passed else {},
        )

    def park(
        self, spec: RunSpec, gate: GateSpec, record: GateRecord, now: str, outputs: dict[str, str]
    ) -> Settled:
        request = build_request(spec, gate, record, now)
        event = audit_event(
            AuditType.REQUESTED,
            spec,
            gate.id,
            now,
            role=request.role,
            details={"deadline": request.deadline, "quorum": request.quorum},
        )
        plan = self.followups.plan(spec)
        settle = SettleSpec(
            gate_id=gate.id,
            expect=GateStatus.RUNNING,
            record=record,
            now=now,
            dependents=dag.dependents(spec.workflow)[gate.id],
            outputs=outputs,
        )
        schedule = (
            to_ms(now),
            to_ms(request.deadline),
            to_ms(iso_after(now, request.reminder_s)) if request.reminder_s else 0,
            to_ms(request.escalate_at) if request.escalate_at else 0,
        )
        parked = self.astore.park(
            request,
            event,
            plan,
            settle,
            schedule=schedule,
            batch_size=self.settings.approval_batch_size,
            new_batch_id=new_batch_id(),
            now=now,
        )
        if parked.settle.ok:
            self.lifecycle.approval_requested(request.model_copy(update={"batch_id": parked.batch_id}))
        return parked.settle, {}

    def expire(
        self,
        spec: RunSpec,
        gate: GateSpec,
        decided: GateRecord,
        event: AuditEvent,
        metrics: list[tuple[str, float]],
    ) -> Settled | None:
        """Settle a parked gate whose deadline passed with ``decided`` (failed, or approved by
        ``auto``); None when it was no longer parked."""
        now = decided.result.finished_at or utc_now()
        plan = self.followups.plan(spec)
        approval = decided.result.human_approval
        decision = (approval, "approved", 1) if approval is not None else None
        settle = self._settle_spec(
            spec, gate, decided, now, plan, GateStatus.AWAITING_APPROVAL, event, metrics, decision
        )
        settled = self.astore.expire(plan, settle)
        return (settled, settle.outgoing) if settled is not None else None

    def close_parked(self, spec: RunSpec) -> list[Settled]:
        """Close (skip) every gate of a run that already failed which still waits for a decision:
        none can change the run's outcome any more. The reason and the audit record name the gate
        and the decision or failure that settled the run."""
        statuses = self.store.gate_statuses(spec.run_id)
        parked = [g for g in spec.workflow.gates if statuses.get(g.id) == GateStatus.AWAITING_APPROVAL]
        culprit = self._culprit(spec, statuses)
        if not parked or culprit is None:
            return []
        settled = []
        for gate in parked:
            now = utc_now()
            reason = f"closed without a decision: the run already failed ({culprit})"
            event = audit_event(AuditType.CLOSED, spec, gate.id, now, reason=reason, actor="system")
            record = skipped_record(gate, reason, now)
            closed = self.expire(spec, gate, record, event, observe.gate_settled(record, gate.queue))
            if closed is not None and closed[0].ok:
                settled.append(closed)
        return settled

    def _culprit(self, spec: RunSpec, statuses: Mapping[str, GateStatus]) -> str | None:
        """The first gate (in finishing order) that failed, with why: "G1 rejected by bob (…)"."""
        records = self.store.records(spec.run_id)
        failed = [r for g, r in records.items() if statuses.get(g) == GateStatus.FAILED]
        failed.sort(key=lambda r: r.result.finished_at or "")
        if not failed:
            skipped = [g for g, s in statuses.items() if s == GateStatus.SKIPPED]
            return f"{skipped[0]} skipped" if skipped else None
        first = failed[0].result
        return f"{first.id}: {first.reason or 'failed'}"

    def apply_preapprovals(self, run_id: str, gate_id: str) -> None:
        """Decisions given before the gate parked take effect now, in the order they were given."""
        for approval in self.astore.preapprovals(run_id, gate_id):
            try:
                self._decide_parked(self.store.spec(run_id), gate_id, approval, preapproved=True)
            except (ConflictError, NotAuthorized):
                break  # settled already (a pre-rejection, or a quorum reached)
        self.astore.forget_preapproved(run_id, gate_id)

    # decisions --------------------------------------------------------------------------------

    def decide(
        self,
        run_id: str,
        gate_id: str,
        *,
        actor: str,
        approve: bool,
        rationale: str = "",
        channel: str = "cli",
        commit_sha: str | None = None,
        authorizer: Authorizer | None = None,
    ) -> DecisionResult:
        """Approve or reject a parked gate, or pre-decide one that has not parked yet.

        ``authorizer`` checks the actor's roles (default: the configured role mapping; the HTTP
        API and MCP pass one holding the token's roles).
        """
        authz = authorizer or self.authz
        spec = self.store.spec(run_id)
        gate = approval_gate(spec, gate_id)
        now = utc_now()
        if commit_sha and commit_sha != spec.repo.commit_sha:
            self._refuse(
                spec,
                gate,
                actor,
                now,
                f"decision is for commit {commit_sha}, run is at {spec.repo.commit_sha}",
            )
        status = self.store.gate_status(run_id, gate_id)
        early = status in (GateStatus.PENDING, GateStatus.RUNNING)  # not parked yet: a pre-decision
        if not early and (status is None or status in TERMINAL):
            raise ConflictError(self._settled_message(run_id, gate_id), state=str(status))
        request = None if early else self.astore.request(run_id, gate_id)
        role = self._authorize(spec, gate, actor, approve, now, request, authz)
        approval = human_approval(spec, gate, actor, approve, rationale, channel, role, now)
        return (
            self._preapprove(spec, gate, approval) if early else self._decide_parked(spec, gate_id, approval)
        )

    def _decide_parked(
        self, spec: RunSpec, gate_id: str, approval: HumanApproval, *, preapproved: bool = False
    ) -> DecisionResult:
        gate = spec.workflow.gate(gate_id)
        record = self.store.record(spec.run_id, gate_id)
        if record is None:
            raise ConflictError(self._settled_message(spec.run_id, gate_id))
        parked_at = record.result.finished_at or approval.timestamp
        # a decision given before the gate parked takes effect now: the gate finishes when it is
        # applied, never before it started (the approval keeps the time it was given)
        now = max(utc_now(), parked_at) if preapproved else approval.timestamp
        decided = apply_decision(record, approval, at=now)
        details = {"preapproved": True} if preapproved else {}
        decided_event = audit_event(AuditType.DECIDED, spec, gate_id, now, approval=approval, details=details)
        vote_event = audit_event(AuditType.VOTE, spec, gate_id, now, approval=approval, details=details)
        outcome = "approved" if approval.decision == Decision.APPROVED else "rejected"
        quorum = gate.approval.quorum if gate.approval else 1
        metrics = observe.gate_settled(decided, gate.queue) + observe.approval_waited(
            gate_id, parked_at, now, outcome
        )
        plan = self.followups.plan(spec)
        votes = quorum if outcome == "approved" else 0
        settle = self._settle_spec(
            spec,
            gate,
            decided,
            now,
            plan,
            GateStatus.AWAITING_APPROVAL,
            decided_event,
            metrics,
            (approval, outcome, votes),
        )
        vote = self.astore.decide(approval, quorum, vote_event, plan, settle)
        return self._vote_result(spec, approval, vote, quorum, settle.outgoing)

    def _vote_result(
        self,
        spec: RunSpec,
        approval: HumanApproval,
        vote: Vote,
        quorum: int,
        outgoing: Mapping[str, Outgoing],
    ) -> DecisionResult:
        run_id, gate_id = spec.run_id, approval.gate_id
        if vote.outcome == "conflict":
            raise ConflictError(self._settled_message(run_id, gate_id), state=vote.current)
        if vote.outcome == "duplicate":
            event = audit_event(
                AuditType.DUPLICATE,
                spec,
                gate_id,
                utc_now(),
                approval=approval,
                reason="the same actor approved twice; counted once",
            )
            self.store.append_audit(run_id, event)
            return DecisionResult(run_id, gate_id, "duplicate", "awaiting_approval", vote.count, quorum)
        if vote.outcome == "counted":
            self.lifecycle.approval_decided(run_id, approval, "counted", vote.count)
            return DecisionResult(run_id, gate_id, "counted", "awaiting_approval", vote.count, quorum)
        assert vote.settle is not None
        outcome = "approved" if approval.decision == Decision.APPROVED else "rejected"
        self.followups.after(run_id, vote.settle.ready, outgoing, vote.settle.outbox)
        status = "passed" if outcome == "approved" else "failed"
        return DecisionResult(
            run_id, gate_id, outcome, status, quorum if outcome == "approved" else 0, quorum
        )

    def _preapprove(self, spec: RunSpec, gate: GateSpec, approval: HumanApproval) -> DecisionResult:
        """Store an authorized decision on a gate that has not parked yet (applied when it does)."""
        event = audit_event(AuditType.PREAPPROVED, spec, gate.id, approval.timestamp, approval=approval)
        stored = self.astore.preapprove(spec.run_id, gate.id, approval, event)
        if stored == "parked":  # it parked in the meantime: an ordinary decision
            return self._decide_parked(spec, gate.id, approval)
        if stored.startswith("conflict"):
            raise ConflictError(self._settled_message(spec.run_id, gate.id), state=stored.split(":", 1)[1])
        if self.store.gate_status(spec.run_id, gate.id) == GateStatus.AWAITING_APPROVAL:
            self.apply_preapprovals(spec.run_id, gate.id)  # parked between our check and the store
        quorum = gate.approval.quorum if gate.approval else 1
        return DecisionResult(spec.run_id, gate.id, "preapproved", "pending", 0, quorum)

    def _authorize(
        self,
        spec: RunSpec,
        gate: GateSpec,
        actor: str,
        approve: bool,
        now: str,
        request: ApprovalRequest | None,
        authz: Authorizer,
    ) -> str:
        assert gate.approval is not None
        escalation = None
        if request and request.escalate_to and request.escalate_at and request.escalate_at <= now:
            escalation = request.escalate_to
        try:
            role = authz.authorize(actor, gate.approval.role.value, escalation=escalation)
        except NotAuthorized as exc:
            self._refuse(spec, gate, actor, now, exc.message)
        no_self = gate.approval.no_self_approval or spec.profile.profile.approval.no_self_approval
        if approve and no_self and actor == spec.actor:
            self._refuse(
                spec,
                gate,
                actor,
                now,
                f"{actor} requested this run and may not approve its gates (no_self_approval)",
            )
        return role

    def _refuse(self, spec: RunSpec, gate: GateSpec, actor: str, now: str, reason: str) -> Any:
        self.store.append_audit(
            spec.run_id, audit_event(AuditType.REFUSED, spec, gate.id, now, actor=actor, reason=reason)
        )
        raise NotAuthorized(reason)

    def _settled_message(self, run_id: str, gate_id: str) -> str:
        record = self.store.record(run_id, gate_id)
        status = self.store.gate_status(run_id, gate_id)
        reason = record.result.reason if record and record.result.reason else None
        who = record.result.human_approval if record else None
        detail = reason or (f"{who.decision.value} by {who.actor}" if who else "")
        state = status.value if status else "unknown"
        return f"gate {gate_id} of {run_id} is already {state}" + (f" ({detail})" if detail else "")


__all__ = ["Approvals", "DecisionResult", "RunNotFound", "approval_gate", "member"]
