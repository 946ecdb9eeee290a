"""A project's compiled extensions, built in place in the run's workspace before its checks run.

Checks import the project's code from the workspace (``PYTHONPATH``: ``src/`` or the workspace
itself), so an extension module of the project (setuptools ``ext_modules``: MarkupSafe's
``_speedups``) has to be built there: a copy built into the environment is shadowed by the source
package, and the extension's tests would be skipped, or fail, as if it could not be built. It is
built once per workspace (a lock and a record under ``.prp/cache/``) with the check's own
interpreter: ``python setup.py build_ext --inplace`` (setuptools' ``setup()`` itself when there is
no ``setup.py``). The workspace is the run's copy of the checkout, so nothing is written to the
user's files. A build that fails (no compiler, no setuptools in the project's own environment) is
said in the check's output and its evidence, and the check runs as it would have without it.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from prp_tasks.environments.build import log_tail, no_build_leftovers
from prp_tasks.environments.projectfiles import declares_extensions
from prp_tasks.processes.spawn import spawn, wait
from prp_tasks.workspaces.locks import locked

#: the tools that only read the source, never import it: their checks need no compiled modules and
#: do not wait for a build of them (lz4's flake8, 1.6 s, waited 47 s for its C extensions' build)
UNNEEDED_BY = frozenset(
    {"ruff", "flake8", "pyflakes", "pycodestyle", "pep8", "black", "isort", "codespell", "pydocstyle"}
)
#: a wait for another check's build said from this long on (seconds)
WAIT_SAID_S = 1.0


def build_in_place(
    project: Path, env: dict[str, str], stop: threading.Event, timeout_s: float
) -> dict[str, Any] | None:
    """Build the project's extensions in ``project`` (the run's workspace) unless an earlier check
    of the run did: what happened (``built``, ``duration_ms``, ``log_tail``), None when the
    project declares none."""
    if not declares_extensions(project):
        return None
    cache = project / ".prp" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    record = cache / "extensions.json"
    began = time.monotonic()
    with locked(cache / "extensions.lock"):
        if record.is_file():
            waited = time.monotonic() - began
            said = {"waited_ms": round(waited * 1000)} if waited >= WAIT_SAID_S else {}
            return {**json.loads(record.read_text()), "built_by_this_check": False, **said}
        before = extension_modules(project)
        with no_build_leftovers(project):  # (the built modules stay: they are in the packages)
            done = _build(project, env, stop, timeout_s, cache / "extensions.log")
        after = extension_modules(project)
        done["modules"] = sorted(after - before)[:5]
        done["present"] = sorted(after & before)[:5]  # made before: the environment's install of it
        if done.get("built") and not after and build_error(done):
            done["built"] = False  # lazy-object-proxy's OptionalBuildExt: exit 0 over a C error
        if done.get("ended") == "stopped":
            return done  # a cancelled run: tried again by nobody, recorded nowhere
        record.write_text(json.dumps(done))
    return {**done, "built_by_this_check": True}


def _build(
    project: Path, env: dict[str, str], stop: threading.Event, timeout_s: float, log: Path
) -> dict[str, Any]:
    # without a setup.py (``[tool.setuptools] ext-modules``), setuptools reads pyproject.toml itself
    script = (
        ["setup.py"] if (project / "setup.py").is_file() else ["-c", "from setuptools import setup; setup()"]
    )
    argv = ["python", *script, "build_ext", "--inplace"]
    started = time.monotonic()
    fd = os.open(log, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600)
    try:
        proc = spawn(argv, str(project), env, fd, fd)
    except OSError as exc:
        return {"built": False, "argv": argv, "error": f"cannot start python: {exc.strerror or exc}"}
    finally:
        os.close(fd)
    ended = wait(proc, timeout_s, stop)
    return {
        "built": ended == "exited" and proc.returncode == 0,
        "argv": argv,
        "ended": ended,
        "exit_code": proc.returncode,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "log_tail": log_tail(log, 3000),
        # the first error, which the tail may have lost (mmh3: three undeclared names, its last one's
        # line said, 744 where gcc's first is 167)
        "first_error": compile_error(log_tail(log, _WHOLE_LOG)),
    }


#: how much of a build's log is searched for its first error (bytes; a log is rarely longer)
_WHOLE_LOG = 4 * 1024 * 1024


#: folders never searched for built modules (environments, caches, other tools' trees)
_NOT_SEARCHED = ("node_modules", "build", "dist", "venv", "env", "__pycache__")


def extension_modules(project: Path) -> set[str]:
    """The compiled extension modules (``.so``, ``.pyd``) in the project's tree, relative paths."""
    found = set()
    for folder, dirs, files in os.walk(project):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _NOT_SEARCHED]
        found |= {
            os.path.relpath(os.path.join(folder, f), project) for f in files if f.endswith((".so", ".pyd"))
        }
    return found


def note(done: dict[str, Any]) -> str:
    """The check's output line about the build (only when this check built, or could not)."""
    seconds = int(done.get("duration_ms", 0)) / 1000
    # (modules the build found made already, and made again, are built: multidict's requirements
    # install the workspace, -e ., whose build made them; "made no module: the checks run the
    # pure-Python code" had been said while its C tests ran)
    made = done.get("modules") or done.get("present")
    if done.get("built") and not made and done.get("built_by_this_check"):
        # python-box: its setup.py compiles only when Cython is importable, and said so; frozendict
        # on 3.11: its sdist has C sources up to 3.10, "cc1: fatal error: …: No such file or directory"
        said = next(
            (ln.strip() for ln in str(done.get("log_tail", "")).splitlines() if _WHY_NONE.search(ln)), ""
        )
        return (
            f"extensions: the build ran in {seconds:.1f}s and made no module"
            + (f" ({said[:160]})" if said else "")
            + ": the checks run the pure-Python code"
        )
    if done.get("built") and done.get("built_by_this_check"):
        return f"extensions: built in place in {seconds:.1f}s"
    if done.get("built"):  # (another check's build, waited for: where the check's time went)
        waited = int(done.get("waited_ms", 0)) / 1000
        return f"extensions: waited {waited:.1f}s for another check's build of them" if waited else ""
    why = done.get("error") or f"{done.get('ended')}, exit {done.get('exit_code')}"
    if error := build_error(done):  # (bitarray's: a missing module said)
        why += f": {error}"
    return (
        f"extensions: not built in place ({why}; see the evidence's log tail): their tests may skip or fail"
    )


#: a build log's line saying why it made no module: a warning of the project's setup.py, or the
#: compiler's fatal error (a source file or header missing)
_WHY_NONE = re.compile(r"WARNING|fatal error: ")


#: a compiler's error line (gcc, clang: ``./src/ujson/encode.c:70:21: error: expected …``); not a
#: missing header's ``fatal error: Python.h: No such file or directory``, the machine's, not the code's
_COMPILE_ERROR = re.compile(
    r"^(?:\./)?(?P<path>[^\s:]+\.(?:c|cc|cpp|cxx|h|hpp|pyx|pxd)):(?P<line>\d+)(?::\d+)?"
    r": error: (?P<said>.+)$",
    re.M,
)


#: Cython's error after its ``Error compiling Cython file:`` block (cytoolz: ``cytoolz/dicttoolz.pyx:
#: 184:22: Only single-character string literals …``, no ``error:`` word: the build's failure had
#: read as "No module named 'cytoolz.itertoolz'", the first module its package imports)
_CYTHON_ERROR = re.compile(
    r"^(?P<path>[^\s:]+\.(?:pyx|pxd|pxi|py)):(?P<line>\d+):\d+: (?P<said>.+)$",
    re.M,
)


def build_error(done: dict[str, Any]) -> str:
    """The first compiler error of an extensions' build (:func:`_build`'s record; an older record
    has only its log's tail)."""
    return str(done.get("first_error") or "") or compile_error(str(done.get("log_tail") or ""))


def compile_error(log: str) -> str:
    """``path:line: message`` of the first compiler error in a build's log, or ''."""
    found = _COMPILE_ERROR.search(log)
    if found is None and "Error compiling Cython file" in log:
        found = _CYTHON_ERROR.search(log, log.index("Error compiling Cython file"))
    return f"{found['path']}:{found['line']}: {found['said'].strip()[:160]}" if found else ""
