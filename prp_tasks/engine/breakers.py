"""Circuit breakers shared by every worker through Redis (one per external dependency or command).

Only *transient* failures count (a timeout, an exit code or exception listed in ``retry_on``); a
check's own verdict (tests failing) says the tool works. ``threshold`` consecutive transient
failures open the breaker: checks using it then fail at once ("circuit open", transient, so
their ``retries`` back off) instead of tying up slots. After ``open_s`` one trial call is let
through (half-open): its success closes the breaker, its failure opens it again. A trial whose
worker died is replaced after another ``open_s``. State changes are lifecycle events
(``prp_runner.breaker.state_changed``) and metrics (``prp_breaker_state``, ``prp_breaker_transitions``).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from prp_tasks.core.models import Breaker, CheckSpec
from prp_tasks.settings import Settings
from prp_tasks.state.breakers import BreakerStore
from prp_tasks.state.events import BREAKER_STATE_CHANGED, EventSink
from prp_tasks.telemetry.schema import label_value


@dataclass(frozen=True)
class Permit:
    """The breaker's answer before a call."""

    name: str
    allowed: bool
    state: str
    wait_s: float
    token: str


class Breakers:
    """Allow / record calls against the shared breakers."""

    def __init__(self, settings: Settings, store: BreakerStore, events: EventSink) -> None:
        self.settings = settings
        self.store = store
        self.events = events

    def _limits(self, check: CheckSpec) -> tuple[int, float]:
        cfg = check.breaker if isinstance(check.breaker, Breaker) else None
        threshold = (cfg.threshold if cfg else None) or self.settings.breaker_threshold
        open_s = (cfg.open_s if cfg else None) or self.settings.breaker_open_s
        return threshold, open_s

    def key(self, check: CheckSpec) -> str | None:
        """The Redis key of the check's breaker (None: the check has none)."""
        name = check.breaker_name
        return None if name is None else self.store.key(name)

    def admit(self, check: CheckSpec, run_id: str, known_state: str | None) -> Permit | None:
        """:meth:`allow`, without a round trip when the state read with the lease is ``closed``
        (a closed breaker lets every call through and ``allow`` would change nothing)."""
        name = check.breaker_name
        if name is not None and known_state == "closed":
            return Permit(name, True, "closed", 0.0, "")
        return self.allow(check, run_id)

    def allow(self, check: CheckSpec, run_id: str) -> Permit | None:
        """None when the check has no breaker; else whether it may run now."""
        name = check.breaker_name
        if name is None:
            return None
        _, open_s = self._limits(check)
        token = uuid.uuid4().hex
        now_ms = int(time.time() * 1000)
        allowed, state, wait_s, changed = self.store.allow(
            name, label_value(name), now_ms, int(open_s * 1000), token
        )
        if changed:
            self._announce(run_id, name, state)
        return Permit(name, allowed, state, wait_s, token)

    def record(self, check: CheckSpec, permit: Permit, run_id: str, *, ok: bool) -> str:
        """Report the call's outcome (``ok`` = not a transient failure); returns the state."""
        threshold, _ = self._limits(check)
        now_ms = int(time.time() * 1000)
        state, changed = self.store.record(
            permit.name, label_value(permit.name), now_ms, ok, permit.token, threshold
        )
        if changed:
            self._announce(run_id, permit.name, state)
        return state

    def state(self, name: str) -> dict[str, str]:
        return self.store.state(name)

    def _announce(self, run_id: str, name: str, state: str) -> None:
        self.events.emit(BREAKER_STATE_CHANGED, run_id, {"breaker": name, "state": state})
