"""prp.md (reference §4.2): the header and sections 1–6, joined with sections 7–13."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from prp_tasks.core.models import GateStatus
from prp_tasks.core.profile import ResolvedProfile
from prp_tasks.core.render.budgets import accessibility_text, coverage_marked, marked, performance_text
from prp_tasks.core.render.common import (
    NOT_SPECIFIED,
    as_list,
    bullets,
    code,
    document_version,
    inline,
    uncommitted,
    view_of,
)
from prp_tasks.core.render.prp_sections import artifact_names, later_sections
from prp_tasks.core.render.review import unverified
from prp_tasks.core.results import EvidenceType
from prp_tasks.core.run import Blueprint, RepoInfo, RunStatus, redact_url
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.core.text import them

SEPARATOR = "\n\n---\n\n"
_FAILED_RUN = frozenset({RunStatus.FAILED, RunStatus.CANCELLED})
_LINKS = (("issue", "Issue"), ("pr", "Pull Request"), ("checks", "Checks"))
_MARKS = {"fulfilled": "✅", "missing": "⚠️", "pending": "⏳"}


def prp_markdown(snapshot: RunSnapshot, review: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """The whole document: sections 0–13 in order, separated by horizontal rules."""
    spec = snapshot.spec
    sections = [
        header(snapshot),
        _objective(spec.blueprint),
        _scope(spec.blueprint.metadata),
        _constraints(spec.profile),
        _design(snapshot),
        _handoffs(manifest),
        _interfaces(snapshot, review, manifest),
        *later_sections(snapshot, review, manifest),
    ]
    return SEPARATOR.join(s.strip() for s in sections) + "\n"


def document_status(snapshot: RunSnapshot) -> str:
    """``ready-for-release`` when every gate passed, ``failed`` for a failed or cancelled run.

    A run still finalizing has every gate settled: it is failed unless they all passed.
    """
    statuses = [view_of(snapshot, g).status for g in snapshot.spec.workflow.gate_ids]
    all_passed = all(s == GateStatus.PASSED for s in statuses)
    if snapshot.status in _FAILED_RUN or snapshot.cancelled:
        return "failed"
    if all_passed:
        return "ready-for-release"
    return "failed" if snapshot.status == RunStatus.FINALIZING else "in-progress"


def _status(snapshot: RunSnapshot) -> str:
    """The document status, and why: a cancelled run; a run ready for release whose required
    checks no command runs says so (retrying's sdist: "ready-for-release" with no test, lint or
    type check run, each a major finding only §9 and §13 named)."""
    status = document_status(snapshot)
    if _cancelled(snapshot):
        return f"{status} (run cancelled)"
    unrun = unverified(snapshot) if status == "ready-for-release" else ()
    if unrun:
        return f"{status} (not verified: {', '.join(unrun)}; no command runs {them(len(unrun))}, see §13)"
    return status


def _cancelled(snapshot: RunSnapshot) -> bool:
    """A cancelled run: its document status is ``failed`` (the document type has no other word
    for it), which the header says is why."""
    return snapshot.cancelled or snapshot.status == RunStatus.CANCELLED


def _commit(repo: RepoInfo) -> str:
    sha = repo.commit_sha if repo.commit_sha != "unknown" else "unknown (not a git repository)"
    if repo.dirty:
        sha += " + " + uncommitted(repo)
    return f"{sha} from {redact_url(repo.url)}" if repo.url else sha


def header(snapshot: RunSnapshot) -> str:
    spec = snapshot.spec
    fields = [
        ("ID", spec.run_id),
        ("Title", inline(spec.blueprint.title)),
        ("Repository", spec.repo.full_name),
        ("Branch", spec.repo.branch),
        ("Commit", _commit(spec.repo)),
        ("Owner", spec.repo.owner),
        ("Created", spec.created_at),
        ("Updated", snapshot.finished_at or "_not finished_"),
        ("Version", document_version(spec.blueprint.metadata)),
        ("Status", _status(snapshot)),
    ]
    lines = [f"- **{name}:** {value}" for name, value in fields]
    links = spec.blueprint.metadata.get("links")
    if isinstance(links, Mapping):
        found = [f"[{label}]({links[key]})" for key, label in _LINKS if links.get(key)]
        if found:
            lines.append("- **Links:** " + " · ".join(found))
    return "# PRP Document\n\n" + "\n".join(lines)


def _objective(blueprint: Blueprint) -> str:
    requirements = list(blueprint.requirements)
    outcome = requirements[0] if requirements else NOT_SPECIFIED
    return "\n\n".join(
        [
            "## 1. Objective",
            f"**Problem:** {blueprint.description.strip() or NOT_SPECIFIED}",
            f"**Outcome (Measurable):** {outcome}",
            "**Requirements:**",
            bullets(requirements),
        ]
    )


def _scope(metadata: Mapping[str, Any]) -> str:
    return "\n\n".join(
        [
            "## 2. Scope & Non-Goals",
            "**In Scope:**",
            bullets(as_list(metadata.get("scope"))),
            "**Non-Goals:**",
            bullets(as_list(metadata.get("nonGoals"))),
        ]
    )


def _constraints(resolved: ResolvedProfile) -> str:
    if resolved.source:
        source = (
            f"From {code(resolved.source)}: each value names the line that set it, or `default` "
            "when the built-in default applies"
        )
    else:
        source = "Built-in defaults (no initial.md found; `prp init` writes one from the project)"
    parts = ["## 3. Constraints", source + ".", bullets(_budget_items(resolved) + _policy_items(resolved))]
    if resolved.doc.constraints:
        parts += ["**Further constraints (initial.md):**", bullets(resolved.doc.constraints)]
    return "\n\n".join(parts)


def _budget_items(resolved: ResolvedProfile) -> list[str]:
    budgets, kind = resolved.profile.budgets, resolved.profile.project.kind
    sec = budgets.security
    perf, a11y = budgets.performance, budgets.accessibility
    security = f"at most {sec.max_critical} critical, {sec.max_high} high and {sec.max_medium} medium"
    sec_paths = [f"budgets.security.max_{level}" for level in ("critical", "high", "medium")]
    return [
        "**Coverage:** " + coverage_marked(resolved),
        "**Performance:** "
        + marked(resolved, performance_text(perf, kind), *_paths(perf, "budgets.performance", "lcp", "tbt")),
        "**Accessibility:** "
        + marked(
            resolved,
            accessibility_text(a11y, kind),
            *_paths(a11y, "budgets.accessibility", "score", "wcag_level"),
        ),
        "**Security:** " + marked(resolved, security + " findings", *sec_paths),
    ]


def _policy_items(resolved: ResolvedProfile) -> list[str]:
    arch, gov = resolved.profile.architecture, resolved.profile.governance
    boundaries = ", ".join(map(code, arch.boundaries)) or "none declared"
    return [
        "**Package boundaries:** " + marked(resolved, boundaries, "architecture.boundaries"),
        "**Allowed cross-boundary imports:** "
        + marked(resolved, ", ".join(map(code, arch.exceptions)) or "none", "architecture.exceptions"),
        "**Required checks:** " + marked(resolved, ", ".join(gov.checks) or "none", "governance.checks"),
        "**License policy:** " + marked(resolved, gov.license or "none", "governance.license"),
    ]


def _paths(section: object, prefix: str, *fields: str) -> list[str]:
    return [prefix] if section is None else [f"{prefix}.{f}" for f in fields]


def _design(snapshot: RunSnapshot) -> str:
    items = []
    for evidence in snapshot.evidence():
        if evidence.type == EvidenceType.ANALYSIS and "design" in evidence.source.lower():
            items.append(f"{code(evidence.source)}: {_summary_of(evidence.content)}")
    return "## 4. Design Summary\n\n" + bullets(items, "_No design evidence recorded._")


def _summary_of(content: str) -> str:
    """The ``summary`` of a JSON evidence content, else the content itself, on one line."""
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, Mapping) and data.get("summary"):
        return inline(str(data["summary"]), 300)
    return inline(content, 300)


def _handoffs(manifest: Mapping[str, Any]) -> str:
    blocks = ["## 5. Chain I/O Handoffs"]
    for stage in manifest["stages"]:
        handoff = stage["handoff"]
        title = f"### {stage['title']}"
        if handoff["persona"]:
            title += f" ({handoff['persona']})"
        gates = ", ".join(stage["gate"]["sourceGateIds"])
        blocks += [title, f"Status: {stage['status']} · Gates: {gates}"]
        if handoff["description"]:
            blocks.append(handoff["description"])
        skipped = [c for c in stage["gate"]["automatedChecks"] if c.get("status") == "skip"]
        deliverables = [_deliverable_line(d, skipped) for d in handoff["requiredArtifacts"]]
        blocks += ["**Deliverables:**", bullets(deliverables, "_No deliverables declared._")]
        if handoff["batonCheckpoints"]:
            blocks.append("**Baton checkpoints:** " + ", ".join(map(code, handoff["batonCheckpoints"])))
    return "\n\n".join(blocks)


def _deliverable_line(deliverable: Mapping[str, Any], skipped: Sequence[Mapping[str, Any]] = ()) -> str:
    """The deliverable's status and what fulfils it; a report fulfilled by a gate's report names
    the stage's checks that were skipped (G4's ``security-verification-report.md`` is fulfilled by
    ``verification-report.md`` even when no security report was configured: it read as checked)."""
    status = deliverable["status"]
    line = f"{_MARKS.get(status, '')} {code(deliverable['name'])} — {status}".strip()
    if deliverable.get("reference"):
        unrun = [f"{c['name']} ({inline(str(c.get('output', '')), 80)})" for c in skipped]
        said = f"; skipped there: {', '.join(unrun)}" if unrun and deliverable.get("artifactMatch") else ""
        return f"{line} ({code(deliverable['reference'])}{said})"
    if deliverable.get("planPathKey"):
        return f"{line} (plan path {code(deliverable['planPathKey'])})"
    if status == "pending":  # a finished run's too: no gate artifact matched it
        return f"{line} (no gate has produced it)"
    return line


def _interfaces(snapshot: RunSnapshot, review: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    paths = manifest["artifacts"]
    outputs = [
        f"{code(paths['prpMarkdownPath'])}: this document.",
        (f"{code(paths['reviewJsonPath'])}: review scores and findings (schema {code(review['schema'])})."),
        (
            f"{code(paths['manifestPath'])}: stages, approvals, blockers and telemetry "
            f"(schema version {manifest['schemaVersion']})."
        ),
    ]
    artifacts = artifact_names(snapshot)
    listed = f"{len(artifacts)}, listed in §12" if artifacts else "none"
    outputs.append(f"Gate artifacts: {listed}.")
    note = (
        "Gate results, evidence and approvals keep the reference's GateResult, Evidence "
        "and HumanApproval shapes (camelCase JSON)."
    )
    return "\n\n".join(["## 6. Interfaces & Contracts", "This run produces:", bullets(outputs), note])
