"""The review JSON (reference §4.3): a traffic-light score per gate category and the findings."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from typing import Any

from prp_tasks.core.models import CheckStatus, GateSpec, GateStatus
from prp_tasks.core.profile import EnforcementProfile
from prp_tasks.core.render.common import EXECUTED, known, trim, view_of
from prp_tasks.core.results import AutomatedCheck, Evidence, check_source
from prp_tasks.core.snapshot import GateView, RunSnapshot

SCHEMA = "com.cortex.review/v1"
#: Longest recommendation text taken from a check's output: its head, a whole facts line (up to
#: 300 characters) and a note after it (filelock's "unpinned: … ruff 0.17.6 ran; … pin a release"
#: advice, the cause of its 47 violations, had been cut at 500)
RECOMMENDATION_LIMIT = 800
_RANK = {"green": 0, "amber": 1, "red": 2}
#: most evidence pointers of one finding
MAX_REFS = 5
#: where a check's evidence is when its output named no file (its ``evidenceId`` there)
MANIFEST = "run-manifest.json"
#: G3's check of which required checks have a command; those without one ran nowhere
CONFIGURED_CHECK = "lint-and-types-configured"
#: the category a failing test suite scores too, besides its own gate's: G2's test plan had kept
#: "tests" green beside "implementation" red (webcolors' 4 failing tests)
TESTS_CATEGORY = "tests"
#: the test suite's checks: the required check ``test`` and the ``run-test`` G3 runs for it
SUITE_CHECKS = frozenset({"test", "run-test"})


def review_json(snapshot: RunSnapshot) -> dict[str, Any]:
    """Scores for every gate whose checks ran (not one whose checks all skipped, unless the check
    its category is named for was one of them), and one finding per failed check or decision (a
    gate cut short by a cancel counts when a check of it had failed, or its configuration check
    had said which required checks no command runs: mako's cancelled run said "review.json: a
    major finding" there while review.json had none). A run of a checkout with
    uncommitted changes names no commit in its evidence."""
    sha = known(snapshot.spec.repo.commit_sha)
    required = required_checks(snapshot.spec.profile.profile)
    unrun = unrun_checks(snapshot.spec.profile.profile)
    scores: dict[str, str] = {}
    findings: list[dict[str, Any]] = []
    for gate in snapshot.spec.workflow.gates:
        view = view_of(snapshot, gate.id)
        said_unrun = bool(unrun) and _passed(view, CONFIGURED_CHECK)  # (its output names the findings)
        if view.status not in EXECUTED and not _failed_checks(view) and not said_unrun:
            continue
        unverified_category = category_unverified(gate, _checks(view))  # G4 "security", no report
        if nothing_checked(view) and not unverified_category:
            continue
        score, gate_findings = _assess(gate, view, sha, required)
        if unverified_category:
            score = max(score, "amber", key=_RANK.__getitem__)
            gate_findings += [_skipped_finding(gate, view, c, sha) for c in unverified_category]
        if said_unrun:  # nothing verified them: not green
            score = max(score, "amber", key=_RANK.__getitem__)
            gate_findings += [_unrun_finding(gate, view, name, sha) for name in unrun]
        _raise(scores, gate.review_category, score)
        suite = _suite_score(view, required)
        if suite and any(g.review_category == TESTS_CATEGORY for g in snapshot.spec.workflow.gates):
            _raise(scores, TESTS_CATEGORY, suite)
        findings.extend(gate_findings)
    if TESTS_CATEGORY not in scores and passed_suites(snapshot):
        scores[TESTS_CATEGORY] = "green"  # charset-normalizer: G2 checked nothing, no tests score
    if snapshot.spec.repo.dirty:  # the checks ran on uncommitted changes: no commit gave these results
        for ref in (r for f in findings for r in f["evidence"]):
            ref.pop("sha", None)
    return {
        "schema": SCHEMA,
        "runId": snapshot.run_id,
        "generatedAt": snapshot.finished_at,
        "scores": scores,
        "findings": findings,
    }


def _raise(scores: dict[str, str], category: str, score: str) -> None:
    """The category's score, raised to ``score`` when that is worse."""
    scores[category] = max(scores.get(category, "green"), score, key=_RANK.__getitem__)


def passed_suites(snapshot: RunSnapshot) -> list[tuple[str, str]]:
    """(gate id, check) of the test suites that passed, when the workflow has a ``tests``
    category: they score it green when no gate did (G2's test plan checks nothing without a
    coverage budget; review.json had no tests score beside 701 passing tests)."""
    gates = snapshot.spec.workflow.gates
    if not any(g.review_category == TESTS_CATEGORY for g in gates):
        return []
    views = [view_of(snapshot, g.id) for g in gates]
    return [
        (v.gate_id, n) for v in views if v.status in EXECUTED for n in sorted(SUITE_CHECKS) if _passed(v, n)
    ]


def _suite_score(view: GateView, required: frozenset[str]) -> str | None:
    """What the gate's failed test suite scores the tests category (None when none failed)."""
    failed = [c for c in _failed_checks(view) if c.name in SUITE_CHECKS]
    if not failed:
        return None
    return "red" if any(is_red(c.name, required) for c in failed) else "amber"


def required_checks(profile: EnforcementProfile) -> frozenset[str]:
    """Names of the profile's required checks as checks run them: ``lint`` and G3's ``run-lint``."""
    return frozenset(n for name in profile.governance.checks for n in (name, f"run-{name}"))


def unrun_checks(profile: EnforcementProfile) -> tuple[str, ...]:
    """The required checks no command runs (``governance.checks`` without ``governance.commands``)."""
    governance = profile.governance
    return tuple(name for name in governance.checks if name not in governance.commands)


def unverified(snapshot: RunSnapshot) -> tuple[str, ...]:
    """The required checks no command runs, in a run whose configuration check passed: the review
    has a major finding for each (the checks' gate passes without them)."""
    unrun = unrun_checks(snapshot.spec.profile.profile)
    gates = snapshot.spec.workflow.gates
    return unrun if unrun and any(_passed(view_of(snapshot, g.id), CONFIGURED_CHECK) for g in gates) else ()


def severity(check_name: str, required: Collection[str] = frozenset()) -> str:
    """``blocker`` when the check's name says so; ``major`` when it says so or the check is a
    required check (a failing test suite, lint or type check); else ``minor``."""
    name = check_name.lower()
    if "blocker" in name:
        return "blocker"
    return "major" if "major" in name or check_name in required else "minor"


def is_red(check_name: str, required: Collection[str] = frozenset()) -> bool:
    """A failed check scores red when it is a blocker or a required check; other failures amber."""
    return "blocker" in check_name.lower() or check_name in required


def _assess(
    gate: GateSpec, view: GateView, sha: str | None, required: frozenset[str]
) -> tuple[str, list[dict[str, Any]]]:
    failed = _failed_checks(view)
    if failed:
        red = any(is_red(c.name, required) for c in failed)
        findings = [_check_finding(gate, view, c, sha, required) for c in failed]
        return ("red" if red else "amber"), findings
    if view.status == GateStatus.FAILED:
        return "amber", [_decision_finding(gate, view)]
    return "green", []


def category_unverified(gate: GateSpec, checks: Sequence[AutomatedCheck]) -> list[AutomatedCheck]:
    """The skipped checks named for the gate's review category: G4 (``security``) with no security
    report passed on its coverage and scored "security: green"; with its other checks skipped too,
    it had no score and no finding, a cleaner review for less verified."""
    word = gate.review_category.lower()
    return [c for c in checks if c.status == CheckStatus.SKIP and word in re.split(r"[-_ .]", c.name.lower())]


def _checks(view: GateView) -> tuple[AutomatedCheck, ...]:
    return view.record.result.automated_checks if view.record is not None else ()


def _skipped_finding(
    gate: GateSpec, view: GateView, check: AutomatedCheck, sha: str | None
) -> dict[str, Any]:
    why = (check.output or "").strip()
    return {
        "id": f"{gate.id}-{check.name}",
        "severity": "minor",
        "evidence": _check_evidence(gate.id, check.name, view, sha),
        "recommendation": trim(
            f"{check.name} was skipped, so nothing verified {gate.review_category}"
            + (f": {why}" if why else ""),
            RECOMMENDATION_LIMIT,
        ),
    }


def nothing_checked(view: GateView) -> bool:
    """A gate that passed with every check skipped (natsort's G2: no test plan to read) verified
    nothing: it gets no score, rather than a green one."""
    checks = view.record.result.automated_checks if view.record is not None else ()
    skipped = bool(checks) and all(c.status == CheckStatus.SKIP for c in checks)
    return skipped and view.status != GateStatus.FAILED


def _failed_checks(view: GateView) -> list[AutomatedCheck]:
    checks = view.record.result.automated_checks if view.record is not None else ()
    return [c for c in checks if c.status == CheckStatus.FAIL]


def _passed(view: GateView, check_name: str) -> bool:
    result = view.checks.get(check_name)
    return result is not None and result.status == CheckStatus.PASS


def _unrun_finding(gate: GateSpec, view: GateView, name: str, sha: str | None) -> dict[str, Any]:
    """A required check that no command runs: nothing verified it (the id a failing run would have);
    the evidence is the configuration check's, which says so."""
    return {
        "id": f"{gate.id}-run-{name}",
        "severity": "major",
        "evidence": _check_evidence(gate.id, CONFIGURED_CHECK, view, sha),
        "recommendation": (
            f"No command runs the required check {name!r}, so nothing verified it: add one under "
            f"governance.commands in initial.md, or remove {name!r} from governance.checks"
        ),
    }


def _check_finding(
    gate: GateSpec, view: GateView, check: AutomatedCheck, sha: str | None, required: frozenset[str]
) -> dict[str, Any]:
    output = (check.output or "").strip()
    if not output and check.name in view.checks:
        output = view.checks[check.name].output.strip()
    return {
        "id": f"{gate.id}-{check.name}",
        "severity": severity(check.name, required),
        "evidence": _check_evidence(gate.id, check.name, view, sha),
        "recommendation": trim(output, RECOMMENDATION_LIMIT)
        if output
        else f"Fix {check.name} in {gate.display_name}",
    }


def _check_evidence(gate_id: str, check_name: str, view: GateView, sha: str | None) -> list[dict[str, str]]:
    """Where to look: the files (and lines) the check's tool named, or the file the check read;
    for a command whose output named none, the check's evidence in the run manifest."""
    result = view.checks.get(check_name)
    refs: list[dict[str, str]] = []
    for evidence in result.evidence if result is not None else ():
        for ref in _evidence_refs(gate_id, check_name, evidence, known(evidence.commit_sha) or sha):
            if ref not in refs:
                refs.append(ref)
    return refs[:MAX_REFS] or [_manifest_ref(gate_id)]


def _evidence_refs(
    gate_id: str, check_name: str, evidence: Evidence, sha: str | None
) -> list[dict[str, str]]:
    if evidence.source != check_source(gate_id, check_name):  # a file the check read (a report)
        ref = _ref(evidence.source, sha)
        return [ref | {"lines": evidence.line_range} if evidence.line_range else ref]
    named = [_ref(path, sha) | ({"lines": line} if line else {}) for path, line in named_locations(evidence)]
    return named or [_manifest_ref(gate_id, evidence.id)]


def named_locations(evidence: Evidence) -> list[tuple[str, str]]:
    """(repository path, line or '') of what the tool's facts name first: failing tests
    (``tests/test_x.py::test_y``), lint and type errors (``src/x.py:12:E501``), files to reformat;
    where a crashed tool's traceback left the repository's code (``crashed_at``) or where a run
    that ran out of time was interrupted (``interrupted_at``)."""
    try:
        content = json.loads(evidence.content)
        facts = content.get("facts")
    except (ValueError, AttributeError):
        return []
    found: list[tuple[str, str]] = []
    # where a crashed tool's traceback left the repository's code (its SyntaxError's line)
    named = [{"failing_at": (content.get("crashed_at") or []) + (content.get("interrupted_at") or [])}]
    for tool in [*(facts.values() if isinstance(facts, dict) else ()), *named]:
        keys = ("failing_at", "failing", "first", "unparsed")  # (where a failing test raised, then its file)
        items = [i for k in keys for i in tool.get(k, ())] if isinstance(tool, dict) else []
        for item in items:
            match = _LOCATION.match(item) if isinstance(item, str) else None
            path = match["path"].removeprefix("./") if match else ""
            if match and _in_repository(path):
                found.append((path, match["line"] or ""))
    lined = {path for path, line in found if line}
    return list(dict.fromkeys((path, line) for path, line in found if line or path not in lined))


#: a path, then ``:line`` or ``::test`` or nothing (a file mypy, a linter or pytest named)
_LOCATION = re.compile(r"(?P<path>[^\s:][^:]*?)(?::(?P<line>\d+))?(?::|$)")
#: a file name with an extension (``setup.py``), not a dotted module or test name
_FILE_NAME = re.compile(r"[^./\s][^/\s]*\.[A-Za-z0-9]{1,8}")


def _in_repository(path: str) -> bool:
    """A relative path inside the checkout naming a file (``pkg.tests.TestX.test_y`` does not, nor
    a module unittest could not import, pytimeparse's ``pytimeparse.tests``: a file at the top has
    an extension files have)."""
    parts = path.split("/")
    if path.startswith("/") or ".." in parts or not _FILE_NAME.fullmatch(parts[-1]):
        return False
    return len(parts) > 1 or parts[-1].rpartition(".")[2].lower() in _EXTENSIONS


#: what a file at the checkout's top that a tool names ends in (``setup.py``, ``README.rst``)
_EXTENSIONS = frozenset(
    {"py", "pyi", "pyx", "pxd", "rst", "md", "txt", "toml", "cfg", "ini", "yml", "yaml", "json", "c", "h",
     "cpp", "js", "ts", "html", "css", "in", "sh", "ipynb", "xml", "lock"}
)  # fmt: skip


def _decision_finding(gate: GateSpec, view: GateView) -> dict[str, Any]:
    result = view.record.result if view.record is not None else None
    approval = result.human_approval if result is not None else None
    reason = (result.reason if result is not None else None) or f"{gate.display_name} failed"
    if approval is not None and approval.rationale.strip():
        reason = f"{reason}: {approval.rationale.strip()}"
    return {
        "id": f"{gate.id}-decision",
        "severity": "major",
        "evidence": [_manifest_ref(gate.id)],  # its stage's approvals and blockers
        "recommendation": trim(reason, RECOMMENDATION_LIMIT),
    }


def _manifest_ref(gate_id: str, evidence_id: str = "") -> dict[str, str]:
    """Where the run manifest has it: the gate's stage (``sourceGateIds``), and the evidence's id
    in its ``automatedChecks`` when there is one."""
    return {"path": MANIFEST, "gateId": gate_id} | ({"evidenceId": evidence_id} if evidence_id else {})


def _ref(path: str, sha: str | None) -> dict[str, str]:
    """An evidence pointer; the sha is left out when it is not known."""
    return {"path": path, "sha": sha} if sha is not None else {"path": path}
