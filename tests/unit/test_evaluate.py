"""Gate evaluation (``prp_tasks.core.evaluate``): statuses, next steps, decisions, timestamps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from prp_tasks.core.evaluate import (
    apply_decision,
    cut_short,
    elapsed_ms,
    evaluate_gate,
    failed_record,
    parse_ts,
    skipped_record,
    utc_now,
)
from prp_tasks.core.models import ApprovalSpec, CheckSpec, CheckStatus, GateSpec, GateStatus, Role
from prp_tasks.core.results import CheckResult, Decision, Evidence, GateRecord, HumanApproval

START = "2026-03-01T10:00:00.000Z"
END = "2026-03-01T10:00:02.500Z"
PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP


def gate(*names: str, role: Role | None = None) -> GateSpec:
    return GateSpec(
        id="G9",
        name="Nine",
        queue="automated",
        checks=tuple(CheckSpec(name=n, builtin=n) for n in names),
        approval=ApprovalSpec(role=role) if role else None,
    )


def result(name: str, status: CheckStatus) -> CheckResult:
    evidence = Evidence(
        id=f"ev-{name}",
        type="validation",
        source=name,
        content="{}",
        timestamp=START,
        phase="evaluation",
    )
    return CheckResult(
        name=name, status=status, output=f"{name} said {status}", duration=7, evidence=(evidence,)
    )


def evaluate(spec: GateSpec, **statuses: CheckStatus) -> GateRecord:
    checks = {name: result(name, status) for name, status in statuses.items()}
    return evaluate_gate(spec, checks, started_at=START, finished_at=END, artifacts=("report.md",))


def approval(decision: Decision, role: str | None = "qa-lead", at: str = END) -> HumanApproval:
    return HumanApproval(
        gate_id="G9", actor="carol", decision=decision, timestamp=at, commit_sha="abc", role=role
    )


# evaluate_gate ----------------------------------------------------------------------------------


def test_a_gate_fails_naming_its_failed_checks_in_declaration_order() -> None:
    record = evaluate(gate("a", "b", "c"), c=FAIL, b=PASS, a=FAIL)
    assert record.result.status == GateStatus.FAILED
    assert record.result.reason == "checks failed: a, c"
    assert record.result.next_steps == ("Fix 2 failing checks: a, c",)


def test_a_failed_gate_fails_even_when_it_requires_approval() -> None:
    record = evaluate(gate("a", role=Role.QA_LEAD), a=FAIL)
    assert record.result.status == GateStatus.FAILED
    assert record.result.requires_human_approval is True


def test_a_failed_gate_publishes_no_artifacts() -> None:
    assert evaluate(gate("a"), a=FAIL).result.artifacts == ()
    assert evaluate(gate("a"), a=PASS).result.artifacts == ("report.md",)


def test_a_gate_whose_checks_pass_and_that_needs_approval_is_parked() -> None:
    record = evaluate(gate("a", "b", role=Role.QA_LEAD), a=PASS, b=PASS)
    assert record.result.status == GateStatus.AWAITING_APPROVAL
    assert record.result.reason is None
    assert record.result.next_steps == ("Request qa-lead approval",)


def test_a_gate_whose_checks_pass_without_approval_passes() -> None:
    record = evaluate(gate("a"), a=PASS)
    assert record.result.status == GateStatus.PASSED
    assert record.result.reason is None
    assert record.result.next_steps == ("Gate passed - proceed to next gate",)


def test_skipped_checks_do_not_fail_a_gate() -> None:
    assert evaluate(gate("a", "b"), a=PASS, b=SKIP).result.status == GateStatus.PASSED


def test_a_gate_without_checks_passes() -> None:
    assert evaluate(gate()).result.status == GateStatus.PASSED


def test_the_record_summarises_checks_and_collects_evidence_in_order() -> None:
    extra = Evidence(id="ev-extra", type="file", source="x", content="{}", timestamp=END, phase="evaluation")
    checks = {"b": result("b", PASS), "a": result("a", SKIP)}
    record = evaluate_gate(gate("a", "b"), checks, started_at=START, finished_at=END, extra_evidence=(extra,))
    res = record.result
    assert [(c.name, c.status, c.output, c.duration) for c in res.automated_checks] == [
        ("a", SKIP, "a said skip", 7),
        ("b", PASS, "b said pass", 7),
    ]
    assert res.evidence == ("ev-a", "ev-b", "ev-extra")
    assert [e.id for e in record.evidence] == ["ev-a", "ev-b", "ev-extra"]
    assert (res.id, res.name, res.queue) == ("G9", "Nine", "automated")
    assert (res.timestamp, res.finished_at, res.duration_ms) == (START, END, 2500)


# apply_decision -------------------------------------------------------------------------------


def parked() -> GateRecord:
    return evaluate(gate("a", role=Role.QA_LEAD), a=PASS)


def test_an_approval_passes_a_parked_gate() -> None:
    decided_at = "2026-03-01T10:01:00.000Z"
    record = apply_decision(parked(), approval(Decision.APPROVED, at=decided_at))
    assert record.result.status == GateStatus.PASSED
    assert record.result.reason is None
    assert record.result.human_approval is not None
    assert record.result.human_approval.actor == "carol"
    assert record.result.finished_at == decided_at
    assert record.result.duration_ms == 60_000
    assert record.result.next_steps == ("Gate passed - proceed to next gate",)


def test_a_rejection_fails_the_gate_naming_actor_and_role() -> None:
    record = apply_decision(parked(), approval(Decision.REJECTED))
    assert record.result.status == GateStatus.FAILED
    assert record.result.reason == "rejected by carol (qa-lead)"
    assert record.result.next_steps == ("Address the rejection by carol (qa-lead)",)


def test_a_rejection_without_a_role_names_only_the_actor() -> None:
    record = apply_decision(parked(), approval(Decision.REJECTED, role=None))
    assert record.result.reason == "rejected by carol"


def test_a_decision_keeps_the_checks_and_evidence() -> None:
    before = parked()
    after = apply_decision(before, approval(Decision.APPROVED))
    assert after.evidence == before.evidence
    assert after.result.automated_checks == before.result.automated_checks
    assert before.result.status == GateStatus.AWAITING_APPROVAL  # the input is not mutated


# skipped and failed records -------------------------------------------------------------------


def test_a_skipped_record_explains_why_the_gate_never_ran() -> None:
    res = skipped_record(gate("a", role=Role.ARCHITECT), "dependency G1 failed", START).result
    assert res.status == GateStatus.SKIPPED
    assert res.reason == "dependency G1 failed"
    assert res.next_steps == ("Runs once G1 passes",)  # G1's own next step says what to fix
    assert skipped_record(gate("a"), "time budget exceeded", START).result.next_steps == (
        "Resolve: time budget exceeded",
    )
    assert (res.timestamp, res.finished_at, res.duration_ms) == (START, START, 0)
    assert res.requires_human_approval is True
    assert res.automated_checks == ()


def test_a_gate_cut_short_by_a_cancel_keeps_its_start_and_the_checks_that_finished() -> None:
    g = gate("a", "b", "c")
    done = {"a": result("a", PASS), "c": result("c", FAIL)}
    res = cut_short(g, skipped_record(g, "cancelled", END), START, done).result
    assert (res.status, res.reason, res.timestamp, res.duration_ms) == (
        GateStatus.SKIPPED,
        "cancelled",
        START,
        2500,
    )
    assert [(c.name, c.status, c.output) for c in res.automated_checks] == [
        ("a", PASS, done["a"].output),
        ("b", SKIP, "did not finish: cancelled"),
        ("c", FAIL, done["c"].output),
    ]
    assert res.evidence == ("ev-a", "ev-c")


def test_a_parked_gate_closed_without_a_decision_keeps_its_checks() -> None:
    g = gate("a", role=Role.ARCHITECT)
    closed = skipped_record(g, "closed without a decision: the run already failed (G2)", END)
    res = cut_short(g, closed, START, {"a": result("a", PASS)}).result
    assert [(c.name, c.status) for c in res.automated_checks] == [("a", PASS)]
    assert (res.timestamp, res.duration_ms) == (START, 2500)


def test_a_gate_skipped_before_it_ran_is_left_as_it_is() -> None:
    g = gate("a")
    for reason, started in (("cancelled", None), ("token budget exhausted", START)):
        record = skipped_record(g, reason, END)
        assert cut_short(g, record, started, {}) == record
    passed = evaluate_gate(g, {"a": result("a", PASS)}, started_at=START, finished_at=END)
    assert cut_short(g, passed, START, {"a": result("a", PASS)}) == passed


def test_a_failed_record_measures_from_its_start() -> None:
    res = failed_record(gate("a"), "approval expired", START, END).result
    assert (res.status, res.reason, res.duration_ms) == (GateStatus.FAILED, "approval expired", 2500)


# timestamps -----------------------------------------------------------------------------------


def test_a_naive_timestamp_is_taken_as_utc() -> None:
    assert parse_ts("2026-03-01T10:00:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_ts("2026-03-01T10:00:00Z") == parse_ts("2026-03-01T10:00:00")


def test_an_offset_timestamp_keeps_its_offset() -> None:
    assert parse_ts("2026-03-01T12:00:00+02:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_elapsed_ms_mixes_naive_and_aware_timestamps() -> None:
    assert elapsed_ms("2026-03-01T10:00:00", "2026-03-01T10:00:01.250Z") == 1250


@pytest.mark.parametrize(
    ("start", "end"),
    [(END, START), ("2026-03-01T10:00:05", "2026-03-01T10:00:00Z")],
)
def test_elapsed_ms_is_never_negative(start: str, end: str) -> None:
    assert elapsed_ms(start, end) == 0


def test_utc_now_is_iso_with_milliseconds_and_z() -> None:
    now = utc_now()
    assert now.endswith("Z")
    assert len(now.split(".")[1]) == len("123Z")
    assert abs((datetime.now(UTC) - parse_ts(now)).total_seconds()) < 5


def test_utc_now_agrees_with_the_clock_across_a_second_boundary() -> None:
    time.sleep(max(0.0, 0.95 - time.time() % 1))  # start just before a second begins
    for _ in range(20):
        before = datetime.now(UTC)
        stamp = parse_ts(utc_now())
        after = datetime.now(UTC)
        assert before - timedelta(milliseconds=1) < stamp <= after  # cut to the millisecond
        time.sleep(0.005)
