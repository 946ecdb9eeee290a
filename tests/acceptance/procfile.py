"""The Procfile's own entries started as OS processes, each in its own process group.

``honcho start`` is not needed: every ``name: command`` line is split with :func:`shlex.split`,
``prp`` becomes ``python -m prp_tasks.cli`` and ``python`` this interpreter, and the command runs
from the repository root. Each process writes ``<name>.out``/``<name>.err`` under a log directory
whose tails end up in assertion messages.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PROCFILE = ROOT / "Procfile"

#: how the Procfile's program names resolve inside the test environment
PROGRAMS = {"prp": [sys.executable, "-m", "prp_tasks.cli"], "python": [sys.executable]}


def procfile_entries(path: Path = PROCFILE) -> dict[str, str]:
    """``{name: command}`` of every ``name: command`` line (comments and blank lines skipped)."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"{path}:{number}: not a 'name: command' line: {raw!r}")
        if name.strip() in entries:
            raise ValueError(f"{path}:{number}: entry {name.strip()!r} given twice")
        entries[name.strip()] = command.strip()
    return entries


def resolve(command: str) -> list[str]:
    """The argv of a Procfile command in this environment."""
    program, *rest = shlex.split(command)
    if program not in PROGRAMS:
        raise ValueError(f"cannot resolve {program!r} of {command!r} (known: {', '.join(PROGRAMS)})")
    return [*PROGRAMS[program], *rest]


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no file)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class ProcfileProcesses:
    """Procfile entries running for one test; :meth:`stop` kills every process group."""

    def __init__(self, env: dict[str, str], log_dir: Path, entries: dict[str, str] | None = None) -> None:
        self.env = env
        self.log_dir = log_dir
        self.entries = entries if entries is not None else procfile_entries()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        argv = resolve(self.entries[name])
        with (
            (self.log_dir / f"{name}.out").open("wb") as out,
            (self.log_dir / f"{name}.err").open("wb") as err,
        ):
            proc = subprocess.Popen(
                argv,
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: the prefork pool dies with it
            )
        self.procs[name] = proc
        return proc

    def exited(self) -> dict[str, int]:
        """Processes that are no longer running, with their exit codes."""
        return {name: code for name, proc in self.procs.items() if (code := proc.poll()) is not None}

    def worker_checks(self, classes: set[str], timeout: float = 60) -> dict[str, tuple[bool, str]]:
        """``prp worker-check CLASS --json`` for each class at once: class -> (healthy, its output)."""
        probes = {
            cls: subprocess.Popen(
                [*resolve("prp"), "worker-check", cls, "--json"],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for cls in sorted(classes)
        }
        found = {}
        for cls, probe in probes.items():
            out, err = probe.communicate(timeout=timeout)
            found[cls] = (
                probe.returncode == 0,
                f"exit {probe.returncode}: {out.strip()} {err.strip()[-500:]}",
            )
        return found

    def tails(self, lines: int = 30) -> str:
        parts = []
        for name, proc in self.procs.items():
            state = "running" if proc.poll() is None else f"exited {proc.returncode}"
            for stream in ("out", "err"):
                parts.append(f"----- {name} ({state}) std{stream} -----")
                parts.append(tail(self.log_dir / f"{name}.{stream}", lines))
        return "\n".join(parts)

    def stop(self) -> None:
        """SIGKILL every process group (also when its leader already exited) and reap the leaders."""
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
