"""Reusing a passing check result across runs whose inputs are identical.

A check declared ``cacheable: true`` is keyed by the sha256 of its inputs: the check's spec, the
repository and its commit SHA, the enforcement profile's hash, and the hashes of the files it
needs. Only clean trees at a known commit qualify (an uncommitted change could change the result).
A passing result is kept for the run retention (``P:reuse:SHA``); a later run with the same
inputs records it again without executing, saying so in its evidence (``reused_from``). Failures
are never reused: a flaky failure must be able to pass on the next run.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from prp_tasks.checks.base import Outcome
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.results import EvidenceType
from prp_tasks.state.artifacts import ArtifactMeta
from prp_tasks.state.reuse import ReuseStore

if TYPE_CHECKING:
    from prp_tasks.checks.base import CheckContext


def inputs_digest(ctx: CheckContext, needed: list[ArtifactMeta]) -> str | None:
    """The key of the check's inputs, or None when its result must not be reused."""
    repo = ctx.spec.repo
    if not ctx.check.cacheable or repo.dirty or repo.commit_sha == "unknown":
        return None
    material = {
        "check": ctx.check.model_dump(mode="json"),
        "repo": [repo.full_name, repo.url or "", repo.commit_sha],
        "profile": ctx.spec.profile.sha256,
        "needs": sorted((m.field, m.sha256) for m in needed),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class ResultReuse:
    """Passing results by input digest, shared by every worker."""

    def __init__(self, store: ReuseStore) -> None:
        self.store = store

    def lookup(self, digest: str) -> Outcome | None:
        """The stored outcome as a reused one, or None."""
        entry = self.store.get(digest)
        if entry is None:
            return None
        details = {**entry["details"], "reused_from": {"run_id": entry["run_id"], "at": entry["at"]}}
        output = f"reused the passing result of run {entry['run_id']} (same inputs)\n{entry['output']}"
        return Outcome(
            CheckStatus.PASS, output, EvidenceType(entry["evidence_type"]), details, entry["source"]
        )

    def remember(self, digest: str, outcome: Outcome, run_id: str, at: str) -> None:
        """Keep a fresh passing outcome for later runs."""
        if outcome.status != CheckStatus.PASS or "reused_from" in outcome.details:
            return
        entry = {
            "run_id": run_id,
            "at": at,
            "output": outcome.output,
            "evidence_type": outcome.evidence_type.value,
            "details": outcome.details,
            "source": outcome.source,
        }
        self.store.put(digest, entry)
