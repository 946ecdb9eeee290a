"""A queue checker for gate runs: every expected gate result classified ok, lost, duplicated or unexpected.

Checks under test append one line per execution to a side-effect file (``RUN GATE CHECK``).
A gate result is

* **ok** when it is recorded exactly once (one settle event, one record) with the status its
  checks imply, and each of its checks ran at least once (executions may repeat: delivery is
  at least once);
* **lost** when the run ended without a record for it, or a check never ran;
* **duplicated** when its settle appears more than once in the run's event list or a check's
  result claim happened more than once (two ``task.executed`` events for it);
* **unexpected** when it exists but with another status than expected, or belongs to no expected run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prp_tasks.core.snapshot import GateEventType
from prp_tasks.service.control import Control


@dataclass
class Report:
    ok: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in vars(self).items()}

    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected)


def side_effects(path: Path) -> Counter[tuple[str, str, str]]:
    """Executions per (run, gate, check) from the side-effect file."""
    if not path.exists():
        return Counter()
    lines = (line.split() for line in path.read_text().splitlines() if line.strip())
    return Counter((p[0], p[1], p[2]) for p in lines if len(p) == 3)


def classify(
    control: Control, expected: Mapping[str, Mapping[str, str]], executions: Counter[tuple[str, str, str]]
) -> Report:
    """``expected``: run id -> gate id -> expected final status."""
    report = Report()
    for run_id, gates in expected.items():
        snapshot = control.snapshot(run_id)
        settles = Counter(e.gate_id for e in snapshot.events if e.type == GateEventType.SETTLE)
        for gate_id, status in gates.items():
            name = f"{run_id}/{gate_id}"
            view = snapshot.gates[gate_id]
            checks = snapshot.spec.workflow.gate(gate_id).checks
            ran = all(executions[(run_id, gate_id, c.name)] > 0 for c in checks) or status == "skipped"
            if view.record is None or not ran:
                report.lost.append(name)
            elif settles[gate_id] > 1:
                report.duplicated.append(name)
            elif view.status.value != status:
                report.unexpected.append(f"{name}: {view.status.value} != {status}")
            else:
                report.ok.append(name)
    known = set(expected)
    report.unexpected += [f"{r}: not submitted here" for r in {r for r, _, _ in executions} - known]
    return report


def claims(control: Control, run_ids: Iterable[str]) -> Counter[tuple[str, str]]:
    """Result claims per (run, gate/check) from the lifecycle stream (one per recorded result)."""
    import json

    wanted = set(run_ids)
    out: Counter[tuple[str, str]] = Counter()
    for _, fields in control.store.redis.xrange(control.store.keys.events):
        if fields["subject"] in wanted and fields["type"].endswith("task.executed"):
            data = json.loads(fields["event"])["data"]
            if data.get("kind") == "check":
                out[(fields["subject"], data["taskId"])] += 1
    return out
