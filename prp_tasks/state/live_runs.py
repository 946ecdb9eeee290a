"""The runs not finalized yet (``P:runs:live``): left by the finalization, read in slices by the
safety net's round.

The reconciler's round looks at every live run, a slice per sweep; what it needs of each run (is
it finalized or queued, its gates' statuses) is read for the whole slice in one round trip, not
the run's whole meta hash (which holds its spec) run by run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis

from prp_tasks.core.models import GateStatus
from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys


@dataclass(frozen=True)
class LiveState:
    """What the safety net reads of a live run."""

    finalized: bool
    queued: bool
    gates: dict[str, GateStatus]


class LiveRuns:
    """Slices of the live runs and their states."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def all(self) -> list[str]:
        """Every run not finalized yet."""
        with wrap_errors():
            return sorted(self.redis.smembers(self.keys.live_runs))

    def forget(self, run_id: str) -> None:
        """The run is finalized (or gone)."""
        with wrap_errors():
            self.redis.srem(self.keys.live_runs, run_id)

    def page(self, cursor: int, count: int) -> tuple[int, list[str]]:
        """One ``SSCAN`` step: (next cursor, 0 at the end; runs). A run live for the whole scan
        is returned at least once."""
        with wrap_errors():
            next_cursor, runs = self.redis.sscan(self.keys.live_runs, cursor, count=count)
        return int(next_cursor), sorted(runs)

    def states(self, run_ids: Sequence[str]) -> list[LiveState | None]:
        """Each run's state (None: the run is gone), in one round trip."""
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for run_id in run_ids:
                keys = self.keys.run(run_id)
                pipe.hmget(keys.meta, "finalized", "status")
                pipe.hgetall(keys.status)
            replies = pipe.execute()
        out: list[LiveState | None] = []
        for i in range(0, len(replies), 2):
            (finalized, status), gates = replies[i], replies[i + 1]
            if status is None:
                out.append(None)
                continue
            statuses = {g: GateStatus(s) for g, s in gates.items()}
            out.append(LiveState(finalized == "1", status == "queued", statuses))
        return out
