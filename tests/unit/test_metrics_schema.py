"""Metric fields (prp_tasks.telemetry.schema): label sets are redacted, and caching them changes
nothing about what a field says."""

from __future__ import annotations

from prp_tasks.telemetry.schema import GATE_DURATION, field, labels_part, observe


def test_label_values_outside_the_safe_alphabet_become_invalid_every_time() -> None:
    for _ in range(2):  # the second answer comes from the cache
        assert labels_part({"gate": "G0", "outcome": "passed"}) == "gate=G0,outcome=passed"
        assert labels_part({"gate": "ghp_secret value!"}) == "gate=invalid"
        assert labels_part({"gate": ["not", "text"]}) == "gate=invalid"


def test_equal_but_different_values_keep_their_own_text() -> None:
    assert [labels_part({"n": v}) for v in (1, True, 1.0)] == ["n=1", "n=True", "n=1.0"]
    assert field("runs", {"state": "passed"}) == "runs|state=passed"


def test_an_observation_is_a_bucket_a_sum_and_a_count() -> None:
    labels = {name: "x" for name in GATE_DURATION.labels}
    part = labels_part(labels)
    pairs = dict(observe(GATE_DURATION, labels, 0.2))
    assert pairs[f"{GATE_DURATION.name}_count|{part}"] == 1
    assert pairs[f"{GATE_DURATION.name}_sum|{part}"] == 0.2
    assert sum(1 for k in pairs if "_bucket|" in k) == 1
