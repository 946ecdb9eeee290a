"""What ``python -m venv`` puts in an environment, for one uv creates: pip and, below Python 3.12,
setuptools, at the versions the interpreter bundles (``ensurepip``'s wheels).

uv creates environments without them; installed by name, they came at the index's latest: a
setuptools without ``pkg_resources`` (84, where Python 3.11's venv gives 65.5.0), and Deprecated's
tests, which import it, failed to collect where ``python -m venv`` and its CI pass 187.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from prp_tasks.processes.spawn import run_apart

#: prints the folder of the interpreter's bundled wheels
_BUNDLED = "import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'))"


def seeds(interpreter: Path, version: tuple[int, ...], env: dict[str, str]) -> list[str]:
    """What to install: the interpreter's bundled wheels of pip (and setuptools below 3.12), or
    their names when it bundles none (a distribution's Python without ``ensurepip``'s wheels)."""
    names = ["pip", *(["setuptools"] if (3,) <= version < (3, 12) else [])]
    wheels = {_project(p): str(p) for p in _bundled_wheels(interpreter, env)}
    return [wheels[n] for n in names] if all(n in wheels for n in names) else names


def _bundled_wheels(interpreter: Path, env: dict[str, str]) -> list[Path]:
    try:
        done = run_apart([str(interpreter), "-I", "-c", _BUNDLED], timeout=30, env=env)
    except (OSError, subprocess.SubprocessError):
        return []
    folder = done.stdout.strip()
    if done.returncode != 0 or not folder or not os.path.isdir(folder):
        return []
    return sorted(Path(folder).glob("*.whl"))


def _project(wheel: Path) -> str:
    """A wheel's project name (``setuptools-65.5.0-py3-none-any.whl``: ``setuptools``)."""
    return wheel.name.split("-", 1)[0].lower()
