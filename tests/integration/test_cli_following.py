"""``prp run`` when a Ctrl-C comes as the run ends (``prp_tasks.cli.runs.Following``): the cancel
changes nothing, and the gates the progress lines had not reached yet are printed with the outcome,
against a real server and workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prp_tasks.cli.interrupts import Interrupts
from prp_tasks.cli.runs import Following
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.service.control import Control

FAILING = 'name: f\ngates:\n  - {id: A, checks: [{name: c, run: ["false"]}]}\n  - {id: B, depends_on: [A]}\n'


def test_a_ctrl_c_as_the_run_ended_prints_what_the_progress_lines_missed(
    control: Control,
    submit: Callable[..., str],
    finish: Callable[..., RunSnapshot],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """pyflakes: SIGINT arrived as the run failed; the console never showed G3's failure or the
    skipped G4–G7, only "nothing left to cancel" and "run …: failed"."""
    run_id = submit(FAILING)
    finish(run_id)
    following = Following(control.spec(run_id), tmp_path / "out", False, None, Interrupts())
    following._cancel(control, "interrupt")
    code = following._finish(control, run_id, cancelled=True)
    printed = capsys.readouterr()
    assert code == 1  # it failed on its own: the exit says so, not "cancelled"
    assert "nothing left to cancel" in printed.err
    table = printed.out.split(f"run {run_id}: failed")[0]
    assert "failed" in table and "skipped" in table  # A failed, B skipped
    assert "c" in table and "exit 1" in table  # why the failed check failed
