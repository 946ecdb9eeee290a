"""The project's own copy in a built environment, and the modules of it a check would import.

A built environment holds a copy of the project itself (:meth:`.build.Build._own_copy`), installed
from the files of the run that built it and reused by later runs while the dependencies stay the
same. A check imports the project's code from the workspace, first on ``PYTHONPATH``
(:func:`.layout.import_root`); a top-level module of that copy that is in neither the import root,
the check's working directory nor the top of the workspace is imported from the copy, whose code
is an earlier run's: a test run then passes or fails on code that is not this checkout's (crcmod
1.7, whose package folder setup.py computes: a broken assert passed "12 tests ran: OK").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from prp_tasks.environments.projectfiles import normalize

#: what a distribution's RECORD lists at the top of site-packages that is not a module of it
_NOT_MODULES = (".dist-info", ".data", ".pth", ".egg-link")


def stale_modules(
    record: Mapping[str, Any], venv: Path, name: str | None, run_id: str, places: Iterable[Path]
) -> list[str]:
    """The top-level modules of the environment's copy of the project ``name`` (``record``: the
    environment's build record) that none of ``places`` has, when that copy is another run's
    (built from the files of the run ``run_id`` it is this run's code); sorted."""
    if name is None:
        return []
    wanted = normalize(name)
    copies = [
        entry
        for entry in record.get("installed") or ()
        if isinstance(entry, str) and normalize(entry.partition(" @ ")[0].partition("==")[0]) == wanted
    ]
    if not copies or f"/{run_id}" in copies[0]:
        return []
    places = tuple(places)
    built = str(record.get("created", ""))
    return [m for m in own_modules(venv, wanted, built) if not any(has_module(p, m) for p in places)]


@functools.lru_cache(maxsize=64)
def own_modules(venv: Path, name: str, _built: str = "") -> tuple[str, ...]:
    """The top-level modules the copy of the distribution ``name`` (normalized) installed, from
    its RECORD (once per environment build, ``_built`` its time: every check of a run asks)."""
    for info in venv.glob("lib/python*/site-packages/*.dist-info"):
        if normalize(info.name.partition("-")[0]) == name:
            try:
                lines = (info / "RECORD").read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return ()
            return tuple(sorted({m for m in map(_module_of, lines) if m}))
    return ()


def _module_of(line: str) -> str:
    """The top-level module a RECORD line installs ('' for metadata, scripts, path files)."""
    path = line.partition(",")[0].strip().strip('"')
    top, slash, _ = path.partition("/")
    if not top or top.startswith((".", "__")) or top.endswith(_NOT_MODULES):
        return ""
    if slash:
        return top if top.isidentifier() else ""
    stem = top.partition(".")[0]
    return stem if top.endswith((".py", ".so", ".pyd")) and stem.isidentifier() else ""


def has_module(place: Path, module: str) -> bool:
    """Whether ``place`` holds the top-level module: a package folder, a ``.py`` module or a
    compiled one (``module.cpython-311-x86_64-linux-gnu.so``, as a build in place leaves it)."""
    if (place / module).is_dir() or (place / f"{module}.py").is_file():
        return True
    return any(place.glob(f"{module}.*.so")) or (place / f"{module}.so").is_file()
