"""Ctrl-C in a real terminal during ``prp run`` (embedded mode), through a pseudo-terminal.

The terminal sends SIGINT to its foreground process group. Only ``prp`` may be in it: the
embedded server, the checks and the watchdog run in sessions of their own. The first Ctrl-C
cancels the run (running checks are stopped), writes the cancelled run's outputs and exits 3
within seconds; a second one stops waiting. Nothing is left running and no socket is left over.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.processes import wait_gone

LONG = """name: long-checks
gates:
  - {id: A, checks: [{name: quick, run: ["true"]}]}
  - id: B
    depends_on: [A]
    checks:
      - {name: slow, run: ["sh", "-c", "trap '' TERM; echo MARKER-%(tag)s; exec sleep 45.%(tag)s"]}
      - {name: slower, run: ["sleep", "46.%(tag)s"]}
  - {id: C, depends_on: [B], checks: [{name: never, run: ["true"]}]}
"""
PARKED = """name: parked
gates:
  - {id: A, checks: [{name: a, run: ["true"]}], approval: {role: code-reviewer}}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
"""


@dataclass
class Terminal:
    """``prp`` run as the foreground job of a pseudo-terminal, its output read continuously."""

    pid: int
    fd: int
    output: bytearray = field(default_factory=bytearray)

    @classmethod
    def start(cls, argv: list[str], cwd: Path) -> Terminal:
        env = clean_env() | {"TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
        pid, fd = pty.fork()
        if pid == 0:  # the child: a session leader whose controlling terminal is the pty
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "prp_tasks.cli", *argv], env)
        terminal = cls(pid, fd)
        threading.Thread(target=terminal._drain, daemon=True).start()
        return terminal

    def _drain(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if ready:
                    chunk = os.read(self.fd, 65536)
                    if not chunk:
                        return
                    self.output.extend(chunk)
            except OSError:
                return

    def text(self) -> str:
        return self.output.decode(errors="replace")

    def wait_for(self, needle: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while needle not in self.text():
            assert time.monotonic() < deadline, f"{needle!r} not seen:\n{self.text()[-3000:]}"
            time.sleep(0.05)

    def ctrl_c(self) -> None:
        os.write(self.fd, b"\x03")  # the line discipline turns this into SIGINT for the foreground group

    def exit_code(self, within: float) -> int:
        deadline = time.monotonic() + within
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"prp still running after {within}s:\n{self.text()[-3000:]}")
            time.sleep(0.05)


def _pids(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split() if int(p) != os.getpid()]


def _nothing_left(repo: Path, tag: str) -> None:
    leftovers = _pids(f"{repo}/.prp") + _pids(f"4[56].{tag}")
    assert all(wait_gone(pid, within=5) for pid in leftovers), f"left running: {leftovers}"
    assert not (repo / ".prp" / "redis.sock").exists()


def _outputs(repo: Path) -> list[Path]:
    return sorted((repo / ".prp" / "runs").glob("*/prp.md"))


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.7])
def test_ctrl_c_during_long_checks_cancels_writes_outputs_and_exits_3(tmp_path: Path, delay: float) -> None:
    tag = str(os.getpid())[-4:] + str(int(delay * 10))
    (tmp_path / "wf.yaml").write_text(LONG % {"tag": tag})
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("a checkout: the run's workspace is a worktree registered in it\n")
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "i"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True)
    terminal = Terminal.start(["run", str(repo), "--workflow", str(tmp_path / "wf.yaml")], tmp_path)
    deadline = time.monotonic() + 60
    while not _pids(f"45.{tag}") or not _pids(f"46.{tag}"):  # both checks of B are running
        assert time.monotonic() < deadline, terminal.text()[-3000:]
        time.sleep(0.05)
    time.sleep(delay)
    started = time.monotonic()
    terminal.ctrl_c()
    assert terminal.exit_code(within=20) == 3, terminal.text()[-3000:]
    assert time.monotonic() - started < 10  # a check ignoring SIGTERM costs its 2 s grace
    assert "interrupted: cancelling" in terminal.text()
    assert "Traceback" not in terminal.text() and "sweep failed" not in terminal.text()
    [prp_md] = _outputs(repo)
    assert "cancelled" in prp_md.read_text().lower()
    _nothing_left(repo, tag)
    listed = subprocess.run(
        ["git", "worktree", "list", "--porcelain"], cwd=repo, capture_output=True, text=True
    )
    assert listed.stdout.count("worktree ") == 1, listed.stdout  # the run's workspace is gone


@pytest.mark.slow
def test_ctrl_c_while_a_gate_waits_for_approval_cancels_and_exits_3(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(PARKED)
    repo = tmp_path / "repo"
    repo.mkdir()
    terminal = Terminal.start(["run", str(repo), "--workflow", str(tmp_path / "wf.yaml")], tmp_path)
    terminal.wait_for("approve run-")  # (a long socket path wraps the hint before "approve")
    terminal.ctrl_c()
    assert terminal.exit_code(within=15) == 3, terminal.text()[-3000:]
    assert "Traceback" not in terminal.text()
    assert len(_outputs(repo)) == 1
    record = next((repo / ".prp" / "runs").glob("*/run.json")).read_text()
    assert '"status": "cancelled"' in record
    _nothing_left(repo, "none")


@pytest.mark.slow
def test_a_second_ctrl_c_stops_waiting_but_still_stops_everything(tmp_path: Path) -> None:
    tag = str(os.getpid())[-4:] + "9"
    (tmp_path / "wf.yaml").write_text(LONG % {"tag": tag})
    repo = tmp_path / "repo"
    repo.mkdir()
    terminal = Terminal.start(["run", str(repo), "--workflow", str(tmp_path / "wf.yaml")], tmp_path)
    deadline = time.monotonic() + 60
    while not _pids(f"45.{tag}"):
        assert time.monotonic() < deadline, terminal.text()[-3000:]
        time.sleep(0.05)
    terminal.ctrl_c()
    time.sleep(0.3)
    terminal.ctrl_c()
    assert terminal.exit_code(within=20) == 3, terminal.text()[-3000:]
    assert "Traceback" not in terminal.text()
    _nothing_left(repo, tag)


INTERRUPT_ON_IMPORT = """
import os, signal, sys

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "prp_tasks.cli.inspection":  # SIGINT while the commands' modules load
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Interrupt())
"""
INTERRUPT_BUILDING_COMMANDS = """
import os, signal, sys

def interrupt(frame, event, arg):  # SIGINT while typer builds the commands, before any runs
    if event == "call" and frame.f_code.co_name == "get_command" and "typer" in frame.f_code.co_filename:
        sys.setprofile(None)
        os.kill(os.getpid(), signal.SIGINT)

sys.setprofile(interrupt)
"""
INTERRUPT_IN_A_COMMAND = INTERRUPT_BUILDING_COMMANDS.replace(
    'co_name == "get_command" and "typer"', 'co_name == "doctor" and "prp_tasks"'
)  # a command that does not take Ctrl-C over itself: typer ends it with 130, nothing printed


@pytest.mark.parametrize(
    ("hook", "said"),
    [
        (INTERRUPT_ON_IMPORT, "error: interrupted while starting\n"),
        (INTERRUPT_BUILDING_COMMANDS, "error: interrupted\n"),
        (INTERRUPT_IN_A_COMMAND, ""),
    ],
    ids=["importing", "building-commands", "in-a-command"],
)
def test_ctrl_c_while_prp_loads_ends_it_with_one_line(tmp_path: Path, hook: str, said: str) -> None:
    """Ctrl-C a second after ``prp run`` was typed printed a KeyboardInterrupt traceback from the
    imports of ``prp_tasks.cli.inspection``, or from typer building the commands, and exited 130."""
    (tmp_path / "sitecustomize.py").write_text(hook)
    env = {**clean_env(), "PYTHONPATH": str(tmp_path)}
    argv = [sys.executable, "-m", "prp_tasks", "doctor" if "doctor" in hook else "--version"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", said)
    plain = subprocess.run(
        [sys.executable, "-m", "prp_tasks", "--version"], env=clean_env(), capture_output=True, text=True
    )
    assert (plain.returncode, plain.stdout.strip()) == (0, "0.1.0")


def test_ctrl_c_before_the_run_is_submitted_exits_130_with_no_run(tmp_path: Path) -> None:
    """A Ctrl-C a second after ``prp run`` started (bracex: while the run's spec was prepared)
    said "interrupted" and exited 3, "cancelled", with no run; the exit codes say 130."""
    hook = INTERRUPT_BUILDING_COMMANDS.replace(
        'co_name == "get_command" and "typer"', 'co_name == "prepare_run" and "prp_tasks"'
    )
    (tmp_path / "sitecustomize.py").write_text(hook)
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**clean_env(), "PYTHONPATH": str(tmp_path)}
    argv = [sys.executable, "-m", "prp_tasks", "run", str(repo)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "error: interrupted while starting\n")
    assert not (repo / ".prp" / "runs").exists()
