"""A gate's record from its checks' results, with the report the gate renders (pure)."""

from __future__ import annotations

from prp_tasks.core.catalog import GATE_REPORTS
from prp_tasks.core.evaluate import evaluate_gate
from prp_tasks.core.models import GateSpec, GateStatus
from prp_tasks.core.render import render_gate_report
from prp_tasks.core.results import CheckResult, GateRecord
from prp_tasks.core.run import RunSpec


def evaluated(
    spec: RunSpec, gate: GateSpec, results: dict[str, CheckResult], started_at: str | None, now: str
) -> tuple[GateRecord, dict[str, str]]:
    """The gate's record from its checks' results, and the reports it renders (name -> text),
    listed among the record's artifacts."""
    record = evaluate_gate(gate, results, started_at=started_at or now, finished_at=now)
    outputs = reports(spec, gate, results, record)
    if outputs:
        record = _with_artifacts(record, tuple(outputs))
    return record, outputs


def reports(
    spec: RunSpec, gate: GateSpec, results: dict[str, CheckResult], record: GateRecord
) -> dict[str, str]:
    """The gate's report (none for a failed gate or one without a report)."""
    if gate.report is None or record.result.status == GateStatus.FAILED:
        return {}
    return {GATE_REPORTS[gate.report]: render_gate_report(gate.report, gate, results, spec)}


def _with_artifacts(record: GateRecord, names: tuple[str, ...]) -> GateRecord:
    result = record.result.model_copy(update={"artifacts": record.result.artifacts + names})
    return record.model_copy(update={"result": result})
