"""Redis side of approvals: the Lua transitions and the global indexes (pending, deadlines …)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from prp_tasks.core.approvals import ApprovalRequest, AuditEvent
from prp_tasks.core.models import GateStatus
from prp_tasks.core.results import HumanApproval
from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.lua import BATCH_PLACEHOLDER, Args, Lua
from prp_tasks.state.plans import Plan, SettleSpec
from prp_tasks.state.runs import RunStore, Settle, settle_result

INDEXES = ("pending", "deadlines", "reminders", "escalations")


def member(run_id: str, gate_id: str) -> str:
    """How a parked gate appears in the global indexes."""
    return f"{run_id}/{gate_id}"


def split_member(value: str) -> tuple[str, str]:
    run_id, _, gate_id = value.rpartition("/")
    return run_id, gate_id


@dataclass(frozen=True)
class Vote:
    """Reply of a decision: settled (with the settle result), counted, duplicate or conflict."""

    outcome: str
    count: int = 0
    settle: Settle | None = None
    current: str | None = None


@dataclass(frozen=True)
class Park:
    """Reply of a park: settle result plus the notification batch the request joined."""

    settle: Settle
    batch_id: str = ""
    published: bool = False


class ApprovalStore:
    """Approval transitions on top of :class:`RunStore`'s keys."""

    def __init__(self, runs: RunStore) -> None:
        self.runs = runs
        self.redis = runs.redis
        self.keys = runs.keys
        client = runs.redis
        replicas = runs.replicas  # decisions wait for them as the run's own transitions do
        self._park = Lua(client, "park", replicas)
        self._decide = Lua(client, "decide", replicas)
        self._expire = Lua(client, "expire", replicas)
        self._preapprove = Lua(client, "preapprove", replicas)
        self._flush = Lua(client, "flush_batch", replicas)

    def _index_keys(self) -> dict[str, str]:
        return {name: self.keys.approvals(name) for name in INDEXES}

    def park(
        self,
        request: ApprovalRequest,
        event: AuditEvent,
        plan: Plan,
        settle: SettleSpec,
        *,
        schedule: tuple[int, int, int, int],
        batch_size: int,
        new_batch_id: str,
        now: str,
    ) -> Park:
        """Settle to awaiting_approval and record/index the request (one transaction); a
        pre-approval waiting for the gate is left in the run's outbox.

        ``schedule`` = (requested_ms, deadline_ms, reminder_ms or 0, escalate_ms or 0).
        """
        args = Args().one(
            member(request.run_id, request.gate_id),
            request.model_copy(update={"batch_id": BATCH_PLACEHOLDER}).model_dump_json(),
            event.model_copy(update={"batch_id": BATCH_PLACEHOLDER}).to_json(),
            *schedule,
            batch_size,
            new_batch_id,
            self.keys.batch_items_prefix,
            request.role,
            now,
        )
        with wrap_errors():
            out = self._park(keys=self._park_keys(request), args=settle.write(plan.write(args)))
        if out[0] != "ok":
            return Park(settle_result(out))
        parked = Settle(ok=True, unsettled=int(out[1]), outbox=tuple(str(out[4]).split()))
        return Park(parked, str(out[2]), bool(int(out[3])))

    def decide(
        self,
        approval: HumanApproval,
        quorum: int,
        vote_event: AuditEvent,
        plan: Plan,
        settle: SettleSpec,
    ) -> Vote:
        """One decision: counted toward the quorum, or settling the gate."""
        run_id, gate_id = plan.run_id, approval.gate_id
        keys = {
            **self.keys.settle(run_id)._asdict(),
            "votes": self.runs.k(run_id).votes,
            **self._index_keys(),
        }
        args = Args().one(
            member(run_id, gate_id),
            approval.actor,
            approval.decision.value,
            quorum,
            approval.to_json(),
            vote_event.to_json(),
        )
        with wrap_errors():
            out = self._decide(keys=keys, args=settle.write(plan.write(args)))
        kind = str(out[0])
        if kind == "conflict":
            return Vote("conflict", current=str(out[1]) or None)
        if kind in ("duplicate", "counted"):
            return Vote(kind, count=int(out[1]))
        return Vote("settled", settle=settle_result(out))

    def expire(self, plan: Plan, settle: SettleSpec) -> Settle | None:
        """Settle an expired request; None when the gate was no longer parked."""
        run_id = plan.run_id
        keys = {**self.keys.settle(run_id)._asdict(), **self._index_keys()}
        args = Args().one(member(run_id, settle.gate_id))
        with wrap_errors():
            out = self._expire(keys=keys, args=settle.write(plan.write(args)))
        return None if out[0] == "stale" else settle_result(out)

    def preapprove(self, run_id: str, gate_id: str, approval: HumanApproval, event: AuditEvent) -> str:
        """Store a decision for a gate that has not parked: "stored", "parked" or "conflict:<state>"."""
        k = self.runs.k(run_id)
        keys = {
            "status": k.status,
            "preapprovals": k.preapprovals,
            "audit": k.audit,
            "global_audit": self.keys.audit,
            "preapproved": self.keys.approvals("preapproved"),
            "meta": k.meta,
        }
        args = [gate_id, approval.actor, approval.to_json(), event.to_json(), member(run_id, gate_id)]
        with wrap_errors():
            out = self._preapprove(keys=keys, args=args)
        return str(out[0]) if out[0] != "conflict" else f"conflict:{out[1]}"

    def preapprovals(self, run_id: str, gate_id: str) -> list[HumanApproval]:
        with wrap_errors():
            raw = self.redis.hgetall(self.runs.k(run_id).preapprovals)
        found = [HumanApproval.model_validate_json(v) for f, v in raw.items() if f.startswith(f"{gate_id}|")]
        return sorted(found, key=lambda a: a.timestamp)

    def forget_preapproved(self, run_id: str, gate_id: str) -> None:
        with wrap_errors():
            self.redis.srem(self.keys.approvals("preapproved"), member(run_id, gate_id))

    def preapproved_members(self) -> list[str]:
        with wrap_errors():
            return sorted(self.redis.smembers(self.keys.approvals("preapproved")))

    def request(self, run_id: str, gate_id: str) -> ApprovalRequest | None:
        with wrap_errors():
            raw = self.redis.hget(self.runs.k(run_id).requests, gate_id)
        return ApprovalRequest.model_validate_json(raw) if raw else None

    def _park_keys(self, request: ApprovalRequest) -> dict[str, str]:
        """The park script's keys: the settle's, the run's requests, the indexes, the role's batch."""
        requests = self.runs.k(request.run_id).requests
        keys = {**self.keys.settle(request.run_id)._asdict(), "requests": requests, **self._index_keys()}
        return keys | {
            "batch": self.keys.batch(request.role),
            "preapproved": self.keys.approvals("preapproved"),
            "announced": self.keys.notify("announced"),
        }

    def parked_requests(self, members: Sequence[str]) -> list[tuple[ApprovalRequest | None, int]]:
        """For index members (``run/gate``): the request of each gate still parked (else None)
        and its votes so far, in one round trip however many (a listing of a thousand parked
        gates made three round trips per gate)."""
        with wrap_errors():
            pipe = self.redis.pipeline(transaction=False)
            for run_id, gate_id in map(split_member, members):
                keys = self.runs.k(run_id)
                pipe.hget(keys.status, gate_id)
                pipe.hget(keys.requests, gate_id)
                pipe.hget(keys.votes, f"{gate_id}|#")
            replies = pipe.execute()
        out: list[tuple[ApprovalRequest | None, int]] = []
        for i in range(0, len(replies), 3):
            status, raw, votes = replies[i : i + 3]
            parked = status == GateStatus.AWAITING_APPROVAL.value and raw
            out.append((ApprovalRequest.model_validate_json(raw) if parked else None, int(votes or 0)))
        return out

    def votes(self, run_id: str, gate_id: str) -> int:
        with wrap_errors():
            return int(self.redis.hget(self.runs.k(run_id).votes, f"{gate_id}|#") or 0)

    def indexed(
        self, index: str, until_ms: float | None = None, limit: int = 1000, start: int = 0
    ) -> list[tuple[str, float]]:
        """Members of a global index (oldest first) from rank ``start``, optionally only those due
        by ``until_ms``."""
        key = self.keys.approvals(index)
        with wrap_errors():
            if until_ms is None:
                return list(self.redis.zrange(key, start, start + limit - 1, withscores=True))
            return list(
                self.redis.zrangebyscore(key, "-inf", until_ms, start=start, num=limit, withscores=True)
            )

    def reschedule(self, index: str, value: str, at_ms: float | None) -> None:
        """Move a member's time in an index, or drop it (``at_ms=None``)."""
        key = self.keys.approvals(index)
        with wrap_errors():
            if at_ms is None:
                self.redis.zrem(key, value)
            else:
                self.redis.zadd(key, {value: at_ms})

    def open_batches(self) -> list[tuple[str, dict[str, str]]]:
        """Open (partial) batches per role: (role, {id, created, role})."""
        from prp_tasks.core.models import Role

        out = []
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for role in Role:
                pipe.hgetall(self.keys.batch(role.value))
            for role, data in zip(Role, pipe.execute(), strict=True):
                if data:
                    out.append((role.value, data))
        return out

    def flush_batch(self, role: str, batch_id: str, first_member: str, event: AuditEvent) -> bool:
        run_id, _ = split_member(first_member)
        keys = {
            "batch": self.keys.batch(role),
            "audit": self.runs.k(run_id).audit,
            "global_audit": self.keys.audit,
            "announced": self.keys.notify("announced"),
        }
        args = [batch_id, self.keys.batch_items_prefix + batch_id, event.to_json(), int(time.time() * 1000)]
        with wrap_errors():
            return bool(self._flush(keys=keys, args=args))

    def batch_members(self, batch_id: str) -> Sequence[str]:
        with wrap_errors():
            return list(self.redis.lrange(self.keys.batch_items_prefix + batch_id, 0, -1))
