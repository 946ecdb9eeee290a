"""Metric names, buckets and how observations are stored in the ``P:metrics`` hash.

Workers never hold metric registries (a prefork child would undercount, several would double
count). Every observation is a few ``HINCRBY``/``HINCRBYFLOAT`` on one Redis hash, made inside the
same Lua transition that changes the state it measures, so each gate and check is counted once.

Field encoding (one hash, bounded by label cardinality, not by history):
    counter / gauge     ``name|k=v,k=v``
    histogram bucket    ``name_bucket|k=v,...|le=0.5``   (per-bucket count, made cumulative on read)
    histogram sum/count ``name_sum|k=v,...`` / ``name_count|k=v,...``

Label rule (redaction): label *names* come from the fixed sets below; label *values* must match
``[A-Za-z0-9_.:-]{1,64}`` (gate ids, queue classes, statuses do by construction), anything else is
replaced by ``invalid``. Actors, tokens, rationales, argv and outputs are never labels.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class Histogram:
    name: str
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...]


DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
APPROVAL_BUCKETS = (1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600)

GATE_DURATION = Histogram(
    "prp_gate_duration_seconds",
    "Time from a gate's dispatch to its settling.",
    ("gate", "queue", "status"),
    DURATION_BUCKETS,
)
CHECK_DURATION = Histogram(
    "prp_check_duration_seconds",
    "Measured run time of one check execution.",
    ("gate", "status"),
    DURATION_BUCKETS,
)
QUEUE_WAIT = Histogram(
    "prp_queue_wait_seconds", "Time from a check's enqueue to its execution start.", ("queue",), WAIT_BUCKETS
)
APPROVAL_WAIT = Histogram(
    "prp_approval_wait_seconds",
    "Time a gate waited parked for its decision.",
    ("gate", "outcome"),
    APPROVAL_BUCKETS,
)
HISTOGRAMS = (GATE_DURATION, CHECK_DURATION, QUEUE_WAIT, APPROVAL_WAIT)

#: gate states counted by the Lua transitions (``gates|state=...``)
LIVE_GATE_STATES = ("pending", "running", "awaiting_approval")
FINAL_GATE_STATES = ("passed", "failed", "skipped")

#: one status vocabulary in labels: a check's ``pass``/``fail``/``skip`` is labelled as a gate's
CHECK_STATUS_LABEL = {"pass": "passed", "fail": "failed", "skip": "skipped"}


def label_value(value: object) -> str:
    """A label value that passed the redaction rule (or ``invalid``)."""
    text = str(value)
    return text if _VALUE.match(text) else "invalid"


def labels_part(labels: Mapping[str, object]) -> str:
    return _labels_part(tuple((k, str(v)) for k, v in labels.items()))


@functools.lru_cache(maxsize=4096)
def _labels_part(items: tuple[tuple[str, str], ...]) -> str:
    """Label sets repeat (a gate, a queue, an outcome): each is checked and joined once."""
    return ",".join(f"{k}={label_value(v)}" for k, v in items)


def field(name: str, labels: Mapping[str, object] | None = None) -> str:
    """Hash field of a counter or gauge."""
    return f"{name}|{labels_part(labels or {})}"


def observe(hist: Histogram, labels: Mapping[str, object], value: float) -> list[tuple[str, float]]:
    """The (field, increment) pairs recording one observation of ``value`` seconds."""
    part = labels_part({k: labels[k] for k in hist.labels})
    le = next((b for b in hist.buckets if value <= b), "+Inf")
    return [
        (f"{hist.name}_bucket|{part}|le={le}", 1),
        (f"{hist.name}_sum|{part}", round(max(value, 0.0), 6)),
        (f"{hist.name}_count|{part}", 1),
    ]


def parse_field(raw: str) -> tuple[str, dict[str, str], str | None]:
    """(name, labels, le) of a stored field."""
    parts = raw.split("|")
    labels = dict(p.split("=", 1) for p in parts[1].split(",") if p) if len(parts) > 1 else {}
    le = parts[2].split("=", 1)[1] if len(parts) > 2 else None
    return parts[0], labels, le
