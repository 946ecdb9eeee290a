"""Finding runs by status, repository and creation time (``GET /v1/runs``, ``list_prp_workflows``)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.runs import RunStore

#: the meta fields of a listed run
FIELDS = ("status", "repo", "created_at", "updated_at")


def find_runs(
    store: RunStore,
    *,
    status: str | None = None,
    repository: str | None = None,
    since_ms: int | None = None,
    cursor: int = 0,
    limit: int = 50,
    chunk: int = 200,
    derive: Callable[[str, list[str], bool], str] | None = None,
) -> tuple[list[dict[str, str]], int | None]:
    """Runs newest first, filtered on meta fields; returns (rows, next cursor or None).

    ``derive`` turns a run's stored status, its gates' statuses and whether it was cancelled into
    the status shown (and filtered on), so a list says what a run's own view says.
    """
    rows: list[dict[str, str]] = []
    low = since_ms if since_ms is not None else "-inf"
    while len(rows) < limit:
        ids, metas, gates = _chunk(store, low, cursor, chunk)
        if not ids:
            return rows, None
        for taken, (run_id, meta, statuses) in enumerate(zip(ids, metas, gates, strict=True), start=1):
            row = dict(zip(FIELDS, meta[:-1], strict=True))
            if row["status"] is None:  # expired between the index and the read
                continue
            if derive is not None:
                row["status"] = derive(row["status"], statuses, meta[-1] == "1")
            if (status is None or row["status"] == status) and (
                repository is None or row["repo"] == repository
            ):
                rows.append({"run_id": run_id, **row})
                if len(rows) == limit:
                    return rows, cursor + taken
        cursor += len(ids)
    return rows, cursor


Chunk = tuple[list[str], list[Any], list[Any]]  #: run ids, their meta fields, their gates' statuses


def _chunk(store: RunStore, low: int | str, cursor: int, chunk: int) -> Chunk:
    """The next ``chunk`` run ids of the index (newest first, from ``cursor``), with each run's
    meta fields (and ``cancelled``) and its gates' statuses."""
    with wrap_errors():
        ids = store.redis.zrevrangebyscore(store.keys.runs, "+inf", low, start=cursor, num=chunk)
        if not ids:
            return [], [], []
        with store.redis.pipeline(transaction=False) as pipe:
            for run_id in ids:
                pipe.hmget(store.k(run_id).meta, [*FIELDS, "cancelled"])
                pipe.hvals(store.k(run_id).status)
            found = pipe.execute()
    return ids, found[0::2], found[1::2]


def prune_index(store: RunStore, older_than_s: float, batch: int = 1000) -> int:
    """Drop index entries of runs whose state expired; returns how many were dropped.

    Only entries created more than ``older_than_s`` ago (the retention: no finished run's state
    can have expired sooner) are looked at, ``batch`` at a time from a random offset, so runs that
    are still alive at the front of the index do not hide expired ones behind them.
    """
    cutoff = int((time.time() - older_than_s) * 1000)
    with wrap_errors():
        old = store.redis.zcount(store.keys.runs, "-inf", cutoff)
        if not old:
            return 0
        offset = random.randrange(old - batch + 1) if old > batch else 0
        ids = store.redis.zrangebyscore(store.keys.runs, "-inf", cutoff, start=offset, num=batch)
        with store.redis.pipeline(transaction=False) as pipe:
            for run_id in ids:
                pipe.exists(store.k(run_id).meta)
            alive = pipe.execute()
        gone = [run_id for run_id, exists in zip(ids, alive, strict=True) if not exists]
        if gone:
            store.redis.zrem(store.keys.runs, *gone)
    return len(gone)
