"""Unit tests of review.json: scores, findings, severities and evidence."""

from __future__ import annotations

import json

from prp_tasks.core.evaluate import cut_short, evaluate_gate, failed_record, skipped_record
from prp_tasks.core.models import CheckStatus, GateStatus, Phase, Workflow
from prp_tasks.core.render import render_outputs, review_json
from prp_tasks.core.render.common import trim
from prp_tasks.core.render.review import RECOMMENDATION_LIMIT
from prp_tasks.core.results import Decision, Evidence
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import GateView
from tests.unit.render_builders import (
    FINISHED,
    SHA,
    all_commanded,
    all_passed,
    approval,
    at,
    check,
    custom_gate,
    make_spec,
    passed_views,
    pending,
    record,
    run_gate,
    section,
    skipped,
    snap,
    with_gates,
)

# review.json -----------------------------------------------------------------------------------


def test_review_scores_every_executed_gate_by_its_category() -> None:
    snapshot = all_commanded()
    workflow = snapshot.spec.workflow
    snapshot = with_gates(
        snapshot,
        RunStatus.AWAITING_APPROVAL,
        G5=run_gate(workflow.gate("G5"), 5),
        G6=pending(workflow.gate("G6")),
        G7=skipped(workflow.gate("G7"), 7),
    )
    review = review_json(snapshot)
    assert review["schema"] == "com.cortex.review/v1"
    assert review["runId"] == "run-test-1" and review["generatedAt"] == FINISHED
    assert review["scores"] == {
        "planning": "green",
        "design": "green",
        "tests": "green",
        "implementation": "green",
        "security": "green",
        "review": "green",
    }
    assert review["findings"] == []


def test_review_is_red_for_a_blocker_check_amber_for_another_failure_green_otherwise() -> None:
    gates = (
        custom_gate("lint", ["style-blocker", "format"]),
        custom_gate("unit", ["major-regressions", "flaky"], category="tests"),
        custom_gate("docs", ["spelling"]),
    )
    spec = make_spec(Workflow(name="custom", gates=gates))
    views = {
        "lint": run_gate(gates[0], 0, fail=["style-blocker", "format"]),
        "unit": run_gate(gates[1], 1, fail=["major-regressions"]),
        "docs": run_gate(gates[2], 2),
    }
    review = review_json(snap(spec, views, RunStatus.FAILED))
    assert review["scores"] == {"lint": "red", "tests": "amber", "docs": "green"}
    severities = {f["id"]: f["severity"] for f in review["findings"]}
    assert severities == {
        "lint-style-blocker": "blocker",
        "lint-format": "minor",
        "unit-major-regressions": "major",
    }


def test_gates_sharing_a_category_get_the_worst_score() -> None:
    gates = (custom_gate("a", ["x"], category="qa"), custom_gate("b", ["y"], category="qa"))
    spec = make_spec(Workflow(name="custom", gates=gates))
    views = {"a": run_gate(gates[0], 0, fail=["x"]), "b": run_gate(gates[1], 1)}
    assert review_json(snap(spec, views, RunStatus.FAILED))["scores"] == {"qa": "amber"}


def test_finding_evidence_points_at_the_check_evidence_and_the_commit() -> None:
    snapshot = all_commanded()
    g4 = run_gate(
        snapshot.spec.workflow.gate("G4"),
        4,
        fail=["coverage-validation", "security-validation"],
        sources={"coverage-validation": ["coverage.xml", "coverage.xml", "htmlcov/index.html"]},
    )
    findings = review_json(with_gates(snapshot, RunStatus.FAILED, G4=g4))["findings"]
    assert findings[0]["evidence"] == [
        {"path": "coverage.xml", "sha": SHA},
        {"path": "htmlcov/index.html", "sha": SHA},
    ]
    assert findings[1]["evidence"] == [{"path": "run-manifest.json", "gateId": "G4"}]  # (no evidence)
    assert "lines" not in json.dumps(findings) and "unknown" not in json.dumps(findings)


def test_finding_evidence_omits_an_unknown_sha() -> None:
    spec = make_spec(commit_sha="unknown")
    views = passed_views(spec.workflow)
    views["G0"] = run_gate(spec.workflow.gate("G0"), 0, fail=["policy-quick-check"])
    finding = review_json(snap(spec, views, RunStatus.FAILED))["findings"][0]
    assert finding["evidence"] == [{"path": "run-manifest.json", "gateId": "G0"}]


def test_finding_evidence_names_no_commit_when_the_checks_ran_on_uncommitted_changes() -> None:
    """semver with an uncommitted edit: 10 tests failed that pass at its HEAD commit, and the
    finding's evidence named that commit."""
    spec = make_spec()
    spec = spec.model_copy(update={"repo": spec.repo.model_copy(update={"dirty": True})})
    views = passed_views(spec.workflow)
    views["G0"] = run_gate(
        spec.workflow.gate("G0"), 0, fail=["policy-quick-check"], sources={"policy-quick-check": ["x.py"]}
    )
    findings = review_json(snap(spec, views, RunStatus.FAILED))["findings"]
    assert findings and all("sha" not in ref for f in findings for ref in f["evidence"])
    assert findings[0]["evidence"][0]["path"] == "x.py"


def test_recommendation_is_the_trimmed_check_output_or_a_fix_hint() -> None:
    snapshot = all_passed()
    g2 = run_gate(
        snapshot.spec.workflow.gate("G2"),
        2,
        fail=["coverage-targets", "perf-a11y-budgets"],
        outputs={"coverage-targets": "  " + "x" * 900 + "  "},
    )
    result = record(g2).result
    silent = tuple(
        c.model_copy(update={"output": None}) if c.name == "perf-a11y-budgets" else c
        for c in result.automated_checks
    )
    result = result.model_copy(update={"automated_checks": silent})
    g2_record = record(g2).model_copy(update={"result": result})
    g2 = g2.model_copy(update={"record": g2_record, "checks": {}})
    findings = review_json(with_gates(snapshot, RunStatus.FAILED, G2=g2))["findings"]
    assert len(findings[0]["recommendation"]) == RECOMMENDATION_LIMIT
    assert findings[0]["recommendation"].startswith("xxx")
    assert findings[1]["recommendation"] == "Fix perf-a11y-budgets in Test Plan"


def test_a_rejected_approval_scores_amber_with_a_decision_finding() -> None:
    snapshot = all_commanded()
    reject = approval(
        "G1",
        1,
        decision=Decision.REJECTED,
        actor="dave",
        role="architect",
        rationale="Boundaries unclear",
    )
    g1 = run_gate(snapshot.spec.workflow.gate("G1"), 1, decide=reject)
    review = review_json(with_gates(snapshot, RunStatus.FAILED, G1=g1))
    assert review["scores"]["design"] == "amber"
    assert review["findings"] == [
        {
            "id": "G1-decision",
            "severity": "major",
            "evidence": [{"path": "run-manifest.json", "gateId": "G1"}],
            "recommendation": "rejected by dave (architect): Boundaries unclear",
        }
    ]


def test_a_gate_failed_without_checks_gets_a_decision_finding_with_its_reason() -> None:
    snapshot = all_commanded()
    gate = snapshot.spec.workflow.gate("G5")
    expired = failed_record(gate, "approval timed out after 86400 s", at(5), at(6))
    g5 = GateView(gate_id="G5", status=GateStatus.FAILED, record=expired)
    review = review_json(with_gates(snapshot, RunStatus.FAILED, G5=g5))
    assert review["scores"]["review"] == "amber"
    assert review["findings"] == [
        {
            "id": "G5-decision",
            "severity": "major",
            "evidence": [{"path": "run-manifest.json", "gateId": "G5"}],
            "recommendation": "approval timed out after 86400 s",
        }
    ]


def test_finding_evidence_keeps_a_known_line_range_and_evidence_commit() -> None:
    snapshot = all_passed()
    g3 = run_gate(snapshot.spec.workflow.gate("G3"), 3, fail=["codeowners-present"])
    evidence = Evidence(
        id="ev-owners",
        type="file",
        source="CODEOWNERS",
        content="{}",
        timestamp=at(3),
        phase=Phase.BUILD,
        commit_sha="f" * 40,
        line_range="1-4",
    )
    checks = dict(g3.checks)
    checks["codeowners-present"] = checks["codeowners-present"].model_copy(update={"evidence": (evidence,)})
    g3 = g3.model_copy(update={"checks": checks})
    finding = review_json(with_gates(snapshot, RunStatus.FAILED, G3=g3))["findings"][0]
    assert finding["evidence"] == [{"path": "CODEOWNERS", "sha": "f" * 40, "lines": "1-4"}]


def test_required_checks_no_command_runs_are_findings_not_green() -> None:
    # tomli's sdist has no tests: G3 passed with a note and the review said "implementation: green"
    review = review_json(all_passed())  # the default profile configures no command
    assert review["scores"]["implementation"] == "amber"
    assert [(f["id"], f["severity"]) for f in review["findings"]] == [
        ("G3-run-test", "major"),
        ("G3-run-lint", "major"),
        ("G3-run-type-check", "major"),
    ]
    finding = review["findings"][2]
    assert finding["evidence"] == [{"path": "run-manifest.json", "gateId": "G3"}]
    assert finding["recommendation"].startswith("No command runs the required check 'type-check'")
    commanded = review_json(all_commanded())
    assert commanded["scores"]["implementation"] == "green" and commanded["findings"] == []


def test_a_gate_cut_short_by_a_cancel_is_scored_only_for_a_check_that_had_failed() -> None:
    """A cancel settles running gates as skipped: one whose finished checks all passed has no
    score (it never finished), one with a failed check keeps that finding."""
    gates = (custom_gate("lint", ["style", "slow"]), custom_gate("unit", ["pytest", "slow"]))
    spec = make_spec(Workflow(name="custom", gates=gates))
    views = {}
    for gate, status in zip(gates, (CheckStatus.FAIL, CheckStatus.PASS), strict=True):
        done = {gate.checks[0].name: check(gate.checks[0].name, status, "E501 line too long")}
        cut = cut_short(gate, skipped_record(gate, "cancelled", at(1)), at(0), done)
        views[gate.id] = GateView(gate_id=gate.id, status=GateStatus.SKIPPED, record=cut, checks=done)
    review = review_json(snap(spec, views, RunStatus.CANCELLED))
    assert review["scores"] == {"lint": "amber"}
    assert [f["id"] for f in review["findings"]] == ["lint-style"]
    # mako: G3's configuration check said "review.json: a major finding" of the required check no
    # command runs, and the cancelled run's review.json had none
    done = all_passed()
    g3 = done.spec.workflow.gate("G3")
    finished = {n: c for n, c in done.gates["G3"].checks.items() if n == "lint-and-types-configured"}
    cut = cut_short(g3, skipped_record(g3, "cancelled", at(3)), at(3), finished)
    view = GateView(gate_id="G3", status=GateStatus.SKIPPED, record=cut, checks=finished)
    cancelled = review_json(with_gates(done, RunStatus.CANCELLED, G3=view))
    assert [f["id"] for f in cancelled["findings"]] == ["G3-run-test", "G3-run-lint", "G3-run-type-check"]


def test_a_gate_whose_checks_all_skipped_verified_nothing_and_gets_no_score() -> None:
    """natsort's G2 (category tests) skipped its three checks: "tests: green" said more than it
    checked, while G3's test run had 59 errors."""
    gates = (custom_gate("plan", ["a", "b"], category="tests"), custom_gate("code", ["lint"]))
    spec = make_spec(Workflow(name="custom", gates=gates))
    skipped_checks = {c.name: check(c.name, CheckStatus.SKIP, "nothing to read") for c in gates[0].checks}
    record = evaluate_gate(gates[0], skipped_checks, started_at=at(0), finished_at=at(1))
    views = {
        "plan": GateView(gate_id="plan", status=record.result.status, record=record, checks=skipped_checks),
        "code": run_gate(gates[1], 2),
    }
    assert review_json(snap(spec, views, RunStatus.PASSED))["scores"] == {"code": "green"}


def test_a_ready_for_release_status_names_the_required_checks_nothing_ran() -> None:
    """retrying's sdist: "ready-for-release" while no command ran its test, lint or type check
    (three major findings only §9 and §13 named); the status stays the contract's word."""
    status = next(
        line for line in render_outputs(all_passed())["prp.md"].splitlines() if "**Status:**" in line
    )
    assert status == (
        "- **Status:** ready-for-release"
        " (not verified: test, lint, type-check; no command runs them, see §13)"
    )
    commanded = render_outputs(all_commanded())["prp.md"]
    assert "- **Status:** ready-for-release\n" in commanded and "not verified" not in commanded


def test_a_long_recommendation_is_cut_at_a_line_or_a_space_never_in_a_word() -> None:
    """schema's unpinned-ruff advice ended "…written f…" in review.json."""
    advice = "128 ruff violations; first schema/__init__.py:7:UP035\n" + "rules that were written for " * 30
    cut = trim(advice, RECOMMENDATION_LIMIT)
    assert cut == "128 ruff violations; first schema/__init__.py:7:UP035\n…"
    one_line = trim(advice.replace("\n", " "), 100)
    assert (
        len(one_line) <= 100
        and one_line.endswith(" …")
        and one_line[:-2].endswith(("for", "written", "were"))
    )


def test_a_recommendation_keeps_the_note_after_a_whole_facts_line() -> None:
    """filelock: "47 ruff violations; first …" filled 300 characters and the "unpinned: … ruff
    0.17.6 ran; … pin a release" advice after it, the cause of the violations, was cut."""
    facts = "47 ruff violations; first " + ", ".join(
        f"tests/test_a.py:{n}:ASYNC401" for n in range(1000, 1010)
    )
    note = "unpinned: environment.packages names ruff without a version, so ruff 0.17.6 ran; " + "x " * 100
    output = f"exit 1 in 0.19s (ruff 0.17.6, Python 3.11.7)\n{facts[:300]}\n{note.strip()}"
    assert trim(output, RECOMMENDATION_LIMIT) == output


def _command_evidence(gate_id: str, name: str, facts: dict[str, object] | None) -> Evidence:
    content = {"status": "fail", "output": "exit 1"} | ({"facts": facts} if facts is not None else {})
    return Evidence(
        id=f"ev-{name}",
        type="test",
        source=f"{gate_id.lower()}-{name}",  # a command check's evidence source (no file)
        content=json.dumps(content),
        timestamp=at(3),
        phase=Phase.BUILD,
        commit_sha=SHA,
    )


def test_finding_evidence_names_the_files_and_lines_the_tool_reported() -> None:
    """The demo with a type error, a lint error and a failing test: every finding's evidence was
    ``{"path": "g3-run-type-check"}``, a name of no file of the repository or of the run."""
    snapshot = all_commanded()
    g3 = run_gate(snapshot.spec.workflow.gate("G3"), 3, fail=["run-test", "run-lint", "run-type-check"])
    facts = {
        "run-test": {
            "pytest": {
                "failed": 1,
                # (pytimeparse: ``pytimeparse.tests``, a module unittest could not import, is no file)
                "failing": ["tests/test_slugs.py::test_fails", "pkg.tests.T.test_x", "pytimeparse.tests"],
                "failing_at": ["tests/test_slugs.py:42"],  # where it raised: the line, the file once
            }
        },
        "run-lint": {"ruff": {"violations": 2, "first": ["src/demo/slugs.py:33:F401", "/usr/lib/x.py:1:E1"]}},
        "run-type-check": {
            "mypy": {"errors": 1, "first": ["src/demo/slugs.py:34: [return-value] Bad", "setup.py: x"]}
        },
    }
    checks = {
        name: result.model_copy(update={"evidence": (_command_evidence("G3", name, facts.get(name)),)})
        for name, result in g3.checks.items()
    }
    failed = with_gates(snapshot, RunStatus.FAILED, G3=g3.model_copy(update={"checks": checks}))
    review = review_json(failed)
    evidence = {f["id"]: f["evidence"] for f in review["findings"]}
    # prp.md's key findings say where too (§9's JSON leaves the evidence out: werkzeug's failing
    # test and syntax error were named there, their file and line only in review.json)
    key = section(render_outputs(failed)["prp.md"], 9).split("**Key Findings:**")[1]
    assert "`G3-run-test`: run-test: ok (at `tests/test_slugs.py:42`)" in key
    assert "`G3-run-type-check`: run-type-check: ok (at `src/demo/slugs.py:34`)" in key  # setup.py: no line
    assert evidence == {
        "G3-run-test": [{"path": "tests/test_slugs.py", "sha": SHA, "lines": "42"}],
        "G3-run-lint": [{"path": "src/demo/slugs.py", "sha": SHA, "lines": "33"}],
        "G3-run-type-check": [
            {"path": "src/demo/slugs.py", "sha": SHA, "lines": "34"},
            {"path": "setup.py", "sha": SHA},
        ],
    }


def test_finding_evidence_of_a_crashed_tool_is_where_it_left_the_repositorys_code() -> None:
    """simplejson's misplaced ``from __future__``: its test runner crashed with a SyntaxError and
    the finding pointed at the run manifest; the evidence names ``simplejson/encoder.py`` line 4."""
    snapshot = all_commanded()
    g3 = run_gate(snapshot.spec.workflow.gate("G3"), 3, fail=["run-test"])
    evidence = _command_evidence("G3", "run-test", None)
    content = json.loads(evidence.content) | {"crashed_at": ["simplejson/encoder.py:4"]}
    evidence = evidence.model_copy(update={"content": json.dumps(content)})
    checks = dict(g3.checks)
    checks["run-test"] = checks["run-test"].model_copy(update={"evidence": (evidence,)})
    review = review_json(with_gates(snapshot, RunStatus.FAILED, G3=g3.model_copy(update={"checks": checks})))
    assert review["findings"][0]["evidence"] == [{"path": "simplejson/encoder.py", "sha": SHA, "lines": "4"}]
    # a run out of time: where the interrupt found it (a test waiting for a service)
    content = json.loads(evidence.content) | {"crashed_at": [], "interrupted_at": ["tests/test_db.py:45"]}
    evidence = evidence.model_copy(update={"content": json.dumps(content)})
    checks["run-test"] = checks["run-test"].model_copy(update={"evidence": (evidence,)})
    review = review_json(with_gates(snapshot, RunStatus.FAILED, G3=g3.model_copy(update={"checks": checks})))
    assert review["findings"][0]["evidence"] == [{"path": "tests/test_db.py", "sha": SHA, "lines": "45"}]


def test_finding_evidence_of_output_naming_no_file_is_the_checks_evidence_in_the_manifest() -> None:
    snapshot = all_commanded()
    g3 = run_gate(snapshot.spec.workflow.gate("G3"), 3, fail=["run-test"])
    checks = dict(g3.checks)
    checks["run-test"] = checks["run-test"].model_copy(
        update={"evidence": (_command_evidence("G3", "run-test", None),)}
    )
    review = review_json(with_gates(snapshot, RunStatus.FAILED, G3=g3.model_copy(update={"checks": checks})))
    assert review["findings"][0]["evidence"] == [
        {"path": "run-manifest.json", "gateId": "G3", "evidenceId": "ev-run-test"}
    ]


def test_a_skipped_check_named_for_the_category_leaves_it_amber_with_a_finding() -> None:
    """G4 (category security) with no security report: its coverage check passed, its
    security-validation skipped, and review.json said "security: green"."""
    snapshot = all_commanded()
    g4 = snapshot.spec.workflow.gate("G4")
    results = {c.name: check(c.name) for c in g4.checks}
    skipped_why = "no security report configured (reports.security)"
    results["security-validation"] = check("security-validation", CheckStatus.SKIP, skipped_why)
    done = evaluate_gate(g4, results, started_at=at(4), finished_at=at(4, 20))
    view = GateView(gate_id="G4", status=done.result.status, record=done, checks=results)
    review = review_json(with_gates(snapshot, RunStatus.PASSED, G4=view))
    assert review["scores"]["security"] == "amber"
    assert [(f["id"], f["severity"], f["recommendation"]) for f in review["findings"]] == [
        (
            "G4-security-validation",
            "minor",
            f"security-validation was skipped, so nothing verified security: {skipped_why}",
        )
    ]
    others = {k: v for k, v in review["scores"].items() if k != "security"}
    assert set(others.values()) == {"green"}
    # pluggy's profile, no coverage budget either: every G4 check skipped, and no score or finding
    results = {c.name: check(c.name, CheckStatus.SKIP, skipped_why) for c in g4.checks}
    done = evaluate_gate(g4, results, started_at=at(4), finished_at=at(4, 20))
    view = GateView(gate_id="G4", status=done.result.status, record=done, checks=results)
    review = review_json(with_gates(snapshot, RunStatus.PASSED, G4=view))
    assert review["scores"]["security"] == "amber"
    assert [f["id"] for f in review["findings"]] == ["G4-security-validation"]


def test_a_key_finding_says_its_other_places_are_in_review_json() -> None:
    """netaddr: "(at `docs/source/conf.py:14`, …, and 1 more)" beside 27 violations read as four
    places in all."""
    from prp_tasks.core.render.prp_sections import _at

    evidence = [{"path": f"a{n}.py", "lines": "1"} for n in range(5)]
    assert _at({"evidence": evidence}) == " (at `a0.py:1`, `a1.py:1`, `a2.py:1`, and 2 more in review.json)"


def test_a_key_finding_says_the_facts_line_and_closes_what_its_cut_left_open() -> None:
    """jedi: §9 said "4037 tests: 3961 passed, 2 failed, …; failing: … (at …)", its failing tests'
    names cut away behind the command's exit line; frozendict's "(SyntaxError: …, at … (at …)"
    left a parenthesis open."""
    from prp_tasks.core.render.prp_sections import _key_text

    names = ", ".join(f"test/test_api/test_completion.py::test_complete_{i}" for i in range(2))
    facts = f"4037 tests: 3961 passed, 2 failed, 0 errors, 69 skipped, 5 xfailed; failing: {names}"
    text = _key_text(f"exit 1 in 302.11s (pytest 9.2.0, coverage 7.18.0, Python 3.11.7)\n{facts}\ntail")
    assert text.startswith(facts)
    cut = _key_text(
        "0 tests: 4 errors; failing: test/test_freeze.py (SyntaxError: invalid syntax, " + "x " * 200
    )
    assert cut.endswith("…)") and cut.count("(") == cut.count(")")
    assert _key_text("run-test: ok") == "run-test: ok"
