"""The Redis transitions of one check execution: lease, heartbeat, give up, claim the result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from prp_tasks.core.results import CheckResult
from prp_tasks.keys import Keys, RunKeys, check_field
from prp_tasks.redis_client import wrap_errors

if TYPE_CHECKING:
    import redis


class GateInputs(NamedTuple):
    """What evaluating a gate needs: its checks' results and when it started."""

    results: dict[str, CheckResult]
    started_at: str | None


class Claim(NamedTuple):
    """What a result claim records besides the result (see :meth:`CheckTransitions.record_check`)."""

    metrics: Sequence[tuple[str, float]] = ()
    files: Sequence[tuple[str, str]] = ()
    breaker_ok: str | None = None


class Lease(NamedTuple):
    """The answer to taking a check's lease (see :meth:`CheckTransitions.acquire`)."""

    state: str
    starts: int
    ends: int
    breaker_state: str | None = None
    #: when the check's gate started (with a lease taken)
    started_at: str | None = None


class CheckTransitions:
    """Mixed into :class:`prp_tasks.store.RunStore` (which registers the scripts used here)."""

    redis: redis.Redis
    keys: Keys
    _acquire: Any
    _heartbeat: Any
    _end_attempt: Any
    _record: Any
    _record_and_settle: Any

    def k(self, run_id: str) -> RunKeys:
        return self.keys.run(run_id)

    if TYPE_CHECKING:

        def settle_keys(self, run_id: str) -> list[str]: ...

    def acquire(
        self,
        run_id: str,
        gate_id: str,
        check: str,
        token: str,
        lease_ms: int,
        first_start_metrics: Sequence[tuple[str, float]] = (),
        breaker: str | None = None,
    ) -> Lease:
        """Take a check's lease: ("ok", starts, ends) | ("busy", pttl, 0) | ("done"|"stale", 0, 0).

        ``first_start_metrics`` are recorded only by the check's very first execution. A lease
        taken also reads when the gate started and, with a ``breaker`` key, that breaker's state
        (same round trip).
        """
        k = self.k(run_id)
        field = check_field(gate_id, check)
        pairs = [v for pair in first_start_metrics for v in pair]
        keys = [k.meta, k.status, k.checks, k.lease(gate_id, check), k.attempts, self.keys.metrics, k.started]
        with wrap_errors():
            out = self._acquire(
                keys=keys + ([breaker] if breaker else []),
                args=[gate_id, field, token, lease_ms, len(first_start_metrics), *pairs],
            )
        number = [int(x) for x in out[1:3]] + [0, 0]
        started = str(out[3]) if len(out) > 3 and out[3] else None
        breaker_state = str(out[4]) if len(out) > 4 else None
        return Lease(str(out[0]), number[0], number[1], breaker_state, started)

    def heartbeat(
        self, run_id: str, gate_id: str, check: str, token: str, lease_ms: int
    ) -> tuple[bool, str, bool]:
        """Extend the lease: (still held, gate status, run cancelled)."""
        k = self.k(run_id)
        with wrap_errors():
            held, status, cancelled = self._heartbeat(
                keys=[k.meta, k.status, k.lease(gate_id, check)], args=[gate_id, token, lease_ms]
            )
        return bool(int(held)), str(status), cancelled == "1"

    def end_attempt(self, run_id: str, gate_id: str, check: str, token: str) -> None:
        k = self.k(run_id)
        with wrap_errors():
            self._end_attempt(
                keys=[k.lease(gate_id, check), k.attempts], args=[check_field(gate_id, check), token]
            )

    def record_check(
        self,
        run_id: str,
        gate_id: str,
        result: CheckResult,
        token: str,
        claim: Claim,
        gate_checks: Sequence[str] = (),
    ) -> tuple[str, int, GateInputs | None]:
        """Claim a result once: ("ok"|"dup"|"fenced"|"stale", checks left in the gate, the gate's
        inputs if this claim completed its join, read in the same round trip from ``gate_checks``).

        ``claim.metrics`` are recorded with the claim (measured exactly once); ``claim.files``
        ("gate/name", ArtifactMeta JSON) are indexed only by the claim that wins;
        ``claim.breaker_ok``: the key of a closed breaker this execution went through and did not
        fail transiently (its count resets).
        """
        text = result.to_json()
        keys, args = self._claim(run_id, gate_id, result, text, token, claim)
        fields = [check_field(gate_id, n) for n in gate_checks]
        with wrap_errors():
            out = self._record(keys=keys, args=[*args, len(fields), *fields])
        return str(out[0]), int(out[1]), _inputs(gate_checks, out, {text: result})

    def record_and_settle(
        self,
        run_id: str,
        gate_id: str,
        result: CheckResult,
        token: str,
        claim: Claim,
        settle_args: Sequence[Any],
    ) -> tuple[str, int, list[Any] | None]:
        """:meth:`record_check` for a gate's only check, settling the gate with ``settle_args``
        (``lua.SETTLE_FN``'s) in the same script when the claim completes the join: (outcome,
        checks left, the settle's reply or None when it did not settle)."""
        keys, args = self._claim(run_id, gate_id, result, result.to_json(), token, claim)
        args.append(0)  # no results to read back: the caller evaluated the gate already
        with wrap_errors():
            out = self._record_and_settle(
                keys=[*keys, *self.settle_keys(run_id)], args=[len(keys), len(args), *args, *settle_args]
            )
        claimed = out[0]
        return str(claimed[0]), int(claimed[1]), (list(out[1]) if len(out) > 1 else None)

    def _claim(
        self, run_id: str, gate_id: str, result: CheckResult, text: str, token: str, claim: Claim
    ) -> tuple[list[str], list[Any]]:
        """RECORD_CHECK's keys and arguments up to (not including) the gate's checks to read back."""
        k = self.k(run_id)
        pairs = [v for pair in claim.metrics for v in pair]
        file_pairs = [v for pair in claim.files for v in pair]
        lease = k.lease(gate_id, result.name)
        keys = [k.status, k.checks, k.left, lease, self.keys.metrics, k.files, k.started]
        keys += [claim.breaker_ok] if claim.breaker_ok else []
        field = check_field(gate_id, result.name)
        args = [gate_id, field, text, token, len(claim.metrics), *pairs, len(claim.files), *file_pairs]
        return keys, args


def _inputs(
    gate_checks: Sequence[str], out: Sequence[Any], known: dict[str, CheckResult]
) -> GateInputs | None:
    """The gate's inputs from a claim that completed the join (else None); a stored result that is
    exactly one of ``known`` (the one just claimed) is not parsed again."""
    if len(out) <= 2:
        return None
    raw = dict(zip(gate_checks, out[3:], strict=True))
    results = {n: known.get(r) or CheckResult.model_validate_json(r) for n, r in raw.items() if r}
    return GateInputs(results, str(out[2]) or None)
