"""What ``prp run`` says on Ctrl-C once it no longer cancels: after the run ended (its outputs are
being written) a first Ctrl-C is no "again"; after a cancelling one, the next is; and a cancel
that came after every gate settled says that it changed nothing."""

from __future__ import annotations

import signal
from pathlib import Path
from types import SimpleNamespace

import pytest

from prp_tasks.cli.interrupts import Interrupts
from prp_tasks.cli.runs import Following


def test_a_first_ctrl_c_after_the_run_ended_is_not_called_a_second_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = [100.0]
    interrupts = Interrupts(clock=lambda: now[0])
    interrupts.calm()  # the run ended
    interrupts._handle(signal.SIGINT, None)
    now[0] += 1.0
    interrupts._handle(signal.SIGINT, None)  # said once
    said = capsys.readouterr().err
    assert "interrupted: the run has ended; writing its outputs" in said and "again" not in said
    assert said.count("interrupted") == 1 and interrupts.abandoned.is_set()


def test_a_ctrl_c_after_the_cancelling_one_stops_the_wait(capsys: pytest.CaptureFixture[str]) -> None:
    now = [100.0]
    interrupts = Interrupts(clock=lambda: now[0])
    with pytest.raises(KeyboardInterrupt):  # the first: prp run cancels the run
        interrupts._handle(signal.SIGINT, None)
    # rich-click under ``timeout -s INT``: prp and its process group signalled at once, one interrupt
    interrupts._handle(signal.SIGINT, None)
    assert capsys.readouterr().err == "" and not interrupts.abandoned.is_set()
    now[0] += 1.0  # a person's second Ctrl-C
    interrupts._handle(signal.SIGINT, None)
    assert "interrupted again: not waiting for the run any more" in capsys.readouterr().err
    assert interrupts.abandoned.is_set()


class Settled:
    """A run whose every gate settled before the cancel came: the cancel changes nothing."""

    def cancel(self, run_id: str, actor: str) -> bool:
        return False

    def is_final(self, run_id: str) -> bool:
        return True


def test_a_cancel_that_came_after_every_gate_settled_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    following = Following(SimpleNamespace(run_id="run-1"), Path("."), False, None, Interrupts())  # type: ignore[arg-type]
    following._cancel(Settled(), "interrupt")  # type: ignore[arg-type]
    said = capsys.readouterr().err
    assert "interrupted: cancelling run-1" in said
    assert "run-1 had already ended (or been cancelled): nothing left to cancel" in said
