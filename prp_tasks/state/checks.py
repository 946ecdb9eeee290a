"""The Redis transitions of one check execution: lease, heartbeat, give up, claim the result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import redis

from prp_tasks.core.results import CheckResult
from prp_tasks.state.connection import Replicas, wrap_errors
from prp_tasks.state.keys import Keys, RunKeys, check_field
from prp_tasks.state.lua import Args, Lua
from prp_tasks.state.plans import Plan, SettleSpec, index_member

if TYPE_CHECKING:
    from prp_tasks.state.events import Rendered


class GateInputs(NamedTuple):
    """What evaluating a gate needs: its checks' results and when it started."""

    results: dict[str, CheckResult]
    started_at: str | None


class Claim(NamedTuple):
    """What a result claim records besides the result (see :meth:`CheckStore.record_check`)."""

    metrics: Sequence[tuple[str, float]] = ()
    files: Sequence[tuple[str, str]] = ()
    breaker_ok: str | None = None
    #: lifecycle events of the execution, written only by the claim that wins
    events: Sequence[Rendered] = ()


class Lease(NamedTuple):
    """The answer to taking a check's lease (see :meth:`CheckStore.acquire`)."""

    state: str
    starts: int
    ends: int
    breaker_state: str | None = None
    #: when the check's gate started (with a lease taken)
    started_at: str | None = None
    #: follow-up items in the run's outbox (with "stale" and "done": a redelivery re-drives them)
    outbox: int = 0


class CheckStore:
    """A check execution's transitions: lease, heartbeat, give up, claim the result (and settle)."""

    def __init__(self, client: redis.Redis, keys: Keys, replicas: Replicas | None = None) -> None:
        self.keys = keys
        # leases need no replica: a lost one is taken again; a claimed result waits for them
        self._acquire = Lua(client, "acquire")
        self._heartbeat = Lua(client, "heartbeat")
        self._end_attempt = Lua(client, "end_attempt")
        self._record_check = Lua(client, "record_check", replicas)
        self._record_and_settle = Lua(client, "record_and_settle", replicas)

    def k(self, run_id: str) -> RunKeys:
        return self.keys.run(run_id)

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
        """Take a check's lease: "ok" (starts, ends, gate start, breaker state) | "busy" (pttl in
        ``starts``) | "done"/"stale" (the run's outbox size in ``outbox``).

        ``first_start_metrics`` are recorded only by the check's very first execution; with a
        ``breaker`` key, its state is read in the same round trip.
        """
        k = self.k(run_id)
        field = check_field(gate_id, check)
        lease = k.lease(gate_id, check)
        keys = {
            "meta": k.meta,
            "status": k.status,
            "checks": k.checks,
            "lease": lease,
            "attempts": k.attempts,
            "metrics": self.keys.metrics,
            "started": k.started,
            "breaker": breaker or "",
            "outbox": k.outbox,
        }
        args = Args().one(gate_id, field, token, lease_ms).rows(first_start_metrics, 2)
        with wrap_errors():
            out = self._acquire(keys=keys, args=args)
        state = str(out[0])
        if state in ("stale", "done"):
            return Lease(state, 0, 0, outbox=int(out[1]))
        if state == "busy":
            return Lease(state, int(out[1]), 0)
        return Lease(state, int(out[1]), int(out[2]), str(out[4]) or None, str(out[3]) or None)

    def heartbeat(
        self, run_id: str, gate_id: str, check: str, token: str, lease_ms: int
    ) -> tuple[bool, str, bool]:
        """Extend the lease: (still held, gate status, run cancelled)."""
        k = self.k(run_id)
        with wrap_errors():
            held, status, cancelled = self._heartbeat(
                keys={"meta": k.meta, "status": k.status, "lease": k.lease(gate_id, check)},
                args=[gate_id, token, lease_ms],
            )
        return bool(int(held)), str(status), cancelled == "1"

    def end_attempt(self, run_id: str, gate_id: str, check: str, token: str) -> None:
        k = self.k(run_id)
        with wrap_errors():
            self._end_attempt(
                keys={"lease": k.lease(gate_id, check), "attempts": k.attempts},
                args=[check_field(gate_id, check), token],
            )

    def record_check(
        self,
        plan: Plan,
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
        fail transiently (its count resets). The claim completing the join leaves the gate's
        completion in the outbox (the caller completes it next).
        """
        text = result.to_json()
        keys, args = self._claim(plan, gate_id, result, text, token, claim)
        args.many([check_field(gate_id, n) for n in gate_checks])
        with wrap_errors():
            out = self._record_check(keys=keys, args=args)
        return str(out[0]), int(out[1]), _inputs(gate_checks, out, {text: result})

    def record_and_settle(
        self,
        plan: Plan,
        gate_id: str,
        result: CheckResult,
        token: str,
        claim: Claim,
        settle: SettleSpec,
    ) -> tuple[str, int, list[Any] | None]:
        """:meth:`record_check` for a gate's only check, settling the gate with ``settle`` in the
        same script when the claim completes the join: (outcome, checks left, the settle's reply
        or None when it did not settle)."""
        keys, args = self._claim(plan, gate_id, result, result.to_json(), token, claim)
        args.many([])  # no results to read back: the caller evaluated the gate already
        with wrap_errors():
            out = self._record_and_settle(keys=keys, args=settle.write(args))
        claimed = out[0]
        return str(claimed[0]), int(claimed[1]), (list(out[1]) if len(out) > 1 else None)

    def _claim(
        self, plan: Plan, gate_id: str, result: CheckResult, text: str, token: str, claim: Claim
    ) -> tuple[dict[str, str], Args]:
        """The claim scripts' keys and ARGV up to (not including) the gate's checks to read back."""
        run_id = plan.run_id
        keys = {
            **self.keys.settle(run_id)._asdict(),
            **self.keys.claim(run_id, gate_id, result.name, claim.breaker_ok)._asdict(),
        }
        field = check_field(gate_id, result.name)
        args = plan.write(Args()).one(gate_id, field, text, token, index_member(run_id, field))
        args.rows(claim.metrics, 2).rows(claim.files, 2).rows(claim.events, 2)
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
