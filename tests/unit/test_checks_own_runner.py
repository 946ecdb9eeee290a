"""A project's own test runner (a script the facts do not know): its count line is said, and the
project's test command is test evidence whatever runs it (``prp_tasks.checks.command``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from prp_tasks.checks import execute
from prp_tasks.checks.evidence import counts_said
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.results import EvidenceType
from tests.unit.test_checks_command import PY, context

#: commonmark 0.9.2's ``run_spec_tests.py`` with 82 failing examples: a failing example's block,
#: its progress marks, its count line, its timing
SPEC_RUNNER = r"""
import sys
print("Test #636 \u2717\n=== markdown ===\n*foo\\\nbar*\n=== got ===\n<p><i>foo</i></p>")
print("\u2713" * 8)
print("[Textual content] \u2713\u2713\u2713")
print("567 tests passed, 82 failed")
print("runtime: 0.12s")
sys.exit(1)
"""


def test_a_runners_own_count_line_is_said_and_the_test_command_is_test_evidence(tmp_path: Path) -> None:
    """commonmark's spec runner as its test command: the summary was "Test #636 ✗" (the first of its
    last lines), and prp.md's §7 said "No test evidence recorded" beside a failed run-test."""
    (tmp_path / "run_spec_tests.py").write_text(SPEC_RUNNER, encoding="utf-8")
    ctx = context(tmp_path, PY, "run_spec_tests.py")
    result, _ = execute(dataclasses.replace(ctx, check=ctx.check.model_copy(update={"name": "run-test"})))
    assert result.status == CheckStatus.FAIL
    assert result.output.split("\n")[1] == "567 tests passed, 82 failed"
    assert [e.type for e in result.evidence] == [EvidenceType.TEST]
    other, _ = execute(ctx)  # another check running the same script: a command's evidence
    assert [e.type for e in other.evidence] == [EvidenceType.COMMAND]


def test_a_count_line_is_one_that_counts_tests() -> None:
    assert counts_said("a\n10 passed, 2 failed in 3s\nb") == "10 passed, 2 failed in 3s"
    assert counts_said("Ran the checks\n12 examples run\n") == "12 examples run"
    assert counts_said("passed\nall good\n2 files changed") == ""
