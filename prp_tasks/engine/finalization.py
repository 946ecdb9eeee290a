"""Finishing a run: once every gate settled (the settle leaves ``finalize`` in the run's outbox,
:mod:`prp_tasks.engine.followups` queues ``prp.finalize_run``), render and commit its outputs
(prp.md, review.json, run-manifest.json) exactly once, then release what the run held.
"""

from __future__ import annotations

import json
import logging

from prp_tasks.checks import needs_checkout
from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.models import GateStatus
from prp_tasks.core.render import render_outputs
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.engine.execution import CheckExecutor
from prp_tasks.engine.limits import RunLimits
from prp_tasks.engine.ports import Enqueuer
from prp_tasks.settings import Settings
from prp_tasks.state.manager import State
from prp_tasks.telemetry.lifecycle import Lifecycle

log = logging.getLogger("prp_tasks.engine.finalization")


class Finalizer:
    """Commits a run's outputs once and releases its files, workspaces and place in flight."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        enqueue: Enqueuer,
        executor: CheckExecutor,
        limits: RunLimits,
        lifecycle: Lifecycle,
    ) -> None:
        self.settings = settings
        self.store = state.runs
        self.finish = state.finish
        self.events = state.events
        self.notices = state.notices
        self.artifacts = state.artifacts
        self.enqueue = enqueue
        self.executor = executor
        self.limits = limits
        self.lifecycle = lifecycle

    def finalize(self, run_id: str) -> list[str] | None:
        """Render prp.md, review.json and run-manifest.json once every gate settled; the queued
        runs admitted in its place (None: not finished yet, or finalized already)."""
        resend_ms = int(self.settings.reconcile_grace_s * 1000)
        reads = self.store.snapshot_reads(run_id)
        finished_at, replies = self.finish.finish_claim(run_id, utc_now(), resend_ms, reads)
        if finished_at is None:
            return None
        snapshot = self.store.snapshot_from(run_id, replies)
        status = final_status(snapshot)
        snapshot = snapshot.model_copy(update={"status": status, "finished_at": finished_at})
        outputs = render_outputs(snapshot)
        # with no admission queue to hand the run's slot on first, the commit tells the waiters
        announce = self.finish.announces and not self.settings.max_runs_in_flight
        with self.events.capture() as finished:
            gates = {g: v.status.value for g, v in snapshot.gates.items()}
            review = json.loads(outputs["review.json"])
            self.lifecycle.finished(snapshot.spec, status.value, finished_at, gates, review)
        committed = self.finish.finalize(
            run_id,
            status=status,
            finished_at=finished_at,
            outputs=outputs,
            retention_s=self.settings.retention_s,
            events=self.events.render(finished),
            events_maxlen=self.settings.events_maxlen,
            announce=announce,
        )
        if not committed:
            return None
        return self._finished(snapshot, status, announced=announce)

    def _finished(self, snapshot: RunSnapshot, status: RunStatus, *, announced: bool) -> list[str]:
        """After the commit (which took the run out of the live runs and appended its finish
        events): release files and admission slots, tell the waiters (unless the commit did),
        then release workspaces and emit its trace (neither of which a waiter looks at)."""
        run_id = snapshot.spec.run_id
        if any(c.produces for g in snapshot.spec.workflow.gates for c in g.checks):  # files stored
            self.artifacts.expire(run_id, self.settings.retention_s)
        admitted = self.limits.release_run(run_id)
        log.info("run finished: %s", status.value, extra={"run_id": run_id})
        if not announced:
            self.notices.announce(run_id, status)
        if any(needs_checkout(c) for g in snapshot.spec.workflow.gates for c in g.checks):
            self.executor.release_quietly(run_id)  # this machine's, without waiting for the broadcast
            self._broadcast_release(run_id)  # every worker that ran such a check has one
        self.lifecycle.traced(snapshot, status.value, snapshot.finished_at or "")
        return admitted

    def _broadcast_release(self, run_id: str) -> None:
        """Best effort: a worker that misses it removes the workspace in its sweep. Published on
        the state Redis's own connection when it is the broker (no kombu producer per run)."""
        try:
            message = self.enqueue.release_message(run_id)
            if message is None:
                self.enqueue.release_workspaces(run_id)
            else:
                self.notices.broadcast(*message)
        except Exception as exc:
            log.warning("workspace release of run %s not broadcast: %s", run_id, exc)


def final_status(snapshot: RunSnapshot) -> RunStatus:
    if snapshot.cancelled:
        return RunStatus.CANCELLED
    if all(v.status == GateStatus.PASSED for v in snapshot.gates.values()):
        return RunStatus.PASSED
    return RunStatus.FAILED
