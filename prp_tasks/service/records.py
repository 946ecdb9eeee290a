"""Finished runs on disk, so they can be looked at after the server that ran them is gone.

``prp run`` ends by writing the run's record into ``REPO/.prp/runs/RUN/`` (the default output
directory, ignored by git): ``run.json`` (the run as ``prp status RUN --json`` shows it, plus
``out_dir``, where its outputs were written), ``audit.json`` (its audit trail, as ``prp audit
RUN --json``) and ``evidence.json`` (every check's evidence, its content decoded: the tails, facts
and environment details the reports sum up); the outputs themselves (``prp.md``, ``review.json``,
``run-manifest.json``, ``artifacts/``, ``files/``) are in ``out_dir``. An embedded run's Redis
lives only as long as its ``prp run``; ``prp runs``, ``status``, ``audit`` and ``outputs`` then
read these records.

Records are looked up under ``--repo DIR`` (default: the current directory and its parents), then
through an index in the user's cache directory (``prp-tasks/runs.jsonl``, the newest
``INDEX_KEEP`` runs), so a run id printed by ``prp run`` is found from any directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prp_tasks.errors import RunNotFound

RUN_FILE = "run.json"
AUDIT_FILE = "audit.json"
EVIDENCE_FILE = "evidence.json"
#: runs the cross-directory index remembers
INDEX_KEEP = 2000
_RUN_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "prp-tasks"


@dataclass(frozen=True)
class Record:
    """One finished run's record directory."""

    directory: Path

    @property
    def view(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.directory / RUN_FILE).read_text(encoding="utf-8"))
        return data

    @property
    def run_id(self) -> str:
        return self.directory.name

    @property
    def out_dir(self) -> Path:
        return Path(self.view.get("out_dir") or self.directory)

    def audit(self) -> list[dict[str, Any]]:
        path = self.directory / AUDIT_FILE
        if not path.exists():
            raise RunNotFound(
                f"run {self.run_id} has no recorded audit trail; its outputs are in {self.out_dir}"
            )
        entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return entries

    def copy_outputs(self, target: Path) -> dict[str, str]:
        """Copy the run's outputs (not the record files) into ``target``: name -> written path."""
        source = self.out_dir
        if not source.is_dir():
            raise RunNotFound(f"the outputs of run {self.run_id} were written to {source}, which is gone")
        written = {}
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            name = path.relative_to(source).as_posix()
            if name in (RUN_FILE, AUDIT_FILE, EVIDENCE_FILE):
                continue
            destination = target / name
            if destination.resolve() != path.resolve():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)
            written[name] = str(destination)
        return written


def write_record(
    directory: Path,
    view: dict[str, Any],
    audit: list[dict[str, Any]],
    out_dir: Path,
    evidence: list[dict[str, Any]] | None = None,
) -> Record:
    """Write a run's record (``run.json``, ``audit.json``, ``evidence.json``) and remember it in
    the index. The evidence is where a check's note points ("see the evidence's log tail": cytoolz's
    failed Cython build, whose log nothing else kept once the embedded server was gone)."""
    directory.mkdir(parents=True, exist_ok=True)
    _write_json(directory / AUDIT_FILE, audit)
    if evidence is not None:
        _write_json(directory / EVIDENCE_FILE, [_decoded(item) for item in evidence])
    _write_json(directory / RUN_FILE, {**view, "out_dir": str(out_dir.resolve())})
    _remember(view["run_id"], directory.resolve())
    return Record(directory)


def _decoded(item: dict[str, Any]) -> dict[str, Any]:
    """An evidence item with its ``content`` (JSON text, as the reference has it) decoded."""
    try:
        return {**item, "content": json.loads(item["content"])}
    except (KeyError, TypeError, ValueError):
        return item


def _write_json(path: Path, data: object) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    temporary.replace(path)


def search_roots(repo: Path | None) -> list[Path]:
    """Where to look for ``.prp/runs``: ``repo``, else the current directory and its parents."""
    if repo is not None:
        return [repo.resolve()]
    here = Path.cwd().resolve()
    return [here, *here.parents]


def find(run_id: str, roots: Sequence[Path]) -> Record | None:
    """The record of ``run_id`` under ``roots`` (see :func:`search_roots`), else in the index."""
    if not _RUN_ID.match(run_id):
        return None
    for root in roots:
        candidate = root / ".prp" / "runs" / run_id
        if (candidate / RUN_FILE).is_file():
            return Record(candidate)
    indexed = _index().get(run_id)
    if indexed is not None and (indexed / RUN_FILE).is_file():
        return Record(indexed)
    return None


def listed(roots: Sequence[Path]) -> list[Record]:
    """Every record of the first root that has a ``.prp/runs`` directory (one repository)."""
    for root in roots:
        runs = root / ".prp" / "runs"
        if runs.is_dir():
            return [Record(d) for d in sorted(runs.iterdir()) if (d / RUN_FILE).is_file()]
    return []


def not_found(run_id: str, roots: Sequence[Path], looked: str) -> RunNotFound:
    where = roots[0] / ".prp" / "runs" if roots else Path(".prp/runs")
    return RunNotFound(
        f"no such run: {run_id} (looked in {looked} and in {where}; a finished run's outputs are in "
        "REPO/.prp/runs/RUN/ of the repository it ran on, or where `prp run --out` put them: "
        "pass --repo REPO)"
    )


# the index ---------------------------------------------------------------------------------------


def _index_path() -> Path:
    return cache_dir() / "runs.jsonl"


def _entries() -> Iterator[tuple[str, Path]]:
    try:
        lines = _index_path().read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            entry = json.loads(line)
            yield str(entry["run_id"]), Path(entry["dir"])
        except (ValueError, KeyError, TypeError):
            continue


def _index() -> dict[str, Path]:
    return dict(_entries())


def _remember(run_id: str, directory: Path) -> None:
    path = _index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as index:
        index.write(json.dumps({"run_id": run_id, "dir": str(directory)}) + "\n")
    entries = list(_entries())
    if len(entries) > 2 * INDEX_KEEP:  # keep the newest; a lost race only drops an old entry
        kept = "".join(json.dumps({"run_id": r, "dir": str(d)}) + "\n" for r, d in entries[-INDEX_KEEP:])
        temporary = path.with_name(".runs.jsonl.tmp")
        temporary.write_text(kept, encoding="utf-8")
        temporary.replace(path)
