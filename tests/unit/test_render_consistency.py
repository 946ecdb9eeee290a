"""prp.md, review.json and run-manifest.json agree with the run and with each other.

Hypothesis generates runs of the built-in workflow: every gate passes, fails (some checks failing,
or a rejection), waits for a decision or has not started, checks may be skipped, gates whose
dependency failed are skipped; then the three outputs are rendered and compared fact by fact:
every gate's status, every check's outcome, every count, every artifact's presence.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from prp_tasks.checks.crashes import LINE_LIMIT
from prp_tasks.core import dag
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.catalog import GATE_REPORTS
from prp_tasks.core.evaluate import apply_decision, evaluate_gate, skipped_record
from prp_tasks.core.models import CheckStatus, GateSpec, GateStatus, Workflow
from prp_tasks.core.profile import EnforcementProfile, ResolvedProfile
from prp_tasks.core.render import render_outputs
from prp_tasks.core.render.common import EXECUTED
from prp_tasks.core.render.prp_sections import artifact_names, evidence_summary
from prp_tasks.core.render.review import SUITE_CHECKS, category_unverified, is_red, required_checks
from prp_tasks.core.results import Decision
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import GateView, RunSnapshot
from tests.unit.render_builders import approval, at, check, make_spec, section, snap

#: half the gates pass, so later gates (G3's required checks, G6, G7) are reached often
OUTCOMES = ("pass", "pass", "pass", "pass", "fail", "fail", "reject", "await", "pending")
CHECK_STATUSES = (CheckStatus.PASS, CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP)


def gate_view(gate: GateSpec, minute: int, outcome: str, statuses: list[CheckStatus]) -> GateView:
    """A gate that ran its checks with ``statuses`` (failing ones only when ``outcome`` is fail)."""
    if outcome != "fail":
        statuses = [CheckStatus.PASS if s == CheckStatus.FAIL else s for s in statuses]
    elif CheckStatus.FAIL not in statuses:
        statuses = [CheckStatus.FAIL, *statuses[1:]]
    checks = {
        c.name: check(c.name, s, f"{c.name}: {s} output", (f"src-{c.name}",))
        for c, s in zip(gate.checks, statuses, strict=True)
    }
    report = (GATE_REPORTS[gate.report],) if gate.report else ()
    record = evaluate_gate(gate, checks, started_at=at(minute), finished_at=at(minute, 20), artifacts=report)
    if record.result.status == GateStatus.AWAITING_APPROVAL and outcome in ("pass", "reject"):
        decision = Decision.APPROVED if outcome == "pass" else Decision.REJECTED
        record = apply_decision(record, approval(gate.id, minute, decision=decision, role="qa-lead"))
    return GateView(gate_id=gate.id, status=record.result.status, record=record, checks=checks)


#: a profile whose required checks G3 runs as commands (run-test, run-lint, run-type-check)
PROFILE = ResolvedProfile(
    source="initial.md",
    profile=EnforcementProfile.model_validate(
        {"governance": {"commands": {"test": ["pytest"], "lint": ["ruff", "check"], "type-check": ["mypy"]}}}
    ),
)


@st.composite
def runs(draw: st.DrawFn) -> RunSnapshot:
    spec = make_spec(builtin_workflow(PROFILE.profile), resolved=PROFILE)
    workflow = spec.workflow
    views: dict[str, GateView] = {}
    for minute, gate_id in enumerate(dag.topological_order(workflow)):
        gate = workflow.gate(gate_id)
        deps = [views[d].status for d in gate.depends_on]
        bad = next(
            (d for d in gate.depends_on if views[d].status in (GateStatus.FAILED, GateStatus.SKIPPED)), None
        )
        if bad is not None:
            record = skipped_record(gate, f"dependency {bad} failed", at(minute))
            views[gate_id] = GateView(gate_id=gate_id, status=GateStatus.SKIPPED, record=record)
        elif any(s != GateStatus.PASSED for s in deps):
            views[gate_id] = GateView(gate_id=gate_id, status=GateStatus.PENDING)
        else:
            outcome = draw(st.sampled_from(OUTCOMES))
            if outcome == "pending":
                views[gate_id] = GateView(gate_id=gate_id, status=GateStatus.PENDING)
                continue
            statuses = draw(
                st.lists(
                    st.sampled_from(CHECK_STATUSES), min_size=len(gate.checks), max_size=len(gate.checks)
                )
            )
            views[gate_id] = gate_view(gate, minute, outcome, statuses)
    statuses = {v.status for v in views.values()}
    status = RunStatus.FAILED if GateStatus.FAILED in statuses else RunStatus.RUNNING
    if statuses == {GateStatus.PASSED}:
        status = RunStatus.PASSED
    return snap(spec, views, status)


def verification_lines(markdown: str) -> dict[str, str]:
    """Gate id -> its line in §8."""
    out = {}
    for line in section(markdown, 8).splitlines():
        match = re.match(r"- \*\*(G\d) [^*]*:\*\* (.*)$", line)
        if match:
            out[match.group(1)] = match.group(2)
    return out


def checks_text(statuses: list[str]) -> str:
    others = [
        f"{statuses.count(s)} {w}" for s, w in (("fail", "failed"), ("skip", "skipped")) if s in statuses
    ]
    return ", ".join([f"Checks: {statuses.count('pass')}/{len(statuses)} passed", *others])


@settings(max_examples=150, deadline=None)
@given(snapshot=runs())
def test_the_three_outputs_agree_on_every_gate_check_count_and_artifact(snapshot: RunSnapshot) -> None:
    files = render_outputs(snapshot)
    markdown, review, manifest = (
        files["prp.md"],
        json.loads(files["review.json"]),
        json.loads(files["run-manifest.json"]),
    )
    workflow = snapshot.spec.workflow
    status = {g: snapshot.gates[g].status for g in workflow.gate_ids}

    # gate statuses: the manifest's stage summaries, prp.md §5 and §8
    manifest_status = {}
    for stage in manifest["stages"]:
        for item in stage["summary"].split(", "):
            gate_id, value = item.split(":")
            manifest_status[gate_id] = value
        assert f"Status: {stage['status']} · Gates: {', '.join(stage['gate']['sourceGateIds'])}" in section(
            markdown, 5
        )
    assert manifest_status == {g: str(s) for g, s in status.items()}
    lines = verification_lines(markdown)
    verified = {g for g, s in status.items() if s in (GateStatus.PASSED, GateStatus.FAILED)}
    verified |= {  # a gate cut short by a cancel, with the checks it had
        g
        for g, v in snapshot.gates.items()
        if v.status == GateStatus.SKIPPED and v.record and v.record.result.automated_checks
    }
    assert set(lines) == verified

    _checks_and_findings_agree(snapshot, markdown, review, manifest, lines)
    _counts_and_artifacts_agree(snapshot, markdown, manifest)


def _passing_suite(workflow: Workflow, recorded: list[tuple[str, str]]) -> set[str]:
    """``{"tests"}`` when a test suite passed among ``recorded`` and the workflow has that category."""
    passed = any(n in SUITE_CHECKS and s == "pass" for n, s in recorded)
    return {"tests"} if passed and any(g.review_category == "tests" for g in workflow.gates) else set()


def _checks_and_findings_agree(
    snapshot: RunSnapshot,
    markdown: str,
    review: dict[str, Any],
    manifest: dict[str, Any],
    lines: dict[str, str],
) -> None:
    """Every check's outcome and the counts: manifest automatedChecks, §8, review findings, §9."""
    workflow = snapshot.spec.workflow
    status = {g: snapshot.gates[g].status for g in workflow.gate_ids}
    checks = {g: [] for g in workflow.gate_ids}
    for stage in manifest["stages"]:
        for entry in stage["gate"]["automatedChecks"]:
            checks[entry["id"].split("-check-")[0]].append((entry["name"], entry["status"]))
    required = required_checks(snapshot.spec.profile.profile)
    expected_findings, red, unverified_gates, suite_scored = {}, set(), set(), set()
    for gate_id in workflow.gate_ids:
        record = snapshot.gates[gate_id].record
        recorded = [(c.name, str(c.status)) for c in record.result.automated_checks] if record else []
        assert checks[gate_id] == recorded
        if gate_id in lines:
            assert lines[gate_id].startswith(
                f"{status[gate_id]} — {checks_text([s for _, s in recorded])} · "
            )
        if status[gate_id] not in EXECUTED:
            continue
        failed = [n for n, s in recorded if s == "fail"]
        suite_scored |= _passing_suite(workflow, recorded)  # scores it green when no gate did
        for name in failed:
            expected_findings[f"{gate_id}-{name}"] = "major" if name in required else "minor"
            suite = name in SUITE_CHECKS and any(g.review_category == "tests" for g in workflow.gates)
            suite_scored |= {"tests"} if suite else set()  # a failing test suite scores "tests" too
            if is_red(name, required):
                red |= {workflow.gate(gate_id).review_category} | ({"tests"} if suite else set())
        if not failed and status[gate_id] == GateStatus.FAILED:
            expected_findings[f"{gate_id}-decision"] = "major"
        for unverified in category_unverified(
            workflow.gate(gate_id), record.result.automated_checks if record else ()
        ):
            expected_findings[f"{gate_id}-{unverified.name}"] = "minor"  # G4 with no security report
            unverified_gates.add(gate_id)
    assert {f["id"]: f["severity"] for f in review["findings"]} == expected_findings
    executed = [g for g in workflow.gates if status[g.id] in EXECUTED]
    skipped_only = {  # passed with every check skipped: verified nothing, no score (but G4's security)
        g
        for g, found in checks.items()
        if {st for _, st in found} == {"skip"} and status[g] != "failed" and g not in unverified_gates
    }
    scored = [g for g in executed if g.id not in skipped_only]
    assert set(review["scores"]) == {g.review_category for g in scored} | suite_scored
    assert {c for c, s in review["scores"].items() if s == "red"} == red
    summary_json = section(markdown, 9).split("```json\n")[1].split("\n```")[0]
    assert json.loads(summary_json)["findings"] == [
        {k: v for k, v in f.items() if k != "evidence"} for f in review["findings"]
    ]
    assert section(markdown, 9).count("\n- **") == len(review["findings"])


def _counts_and_artifacts_agree(snapshot: RunSnapshot, markdown: str, manifest: dict[str, Any]) -> None:
    """Counts and the overall status in §12 and the manifest summary; artifacts stated once."""
    workflow = snapshot.spec.workflow
    status = {g: snapshot.gates[g].status for g in workflow.gate_ids}
    executed = [g for g in workflow.gates if status[g.id] in EXECUTED]
    twelve = section(markdown, 12)
    assert f"Gates executed: {len(executed)} of {len(workflow.gates)}" in twelve
    assert f"Evidence items: {len(snapshot.evidence())}" in twelve
    assert f"(summary status: {manifest['summary']['status']})" in twelve
    all_passed = set(status.values()) == {GateStatus.PASSED}
    assert (
        ("**Status:** ready-for-release" in markdown)
        == all_passed
        == (manifest["summary"]["status"] == "completed")
    )
    failed_stages = [s["key"] for s in manifest["stages"] if s["status"] == "failed"]
    assert manifest["summary"]["failedStageKeys"] == failed_stages
    _blockers_name_what_failed(manifest, status)

    names = artifact_names(snapshot)
    listed = re.findall(r"^- `([^`]+)`$", twelve, re.M)
    assert listed == names
    assert f"Gate artifacts: {len(names)}, listed in §12." in section(markdown, 6) if names else True
    for stage in manifest["stages"]:
        for deliverable in stage["handoff"]["requiredArtifacts"]:
            if deliverable["name"] in names:
                assert deliverable["status"] == "fulfilled"
            if deliverable["status"] == "fulfilled":
                assert deliverable["reference"] in names
            line = f"`{deliverable['name']}` — {deliverable['status']}"
            assert line in section(markdown, 5)


def _blockers_name_what_failed(manifest: dict[str, Any], status: dict[str, GateStatus]) -> None:
    by_stage = {b["stageKey"]: b for b in manifest["summary"]["blockers"]}
    for stage in manifest["stages"]:
        gates = stage["gate"]["sourceGateIds"]
        blocker = by_stage.get(stage["key"])
        if stage["status"] == "failed":
            assert blocker is not None and blocker["severity"] == "blocker"
            assert "blocked" not in blocker["message"]
            for gate_id in gates:
                assert (f"{gate_id} (" in blocker["message"]) == (status[gate_id] == GateStatus.FAILED)
        elif any(status[g] == GateStatus.SKIPPED for g in gates):
            assert blocker is not None and "blocked: dependency" in blocker["message"]
        else:
            assert blocker is None


def test_test_evidence_lines_state_the_summary_and_never_cut_a_json_value() -> None:
    spec = make_spec()
    gate = spec.workflow.gate("G4")
    items = ", ".join(f"src/m{i}.py:{i}:E501" for i in range(40))
    content = json.dumps({"status": "fail", "output": f"exit 1 in 2.31s\n45 ruff violations; first {items}"})
    checks = {c.name: check(c.name, CheckStatus.PASS) for c in gate.checks}
    evidence = check("x", sources=("g4-run-lint",)).evidence[0].model_copy(update={"content": content})
    checks["coverage-validation"] = check("coverage-validation", CheckStatus.FAIL).model_copy(
        update={"evidence": (evidence,)}
    )
    record = evaluate_gate(gate, checks, started_at=at(3), finished_at=at(3, 20))
    views = {g: GateView(gate_id=g, status=GateStatus.PENDING) for g in spec.workflow.gate_ids}
    views[gate.id] = GateView(gate_id=gate.id, status=record.result.status, record=record, checks=checks)
    markdown = render_outputs(snap(spec, views, RunStatus.FAILED))["prp.md"]
    [line] = [ln for ln in section(markdown, 7).splitlines() if "g4-run-lint" in ln]
    assert line.startswith(
        "- `g4-run-lint` (test): fail — exit 1 in 2.31s; 45 ruff violations; first src/m0.py:0:E501,"
    )
    assert line.endswith(" …") and '{"' not in line
    kept = line.removesuffix(" …").split()[-1].rstrip(",")
    assert re.fullmatch(r"src/m\d+\.py:\d+:E501", kept)  # the last item is whole


def test_a_test_evidence_line_keeps_a_whole_facts_line_with_its_coverage() -> None:
    """python-dateutil: §7 cut its test evidence at 240 characters, inside the failing test's
    cause, so prp.md showed no coverage figure at all."""
    first = "exit 1 in 95.20s (pytest 9.2.0, coverage 7.18.0, Python 3.11.7)"
    facts = "5344 tests: 5059 passed, 4 failed, 0 errors, 264 skipped; failing: tests/test_utils.py::x ("
    facts += "AssertionError: " + "x " * ((LINE_LIMIT - len(facts) - 60) // 2) + "…); coverage: lines 91.81%"
    assert len(facts) <= LINE_LIMIT
    summary = evidence_summary(json.dumps({"status": "fail", "output": f"{first}\n{facts}\nmore"}))
    assert summary == f"fail — {first}; {facts}"


def test_a_failing_test_suite_is_a_major_finding_and_scores_implementation_and_tests_red() -> None:
    spec = make_spec(builtin_workflow(PROFILE.profile), resolved=PROFILE)
    views = {g: GateView(gate_id=g, status=GateStatus.PENDING) for g in spec.workflow.gate_ids}
    for minute, gate_id in enumerate(("G0", "G1", "G2")):
        views[gate_id] = gate_view(spec.workflow.gate(gate_id), minute, "pass", [CheckStatus.PASS] * 3)
    g3 = spec.workflow.gate("G3")
    statuses = [CheckStatus.FAIL if c.name == "run-test" else CheckStatus.PASS for c in g3.checks]
    views["G3"] = gate_view(g3, 3, "fail", statuses)
    review = json.loads(render_outputs(snap(spec, views, RunStatus.FAILED))["review.json"])
    assert [(f["id"], f["severity"]) for f in review["findings"]] == [("G3-run-test", "major")]
    assert review["scores"]["implementation"] == "red"
    assert review["scores"]["tests"] == "red"  # G2's test plan passed; the tests did not (webcolors)
    markdown = render_outputs(snap(spec, views, RunStatus.FAILED))["prp.md"]
    assert "`tests`: G2 Test Plan, G3's failing `run-test`; " in section(markdown, 9)  # (Markdown)


def test_a_passing_test_suite_scores_tests_green_when_no_gate_did() -> None:
    """charset-normalizer: no coverage budget, so G2's test plan checked nothing; review.json had
    no ``tests`` score beside its 701 passing tests."""
    spec = make_spec(builtin_workflow(PROFILE.profile), resolved=PROFILE)
    views = {g: GateView(gate_id=g, status=GateStatus.PENDING) for g in spec.workflow.gate_ids}
    for minute, gate_id in enumerate(("G0", "G1")):
        views[gate_id] = gate_view(spec.workflow.gate(gate_id), minute, "pass", [CheckStatus.PASS] * 3)
    g2, g3 = spec.workflow.gate("G2"), spec.workflow.gate("G3")
    views["G2"] = gate_view(g2, 2, "pass", [CheckStatus.SKIP] * len(g2.checks))
    views["G3"] = gate_view(g3, 3, "pass", [CheckStatus.PASS] * len(g3.checks))
    outputs = render_outputs(snap(spec, views, RunStatus.RUNNING, finished_at=None))
    assert json.loads(outputs["review.json"])["scores"]["tests"] == "green"
    assert "`tests`: G2 Test Plan, G3's passing `run-test`" in section(outputs["prp.md"], 9)


def test_a_report_fulfilled_by_a_gates_report_names_the_checks_skipped_there() -> None:
    """G4's ``security-verification-report.md`` is fulfilled by ``verification-report.md`` (the
    contract's artifactMatch) also when its security check was skipped: §5's tick read as checked
    (texttable, parsimonious, validators: "no security report configured")."""
    spec = make_spec()
    views = {}
    for i, gate in enumerate(spec.workflow.gates):
        reason = "no security report configured"
        checks = {
            c.name: check(c.name, CheckStatus.SKIP, reason)
            if c.name == "security-validation"
            else check(c.name)
            for c in gate.checks
        }
        artifacts = ("verification-report.md",) if gate.id == "G4" else ()
        record = evaluate_gate(gate, checks, started_at=at(i), finished_at=at(i, 20), artifacts=artifacts)
        if record.result.status == GateStatus.AWAITING_APPROVAL:
            role = str(gate.approval.role) if gate.approval else None
            record = apply_decision(record, approval(gate.id, i, role=role))
        views[gate.id] = GateView(gate_id=gate.id, status=record.result.status, record=record, checks=checks)
    text = section(render_outputs(snap(spec, views))["prp.md"], 5)
    line = next(line for line in text.splitlines() if "security-verification-report.md" in line)
    assert line == (
        "- ✅ `security-verification-report.md` — fulfilled (`verification-report.md`; skipped there:"
        " security-validation (no security report configured))"
    )
    assert "skipped there" not in next(line for line in text.splitlines() if "feature.prp.md" in line)
