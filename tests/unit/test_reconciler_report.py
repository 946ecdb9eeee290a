"""What the repair loop says of a round that did something: a lost step is a warning, a
finalization it sent again (the one a check task claimed took longer than the grace) is
information; words, not a dict printed raw on a user's terminal."""

from __future__ import annotations

import logging

from prp_tasks.housekeeping.reconciler import Pass


def test_a_round_that_only_finalized_is_information_in_words() -> None:
    level, said = Pass(runs=3, finalized=["r1"]).report()
    assert level == logging.INFO
    assert said == "the repair loop, over 3 live run(s): 1 run(s) finalized"


def test_a_round_that_completed_a_gate_is_a_warning() -> None:
    level, said = Pass(runs=2, completed=["r1/G3"], finalized=["r2"], resent=["r1/G4/x"]).report()
    assert level == logging.WARNING
    assert said.endswith("1 gate(s) completed, 1 run(s) finalized, 1 check message(s) sent again")
