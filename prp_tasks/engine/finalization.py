"""Finishing a run: once every gate settled (the settle leaves ``finalize`` in the run's outbox,
:mod:`prp_tasks.engine.followups` queues ``prp.finalize_run``), render and commit its outputs (prp.md,
review.json, run-manifest.json) exactly once.

A mixin of :class:`prp_tasks.engine.engine.Engine` (which provides the attributes declared here).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.models import GateStatus
from prp_tasks.core.render import render_outputs
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot

if TYPE_CHECKING:
    from prp_tasks.engine.execution import CheckExecutor
    from prp_tasks.engine.lifecycle import Lifecycle
    from prp_tasks.engine.limits import RunLimits
    from prp_tasks.engine.ports import Enqueuer
    from prp_tasks.settings import Settings
    from prp_tasks.state.events import EventSink
    from prp_tasks.state.runs import RunStore

log = logging.getLogger("prp_tasks.engine.engine")


class Finalization:
    """Mixed into the engine: the end of a run."""

    settings: Settings
    store: RunStore
    enqueue: Enqueuer
    events: EventSink
    executor: CheckExecutor
    limits: RunLimits
    lifecycle: Lifecycle

    if TYPE_CHECKING:

        def start_queued(self, run_id: str) -> bool: ...

    def finalize(self, run_id: str) -> bool:
        """Render prp.md, review.json and run-manifest.json once every gate settled."""
        meta = self.store.meta(run_id)
        if meta.get("finalized") == "1" or int(meta.get("unsettled", "1")) > 0:
            return False
        finished_at = self.store.claim_finished_at(run_id, utc_now())
        snapshot = self.store.snapshot(run_id)
        status = final_status(snapshot)
        snapshot = snapshot.model_copy(update={"status": status, "finished_at": finished_at})
        outputs = render_outputs(snapshot)
        committed = self.store.finalize(
            run_id,
            status=status,
            finished_at=finished_at,
            outputs=outputs,
            retention_s=self.settings.retention_s,
        )
        if committed:
            self._finished(snapshot, status, finished_at, outputs)
        return committed

    def _finished(
        self, snapshot: RunSnapshot, status: RunStatus, finished_at: str, outputs: dict[str, str]
    ) -> None:
        """After the commit: leave the live set, release files, workspaces and admission slots."""
        run_id = snapshot.spec.run_id
        self.store.redis.srem(self.store.keys.live_runs, run_id)
        self.executor.artifacts.expire(run_id, self.settings.retention_s)
        self.executor.release_quietly(run_id)  # this machine's workspace, without waiting for the broadcast
        self.enqueue.release_workspaces(run_id)  # every worker that ran a check has a workspace
        for admitted in self.limits.release_run(run_id):
            self.start_queued(admitted)
        log.info("run finished: %s", status.value, extra={"run_id": run_id})
        gates = {g: v.status.value for g, v in snapshot.gates.items()}
        review = json.loads(outputs["review.json"])
        self.lifecycle.finished(snapshot.spec, status.value, finished_at, gates, review)


def final_status(snapshot: RunSnapshot) -> RunStatus:
    if snapshot.cancelled:
        return RunStatus.CANCELLED
    if all(v.status == GateStatus.PASSED for v in snapshot.gates.values()):
        return RunStatus.PASSED
    return RunStatus.FAILED
