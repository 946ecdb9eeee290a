"""prp.md sections 7–13: tests, verification, review, decisions, release, artifacts, follow-ups."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from prp_tasks.core.builtin_workflow import APPROVAL_DISPLAY_NAMES
from prp_tasks.core.evaluate import DEPENDENCY
from prp_tasks.core.models import GateStatus
from prp_tasks.core.render.common import (
    approvals_of,
    as_list,
    bullets,
    code,
    dedupe,
    document_version,
    dump_json,
    executed_gates,
    fence,
    gates_in_order,
    inline,
    is_builtin,
    known,
    label,
    record_of,
    release_changes,
    ts_key,
    utc_seconds,
    view_of,
    was_cut_short,
)
from prp_tasks.core.render.review import SUITE_CHECKS, TESTS_CATEGORY, passed_suites
from prp_tasks.core.results import EvidenceType, GateResult, HumanApproval
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.core.text import first_lines, one_line

_TEST_EVIDENCE = frozenset({EvidenceType.TEST, EvidenceType.COVERAGE})
#: longest test-evidence line in §7 (cut at a space): the status, the command's first line and a
#: whole facts line (up to 300 characters, the coverage at its end: python-dateutil's had been cut
#: at 240, before its 91.81%)
EVIDENCE_LIMIT = 420
_OUTCOME = {"fail": "failed", "skip": "skipped"}
_VERIFIED = (GateStatus.PASSED, GateStatus.FAILED)


def later_sections(
    snapshot: RunSnapshot, review: Mapping[str, Any], manifest: Mapping[str, Any]
) -> list[str]:
    """Sections 7 to 13, in order."""
    return [
        _test_plan(snapshot),
        _verification(snapshot),
        _reviewer_summary(review, snapshot),
        _decisions(snapshot),
        _release_notes(snapshot.spec.blueprint.metadata),
        _artifacts(snapshot, manifest),
        _follow_ups(snapshot, review),
    ]


def artifact_names(snapshot: RunSnapshot) -> list[str]:
    """Sorted names of every artifact the run produced (snapshot artifacts and gate artifacts)."""
    names = set(snapshot.artifacts)
    for gate_id in snapshot.spec.workflow.gate_ids:
        record = record_of(snapshot, gate_id)
        if record is not None:
            names.update(record.result.artifacts)
    return sorted(names)


def _test_plan(snapshot: RunSnapshot) -> str:
    doc = snapshot.spec.profile.doc
    evidence = [
        f"{code(e.source)} ({e.type}): {evidence_summary(e.content)}"
        for e in snapshot.evidence()
        if e.type in _TEST_EVIDENCE
    ]
    parts = [
        "## 7. Test Plan",
        "**Test evidence:**",
        bullets(evidence, "_No test evidence recorded._"),
    ]
    categories = as_list(snapshot.spec.blueprint.metadata.get("testCategories"))
    if categories:
        parts.append("**Test categories:** " + ", ".join(categories))
    parts += ["**Tests (initial.md):**", bullets(doc.tests)]
    parts += ["**Acceptance criteria (initial.md):**", bullets(doc.acceptance_criteria)]
    return "\n\n".join(parts)


def evidence_summary(content: str, limit: int = EVIDENCE_LIMIT) -> str:
    """What an evidence item says, on one line: its status and summary (the JSON's ``status`` and
    ``output``), cut at a space, never inside a value; other content cut the same way."""
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, Mapping) and isinstance(data.get("output"), str):
        text = first_lines(data["output"], 2)
        status = data.get("status")
        return one_line(f"{status} — {text}" if isinstance(status, str) else text, limit)
    return one_line(content, limit)


def checks_line(result: GateResult) -> str:
    """``Checks: 2/3 passed, 1 skipped`` (passed of all, then the other outcomes)."""
    counts = Counter(str(c.status) for c in result.automated_checks)
    total = len(result.automated_checks)
    others = [f"{counts[s]} {_OUTCOME[s]}" for s in ("fail", "skip") if counts[s]]
    return ", ".join([f"Checks: {counts['pass']}/{total} passed", *others])


def _verification(snapshot: RunSnapshot) -> str:
    lines, unverified = [], []
    for gate in gates_in_order(snapshot):
        view = view_of(snapshot, gate.id)
        if (view.status not in _VERIFIED and not was_cut_short(view)) or view.record is None:
            unverified.append(f"{gate.id} ({view.status})")
            continue
        result = view.record.result
        evidence = len(view.record.evidence) or len(result.evidence)
        line = f"**{label(gate)}:** {view.status} — {checks_line(result)} · Evidence: {evidence}"
        if result.reason:
            line += f" · Reason: {inline(result.reason, 300)}"
        lines.append(line)
    parts = ["## 8. Verification Results", bullets(lines, "_No gate has been verified yet._")]
    if unverified:
        parts.append("Not verified: " + ", ".join(unverified) + ".")
    return "\n\n".join(parts)


def _reviewer_summary(review: Mapping[str, Any], snapshot: RunSnapshot) -> str:
    shown = dict(review)
    findings = review.get("findings", [])
    shown["findings"] = [{k: v for k, v in f.items() if k != "evidence"} for f in findings]
    body = dump_json(shown).rstrip("\n")
    key = [
        f"**{f['severity']}** {code(f['id'])}: {_key_text(str(f['recommendation']))}{_at(f)}"
        for f in findings
    ]
    return "\n\n".join(
        [
            "## 9. Reviewer Summary",
            fence(body, "json"),
            _score_sources(review, snapshot),
            "**Key Findings:**",
            bullets(key, "_No findings._"),
        ]
    )


#: a command's head line (``exit 1 in 302.11s (pytest 9.2.0, Python 3.11.7)``)
_EXIT_LINE = re.compile(r"exit -?\d+ in [\d.]+s\b.*")
#: the most of a finding a key finding says
KEY_LIMIT = 300


def _key_text(recommendation: str) -> str:
    """A finding as a key finding: its facts line rather than the command's head line when it has
    one (jedi: "4037 tests: 3961 passed, 2 failed, …; failing: …", the names cut away behind its
    exit line), its parentheses closed when it is cut (frozendict: "(SyntaxError: …, at …")."""
    lines = recommendation.split("\n")
    if len(lines) > 1 and _EXIT_LINE.fullmatch(lines[0].strip()) and lines[1].strip():
        recommendation = "\n".join(lines[1:])
    text = inline(recommendation, KEY_LIMIT)
    return text + ")" * max(0, text.count("(") - text.count(")")) if text.endswith("…") else text


#: the places a key finding names at most (its evidence in review.json has them all)
PLACES_SHOWN = 3


def _at(finding: Mapping[str, Any]) -> str:
    """`` (at tests/test_utils.py:45, …)``: the lines of the repository the finding points at, as
    review.json's evidence does (§9's JSON leaves the evidence out: werkzeug's failing test and
    syntax error were named in prp.md, their file and line only in review.json)."""
    evidence = finding.get("evidence")
    places = [
        f"{e['path']}:{e['lines']}"
        for e in (evidence if isinstance(evidence, list) else [])
        if isinstance(e, Mapping) and e.get("path") and e.get("lines")
    ]
    if not places:
        return ""
    # (netaddr's 27 violations: "and 1 more" had read as four in all; review.json has five of them)
    more = f", and {len(places) - PLACES_SHOWN} more in review.json" if len(places) > PLACES_SHOWN else ""
    return f" (at {', '.join(code(p) for p in places[:PLACES_SHOWN])}{more})"


def _score_sources(review: Mapping[str, Any], snapshot: RunSnapshot) -> str:
    """Which gates each score is for (a failing test suite scores ``implementation``, G3's, where
    it runs, and ``tests`` too, besides G2's test plan: its finding is named there)."""
    gates: dict[str, list[str]] = {}
    for gate in snapshot.spec.workflow.gates:
        gates.setdefault(gate.review_category, []).append(label(gate))
    for finding in review.get("findings") or []:
        gate_id, _, check = str(finding.get("id", "")).partition("-")
        if check in SUITE_CHECKS and TESTS_CATEGORY in gates:
            gates[TESTS_CATEGORY].append(f"{gate_id}'s failing {code(check)}")
    gates.setdefault(TESTS_CATEGORY, []).extend(
        f"{g}'s passing {code(c)}" for g, c in passed_suites(snapshot)
    )
    scored = [f"{code(c)}: {', '.join(gates.get(c, []))}" for c in review.get("scores", {})]
    return "**Scores by category, each from its gates:** " + ("; ".join(scored) or "none") + "."


def _decisions(snapshot: RunSnapshot) -> str:
    order = {g.id: i for i, g in enumerate(gates_in_order(snapshot))}
    approvals = sorted(
        approvals_of(snapshot),
        key=lambda a: (ts_key(a.timestamp), order.get(a.gate_id, len(order))),
    )
    lines = [approval_line(snapshot, a) for a in approvals]
    rationales = []
    for gate in gates_in_order(snapshot):
        for approval in approvals:
            if approval.gate_id == gate.id and approval.rationale.strip():
                rationales.append(f"**{gate_name(snapshot, gate.id)}:** {inline(approval.rationale)}")
    return "\n\n".join(
        [
            "## 10. Decisions & Approvals",
            bullets(lines, "_No approvals recorded._"),
            "**Rationales:**",
            bullets(rationales, "_No rationales recorded._"),
        ]
    )


def gate_name(snapshot: RunSnapshot, gate_id: str) -> str:
    """Approval display name for built-in gates, else the gate's own display name."""
    workflow = snapshot.spec.workflow
    if is_builtin(workflow):
        return APPROVAL_DISPLAY_NAMES[gate_id]
    return workflow.gate(gate_id).display_name if gate_id in workflow.gate_ids else gate_id


def approval_line(snapshot: RunSnapshot, approval: HumanApproval) -> str:
    """``**<Gate>** — <decision> by <actor> (<role>, via <channel>) @ <time>Z (SHA: <7>)``."""
    role = approval.role
    if role is None and approval.gate_id in snapshot.spec.workflow.gate_ids:
        spec = snapshot.spec.workflow.gate(approval.gate_id).approval
        role = str(spec.role) if spec is not None else None
    how = f"{role}, via {approval.channel}" if role else f"via {approval.channel}"
    line = (
        f"**{gate_name(snapshot, approval.gate_id)}** — {approval.decision} by {approval.actor} "
        f"({how}) @ {utc_seconds(approval.timestamp)}"
    )
    sha = known(approval.commit_sha)
    repo = snapshot.spec.repo  # what was approved is the checkout, uncommitted changes included
    dirty = " + uncommitted changes" if repo.dirty and sha and sha == known(repo.commit_sha) else ""
    return f"{line} (SHA: {sha[:7]}{dirty})" if sha else line


def _release_notes(metadata: Mapping[str, Any]) -> str:
    changes = release_changes(metadata)
    parts = ["## 11. Release Notes", f"**Version:** {document_version(metadata)}"]
    parts += [
        f"**Highlights** (from {changes.source}):" if changes.source else "**Highlights:**",
        changes.highlights,
    ]
    parts += [*_labelled("Breaking Changes", changes.breaking), *_labelled("Migration", changes.migration)]
    return "\n\n".join(parts)


def _labelled(name: str, text: str) -> list[str]:
    """``**Name:** text`` for one line of text, else the label above its list."""
    if text.startswith("- "):
        return [f"**{name}:**", text]
    return [f"**{name}:** {text}"]


def _artifacts(snapshot: RunSnapshot, manifest: Mapping[str, Any]) -> str:
    names = artifact_names(snapshot)
    paths = manifest["artifacts"]
    total = len(snapshot.spec.workflow.gates)
    facts = [
        (f"Run manifest: {code(paths['manifestPath'])} (summary status: {manifest['summary']['status']})"),
        f"Review: {code(paths['reviewJsonPath'])}",
        f"Evidence items: {len(snapshot.evidence())} (the profile's origin and the gates' checks)",
        f"Gates executed: {len(executed_gates(snapshot))} of {total}",
    ]
    return "\n\n".join(
        [
            "## 12. Artifacts",
            "**Gate artifacts:**",
            bullets(map(code, names), "_No artifacts produced._"),
            bullets(facts),
        ]
    )


def _follow_ups(snapshot: RunSnapshot, review: Mapping[str, Any]) -> str:
    """The gates' next steps (not those of gates a dependency's failure skipped: that gate's own
    says what to do), then the major and blocker findings of gates that passed anyway
    (cachetools: "no command runs the required check 'type-check'" under "Follow-ups: None")."""
    steps = []
    for gate in gates_in_order(snapshot):
        record = record_of(snapshot, gate.id)
        if record is not None and not (record.result.reason or "").startswith(DEPENDENCY):
            steps += [s for s in record.result.next_steps if "proceed" not in s.lower()]
    for finding in review.get("findings") or []:
        gate_id = str(finding.get("id", "")).split("-", 1)[0]
        passed = view_of(snapshot, gate_id).status == GateStatus.PASSED
        if passed and finding.get("severity") in ("blocker", "major"):
            said = inline(str(finding.get("recommendation", "")), 200)
            steps.append(f"{code(str(finding['id']))} ({finding['severity']}): {said}")
    return "## 13. Follow-ups\n\n" + bullets(dedupe(steps), "_None._")
