"""Keep the leases of running checks alive: one heartbeat thread per process, not one per check.

A check holds a lease (``P:run:{R}:lease:G/C``) while it runs; a delivery of the same check finding
a live lease waits instead of running it twice. While a check runs its lease is extended every
third of its length. A process runs many short checks, so starting and joining a thread for each
would cost more than the check; instead every running check registers here and one daemon thread
(started on first use in each process, again after a fork) renews them all. A renewal that finds
the lease taken over, the gate settled elsewhere or the run cancelled sets the check's ``stop``
flag, and the check is ended.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from prp_tasks.core.models import GateStatus
from prp_tasks.state.checks import CheckStore

log = logging.getLogger("prp_tasks.engine.leases")


@dataclass(frozen=True)
class Held:
    run_id: str
    gate_id: str
    check: str
    token: str
    stop: threading.Event


class LeaseKeeper:
    """Registry of the leases this process holds, renewed by one background thread."""

    def __init__(self, store: CheckStore, lease_s: float) -> None:
        self.store = store
        self.lease_ms = int(lease_s * 1000)
        self.interval = lease_s / 3
        self._held: dict[int, Held] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pid: int | None = None

    @contextlib.contextmanager
    def hold(
        self, run_id: str, gate_id: str, check: str, token: str, stop: threading.Event
    ) -> Iterator[None]:
        """Renew this lease until the block ends; ``stop`` is set if the check must end."""
        key = next(self._ids)
        with self._lock:
            self._held[key] = Held(run_id, gate_id, check, token, stop)
            self._ensure_thread()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(key, None)

    def stop_run(self, run_id: str) -> int:
        """Stop this process's running checks of ``run_id`` now (the run was cancelled here):
        the renewal would see the cancel too, but only at its next beat. Returns how many."""
        with self._lock:
            held = [lease for lease in self._held.values() if lease.run_id == run_id]
        for lease in held:
            lease.stop.set()
        return len(held)

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()  # first use in this process (a forked child starts its own)
        threading.Thread(target=self._loop, name="prp-leases", daemon=True).start()

    def _loop(self) -> None:
        while not self._wake.wait(self.interval):
            with self._lock:
                held = list(self._held.values())
            for lease in held:
                self._renew(lease)

    def _renew(self, lease: Held) -> None:
        try:
            alive, status, cancelled = self.store.heartbeat(
                lease.run_id, lease.gate_id, lease.check, lease.token, self.lease_ms
            )
        except Exception:  # Redis briefly away: the next beat tries again
            log.debug("lease renewal failed", exc_info=True)
            return
        if not alive or cancelled or status != GateStatus.RUNNING.value:
            lease.stop.set()  # cancelled, gate settled elsewhere, or lease taken over
