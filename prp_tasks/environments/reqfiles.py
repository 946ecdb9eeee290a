"""A project's requirement file as the environment's requirements name it: by its path, or, for
uv, its lines when it glues a short option to its value (progressbar2's ``tests/requirements.txt``:
``-e.[tests]``, which pip reads and uv refuses: "Expected '=' or whitespace, found Some('.')", every
check failing before it ran), with a space after the option and the files it includes named by
their absolute path (they are relative to the file; editable and plain paths are relative to the
working directory, the run's workspace, as before)."""

from __future__ import annotations

import os
import re
from pathlib import Path

#: a short option glued to its value at a line's start: ``-e.[tests]``, ``-rrequirements.txt``
_GLUED = re.compile(r"^(\s*)(-[erc])(?=[^\s=])")
#: a line including another file: ``-r dev.txt``, ``--constraint=pins.txt``
_INCLUDE = re.compile(r"^(\s*)(-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+)(\S+)(.*)$")


def requirement_lines(path: Path, installer: str) -> list[str]:
    """The lines naming ``path`` in a requirements file: ``-r PATH``, or its own lines (above)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return [f"-r {path}"]  # (the installer says what is wrong with it)
    if installer != "uv" or not any(_GLUED.match(line) for line in text.splitlines()):
        return [f"-r {path}"]
    return [_absolute(_GLUED.sub(r"\1\2 ", line), path.parent) for line in text.splitlines()]


def _absolute(line: str, folder: Path) -> str:
    found = _INCLUDE.match(line)
    if found is None or os.path.isabs(found[3]) or "://" in found[3]:
        return line
    return f"{found[1]}{found[2]} {folder / found[3]}{found[4]}"
