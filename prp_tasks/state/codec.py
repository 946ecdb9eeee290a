"""How run state is encoded in Redis: the stored spec (profile by reference) and snapshots."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Protocol

from prp_tasks.core.approvals import AuditEvent
from prp_tasks.core.evaluate import cut_short, parse_ts
from prp_tasks.core.models import GateStatus, Workflow
from prp_tasks.core.profile import ResolvedProfile
from prp_tasks.core.results import CheckResult, GateRecord
from prp_tasks.core.run import RunSpec, RunStatus
from prp_tasks.core.snapshot import GateEvent, GateView, RunSnapshot
from prp_tasks.errors import StoreError

#: outputs hash entries that are run outputs, not gate artifacts
OUTPUT_FILES = ("prp.md", "review.json", "run-manifest.json")


class ProfileResolver(Protocol):
    """Parses a stored profile's text again (:class:`prp_tasks.intake.profiles.cache.ProfileCache`,
    content-addressed, so a run's profile is parsed once per process and content)."""

    def resolve(self, data: bytes, source: str | None) -> ResolvedProfile: ...


def dump_spec(spec: RunSpec) -> str:
    """The spec as stored: the profile by reference (source, hash, text), not parsed."""
    data = spec.model_dump(mode="json", exclude={"profile"})
    _without_new_defaults(data)
    profile = spec.profile
    data["profile_ref"] = {"source": profile.source, "sha256": profile.sha256, "text": profile.text}
    return json.dumps(data)


def _without_new_defaults(data: dict[str, Any]) -> None:
    """Fields this version added, left out while they hold their defaults: a worker of the
    version before (a rolling deploy, a rollback; its models forbid unknown fields) reads the
    spec, and reads it the same."""
    if data.get("caller_trace") is None:
        data.pop("caller_trace", None)
    repo = data.get("repo") or {}
    if not repo.get("changed") and not repo.get("changes"):
        repo.pop("changed", None)
        repo.pop("changes", None)
    workflow = data.get("workflow") or {}
    holders = [workflow, *workflow.get("gates", [])]
    holders += [c for g in workflow.get("gates", []) for c in g.get("checks", [])]
    for holder in holders:
        environment = holder.get("environment")
        if isinstance(environment, dict) and environment.get("extensions") is True:
            del environment["extensions"]
        for key, default in (("variables", {}), ("prepare", [])):
            if isinstance(environment, dict) and environment.get(key) == default:
                del environment[key]


def load_spec(raw: str, profiles: ProfileResolver) -> RunSpec:
    """A stored spec, its profile re-derived through the content-addressed cache and its workflow
    validated once per process for all runs of the same workflow (:func:`shared_workflow`)."""
    data = json.loads(raw)
    ref = data.pop("profile_ref")
    if ref["source"] is None:
        profile = _no_profile()
    else:
        profile = profiles.resolve(ref["text"].encode("utf-8"), ref["source"])
        if profile.sha256 != ref["sha256"]:
            raise StoreError(f"stored profile text does not match its hash {ref['sha256']}")
    workflow = shared_workflow(json.dumps(data.pop("workflow")))
    return RunSpec.model_validate({**data, "workflow": workflow, "profile": profile})


@lru_cache(maxsize=1)
def _no_profile() -> ResolvedProfile:
    """The profile of a run without ``initial.md``, one object (frozen) for all: building it
    copies every default budget."""
    return ResolvedProfile()


@lru_cache(maxsize=512)
def shared_workflow(text: str) -> Workflow:
    """The workflow of its JSON text, one immutable object per distinct workflow: the runs of a
    workflow (a worker may hold thousands of specs) share its validated gates. The stored layout
    is unchanged, so workers of the previous version read what this one writes. The models are
    frozen; their few dict fields (and a shared profile's) must never be changed in place."""
    return Workflow.model_validate(json.loads(text))


def audit_event(entry_id: str, fields: dict[str, str]) -> AuditEvent:
    return AuditEvent.model_validate_json(fields["event"]).model_copy(update={"id": entry_id})


def gate_event(gate_id: str, kind: str, now: str) -> str:
    return json.dumps({"gate_id": gate_id, "type": kind, "timestamp": now})


def to_ms(iso: str) -> int:
    return int(parse_ts(iso).timestamp() * 1000)


def pairs(reply: Any) -> dict[str, str]:
    """A hash as Redis replied it: a dict (parsed by redis-py, or RESP3) or a flat field, value
    list (RESP2, read raw)."""
    if isinstance(reply, dict):
        return reply
    fields = iter(reply or ())
    return dict(zip(fields, fields, strict=True))


def build_snapshot(
    spec: RunSpec,
    meta: dict[str, str],
    status: dict[str, str],
    started: dict[str, str],
    records: dict[str, str],
    checks: dict[str, str],
    outputs: dict[str, str],
    events: list[str],
    audit: list[tuple[str, dict[str, str]]],
) -> RunSnapshot:
    views = {}
    for gate in spec.workflow.gates:
        prefix = f"{gate.id}/"
        gate_checks = {
            f[len(prefix) :]: CheckResult.model_validate_json(v)
            for f, v in checks.items()
            if f.startswith(prefix)
        }
        raw, started_at = records.get(gate.id), started.get(gate.id)
        record = GateRecord.model_validate_json(raw) if raw else None
        views[gate.id] = GateView(
            gate_id=gate.id,
            status=GateStatus(status.get(gate.id, GateStatus.PENDING.value)),
            started_at=started_at,
            record=cut_short(gate, record, started_at, gate_checks) if record else None,
            checks=gate_checks,
        )
    return RunSnapshot(
        spec=spec,
        status=RunStatus(meta.get("status", RunStatus.RUNNING.value)),
        gates=views,
        audit=tuple(audit_event(i, f) for i, f in audit),
        events=tuple(GateEvent.model_validate(json.loads(e)) for e in events),
        finished_at=meta.get("finished_at") or meta.get("finished_at_claim"),
        artifacts={n: v for n, v in outputs.items() if n not in OUTPUT_FILES},
        cancelled=meta.get("cancelled") == "1",
    )
