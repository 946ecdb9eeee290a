"""Helpers shared by the renderers: gate lookups, blueprint metadata and text formatting."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_json

from prp_tasks.core import dag
from prp_tasks.core.evaluate import parse_ts
from prp_tasks.core.models import GateSpec, GateStatus, Workflow
from prp_tasks.core.results import GateRecord, HumanApproval
from prp_tasks.core.run import RepoInfo
from prp_tasks.core.snapshot import GateView, RunSnapshot
from prp_tasks.core.text import clip, clip_lines

#: Gate ids of the built-in workflow; a workflow with exactly these ids gets the reference stages.
BUILTIN_GATE_IDS = tuple(f"G{i}" for i in range(8))
#: Gate statuses that mean the gate's checks ran (the reference's "executed" gates).
EXECUTED = frozenset({GateStatus.PASSED, GateStatus.FAILED, GateStatus.AWAITING_APPROVAL})
#: Version written into prp.md and the release notes when neither the blueprint nor the project
#: names one (the reference's default, 0.1.0, read as the project's version: toolz from git)
DOC_VERSION = "unknown"
NOT_SPECIFIED = "_Not specified_"

_SPACE = re.compile(r"\s+")
_BACKTICKS = re.compile(r"`+")


def is_builtin(workflow: Workflow) -> bool:
    """True when the workflow has exactly the built-in gate ids G0–G7."""
    return sorted(workflow.gate_ids) == list(BUILTIN_GATE_IDS)


def gates_in_order(snapshot: RunSnapshot) -> list[GateSpec]:
    """The workflow's gates in a stable topological order (declaration order within a level)."""
    workflow = snapshot.spec.workflow
    return [workflow.gate(g) for g in dag.topological_order(workflow)]


def label(gate: GateSpec) -> str:
    """``G1 Architecture & Specification``; just the id when the gate has no name of its own."""
    return gate.id if gate.display_name == gate.id else f"{gate.id} {gate.display_name}"


def view_of(snapshot: RunSnapshot, gate_id: str) -> GateView:
    """The gate's view; a gate the snapshot does not know is shown as pending."""
    view = snapshot.gates.get(gate_id)
    return view if view is not None else GateView(gate_id=gate_id, status=GateStatus.PENDING)


def record_of(snapshot: RunSnapshot, gate_id: str) -> GateRecord | None:
    return view_of(snapshot, gate_id).record


def executed_gates(snapshot: RunSnapshot) -> list[GateSpec]:
    """Gates whose checks ran (passed, failed or awaiting approval), in workflow order."""
    return [g for g in snapshot.spec.workflow.gates if view_of(snapshot, g.id).status in EXECUTED]


def known(value: str | None) -> str | None:
    """``value`` unless it is empty or the placeholder ``unknown``."""
    if value is None or not value.strip() or value.strip().lower() == "unknown":
        return None
    return value


def approvals_of(snapshot: RunSnapshot) -> list[HumanApproval]:
    """Every recorded decision: the snapshot's list plus any only found on a gate record."""
    out = list(snapshot.approvals)
    for gate in snapshot.spec.workflow.gates:
        record = record_of(snapshot, gate.id)
        approval = record.result.human_approval if record is not None else None
        if approval is not None and approval not in out:
            out.append(approval)
    return out


def plan_paths(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Plan paths keyed by lower-cased key, from ``task.planPaths`` then ``planPaths``."""
    task = metadata.get("task")
    sources = [task.get("planPaths") if isinstance(task, Mapping) else None]
    sources.append(metadata.get("planPaths"))
    out: dict[str, str] = {}
    for source in sources:
        if not isinstance(source, Mapping):
            continue
        for key, value in source.items():
            if isinstance(value, str) and value.strip():
                out.setdefault(str(key).lower(), value)
    return out


def as_list(value: Any) -> list[str]:
    """A metadata value as a list of non-empty strings (a string is one item)."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        value = [f"{k}: {v}" for k, v in value.items()]
    items = value if isinstance(value, Iterable) and not isinstance(value, str) else [value]
    return [str(v).strip() for v in items if str(v).strip()]


def dedupe(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))


def num(value: float) -> str:
    """A budget number without a useless ``.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def document_version(metadata: Mapping[str, Any]) -> str:
    """The version a PRP document shows (its header and its release notes): the blueprint's
    ``metadata.version`` (the project's own version when submission found one), else
    :data:`DOC_VERSION`."""
    version = metadata.get("version")
    return inline(str(version)) if isinstance(version, str | int | float) and str(version) else DOC_VERSION


#: longest release-notes item shown (a changelog's can run to paragraphs)
NOTE_ITEM_CHARS = 200


@dataclass(frozen=True)
class ReleaseChanges:
    """What release notes say about the changes, in markdown: stated by the blueprint, read
    from the project's changelog at submission, or said to be unknown (never made up)."""

    highlights: str
    breaking: str
    migration: str
    source: str = ""


def release_changes(metadata: Mapping[str, Any]) -> ReleaseChanges:
    """The blueprint's ``highlights``/``breakingChanges``/``migration``; with ``changelog``, where
    they were read; with neither, notes that say nothing was stated."""
    highlights = [inline(h, NOTE_ITEM_CHARS) for h in as_list(metadata.get("highlights"))]
    breaking = [inline(b, NOTE_ITEM_CHARS) for b in as_list(metadata.get("breakingChanges"))]
    migration = bullets(as_list(metadata.get("migration")), "_Not specified._")
    source = inline(str(metadata.get("changelog") or ""))
    if source:
        none = f"_None listed in {source}._"
        moved = migration if "migration" in metadata else f"_See {source}._"
        return ReleaseChanges(
            bullets(highlights, none), bullets(breaking, none), moved if breaking else "N/A", source
        )
    if "highlights" in metadata or "breakingChanges" in metadata:  # the blueprint states them
        return ReleaseChanges(
            bullets(highlights), bullets(breaking, "None"), migration if breaking else "N/A"
        )
    return ReleaseChanges(_unstated(metadata), "_Not stated._", "_Not stated._")


def _unstated(metadata: Mapping[str, Any]) -> str:
    """Why the highlights are unknown: no changelog entry for the project's version (looked for at
    submission when the version was the project's own), and none in the blueprint."""
    where = (
        "`CHANGES`, `CHANGELOG`, `ChangeLog`, `HISTORY`, `NEWS`, `versionhistory`, `versions` or "
        "`release-notes`, at "
        "the top or under `docs/`, the file towncrier writes, or a README's changelog section"
    )
    version = metadata.get("version")
    looked = (
        f"no changelog entry for {inline(str(version))} was found ({where}), and "
        if version
        else "no version was found, so no changelog entry was looked for, and "
    )
    if version and "versionSource" not in metadata:
        looked = ""  # the blueprint's own version: no changelog was read for it
    return f"_Not stated: {looked}the blueprint sets no `metadata.highlights`._"


def inline(text: str, limit: int | None = None) -> str:
    """Text on one line (whitespace collapsed), cut at a space to ``limit`` characters with an
    ellipsis, never inside a path or a word, nor leaving an inline code span open."""
    flat = _SPACE.sub(" ", text).strip()
    if limit is None or len(flat) <= limit:
        return flat
    cut = clip(flat, limit)
    opened = _open_span(cut)
    if opened is not None:  # the cut fell inside `code`: end before it
        cut = (cut[:opened].rstrip() + " …").strip()
    return cut


def _open_span(text: str) -> int | None:
    """Where a code span left open in ``text`` begins: a run of backticks that no later run of the
    same length closes (ruff's "```" in validators' finding was cut to an open "``")."""
    opened: re.Match[str] | None = None
    for run in _BACKTICKS.finditer(text):
        if opened is None:
            opened = run
        elif len(run[0]) == len(opened[0]):
            opened = None
    return opened.start() if opened is not None else None


def trim(text: str, limit: int) -> str:
    """Stripped text in at most ``limit`` characters: whole lines and ``…`` when it is longer, its
    first line cut at a space when that alone is, a word only when it is all (schema's
    unpinned-ruff advice in review.json had ended "…written f…")."""
    text = text.strip()
    if len(text) <= limit:
        return text
    lines = clip_lines(text.splitlines(), limit - 2)
    clipped = f"{lines}\n…" if lines else clip(text, limit)
    return clipped if clipped != "…" else text[: limit - 1] + "…"  # one long word: cut in it


def fence(text: str, lang: str = "") -> str:
    """A fenced code block that cannot be closed early by backticks inside ``text``."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def code(text: str) -> str:
    """Inline code span that survives backticks inside ``text``."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def bullets(items: Iterable[str], empty: str = NOT_SPECIFIED) -> str:
    """A markdown list, or ``empty`` when there is nothing to list."""
    lines = [f"- {item}" for item in items]
    return "\n".join(lines) if lines else empty


def utc(ts: str) -> datetime | None:
    """Parse an ISO timestamp as an aware UTC datetime (naive means UTC); None if unparsable."""
    try:
        parsed = parse_ts(ts)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def utc_seconds(ts: str) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``, or the text unchanged when it is not a timestamp."""
    parsed = utc(ts)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S") + "Z" if parsed is not None else ts


def ts_key(ts: str) -> tuple[int, float, str]:
    """Sort key for timestamps: parsable ones in time order first, the rest by text."""
    parsed = utc(ts)
    return (0, parsed.timestamp(), "") if parsed is not None else (1, 0.0, ts)


def duration_ms(start: str | None, end: str | None) -> int | None:
    """Milliseconds from ``start`` to ``end`` (clamped at 0), or None when either is unknown."""
    begin, finish = utc(start or ""), utc(end or "")
    if begin is None or finish is None:
        return None
    return max(0, int((finish - begin).total_seconds() * 1000))


def dump_json(obj: Any) -> str:
    """The JSON text of a rendered file: ``json.dumps(obj, indent=2, ensure_ascii=False)``'s layout
    (keys in order, UTF-8 text), written by pydantic-core's encoder, about 8 times faster than the
    standard library's (which falls back to pure Python whenever it indents). One difference: an
    exponent is written without padding (``1e-5``, not ``1e-05``)."""
    return to_json(obj, indent=2).decode() + "\n"


def was_cut_short(view: GateView) -> bool:
    """A skipped gate that had started (a cancel came while its checks ran): its record lists the
    checks it had (:func:`prp_tasks.core.evaluate.cut_short`)."""
    return (
        view.status == GateStatus.SKIPPED
        and view.record is not None
        and bool(view.record.result.automated_checks)
    )


def uncommitted(repo: RepoInfo, shown: int = 3) -> str:
    """``uncommitted changes: initial.md`` (the paths, up to ``shown``), ``12 uncommitted changes
    (a, b, c, …)`` beyond; a spec of an older version knows no paths."""
    paths = [code(p) for p in repo.changes[:shown]]
    if not paths:
        return "uncommitted changes"
    if repo.changed <= shown:
        return "uncommitted changes: " + ", ".join(paths)
    return f"{repo.changed} uncommitted changes ({', '.join(paths)}, …)"
