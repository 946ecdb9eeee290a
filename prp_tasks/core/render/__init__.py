"""Pure renderers of a run's final outputs: prp.md, review.json, run-manifest.json, gate reports."""

from __future__ import annotations

from prp_tasks.core.render.common import dump_json
from prp_tasks.core.render.gate_reports import render_gate_report
from prp_tasks.core.render.manifest import PRP_MARKDOWN, REVIEW_JSON, RUN_MANIFEST, run_manifest
from prp_tasks.core.render.prp_md import prp_markdown
from prp_tasks.core.render.review import review_json
from prp_tasks.core.snapshot import RunSnapshot

__all__ = [
    "prp_markdown",
    "render_gate_report",
    "render_outputs",
    "review_json",
    "run_manifest",
]


def render_outputs(snapshot: RunSnapshot) -> dict[str, str]:
    """The three final files of a run, by file name. Deterministic: no clock, no I/O."""
    review = review_json(snapshot)
    manifest = run_manifest(snapshot)
    return {
        PRP_MARKDOWN: prp_markdown(snapshot, review, manifest),
        REVIEW_JSON: dump_json(review),
        RUN_MANIFEST: dump_json(manifest),
    }
