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
from typing import TYPE_CHECKING

from prp_tasks.core.models import Breaker, CheckSpec
from prp_tasks.settings import Settings
from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.events import BREAKER_STATE_CHANGED
from prp_tasks.state.lua import Lua
from prp_tasks.telemetry.schema import label_value

if TYPE_CHECKING:
    from prp_tasks.state.events import EventSink
    from prp_tasks.state.runs import RunStore


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

    def __init__(self, settings: Settings, store: RunStore, events: EventSink) -> None:
        self.settings = settings
        self.store = store
        self.events = events
        self._allow = Lua(store.redis, "breaker_allow")
        self._record = Lua(store.redis, "breaker_record")

    def _limits(self, check: CheckSpec) -> tuple[int, float]:
        cfg = check.breaker if isinstance(check.breaker, Breaker) else None
        threshold = (cfg.threshold if cfg else None) or self.settings.breaker_threshold
        open_s = (cfg.open_s if cfg else None) or self.settings.breaker_open_s
        return threshold, open_s

    def _keys(self, name: str) -> dict[str, str]:
        return {"breaker": self.store.keys.breaker(name), "metrics": self.store.keys.metrics}

    def key(self, check: CheckSpec) -> str | None:
        """The Redis key of the check's breaker (None: the check has none)."""
        name = check.breaker_name
        return None if name is None else self.store.keys.breaker(name)

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
        args = [label_value(name), int(time.time() * 1000), int(open_s * 1000), token]
        with wrap_errors():
            allowed, state, wait_ms, changed = self._allow(keys=self._keys(name), args=args)
        if int(changed):
            self._announce(run_id, name, str(state))
        return Permit(name, bool(int(allowed)), str(state), int(wait_ms) / 1000, token)

    def record(self, check: CheckSpec, permit: Permit, run_id: str, *, ok: bool) -> str:
        """Report the call's outcome (``ok`` = not a transient failure); returns the state."""
        threshold, _ = self._limits(check)
        args = [
            label_value(permit.name),
            int(time.time() * 1000),
            "1" if ok else "0",
            permit.token,
            threshold,
        ]
        with wrap_errors():
            state, changed = self._record(keys=self._keys(permit.name), args=args)
        if int(changed):
            self._announce(run_id, permit.name, str(state))
        return str(state)

    def state(self, name: str) -> dict[str, str]:
        with wrap_errors():
            return dict(self.store.redis.hgetall(self.store.keys.breaker(name)))

    def _announce(self, run_id: str, name: str, state: str) -> None:
        self.events.emit(BREAKER_STATE_CHANGED, run_id, {"breaker": name, "state": state})
