"""The line ``prp run`` ends with after its outputs: what review.json found (a passed run can have
findings: jsonpatch passed with "no command runs lint, type-check" said only in review.json)."""

from __future__ import annotations

import json
from pathlib import Path

from prp_tasks.cli.runs import findings_line


def test_the_findings_are_counted_by_severity_and_named(tmp_path: Path) -> None:
    review = tmp_path / "review.json"
    ids = ["G3-run-lint", "G3-run-type-check", "G0-a", "G1-b", "G2-c", "G4-d"]
    severities = ["major", "major", "minor", "blocker", "minor", "minor"]
    findings = [{"id": i, "severity": s} for i, s in zip(ids, severities, strict=True)]
    review.write_text(json.dumps({"findings": findings}))
    assert findings_line(str(review)) == (
        "review.json: 6 findings (1 blocker, 2 major, 3 minor): "
        "G3-run-lint, G3-run-type-check, G0-a, G1-b, G2-c, …"
    )


def test_no_findings_and_no_readable_review_say_nothing(tmp_path: Path) -> None:
    review = tmp_path / "review.json"
    review.write_text(json.dumps({"findings": []}))
    assert findings_line(str(review)) == ""
    review.write_text("{not json")
    assert findings_line(str(review)) == "" and findings_line(None) == ""
