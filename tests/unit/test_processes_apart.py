"""A worker's short helper programs (the interpreter's probe, ``pip freeze``) run in a session of
their own: the Ctrl-C of a terminal the worker shares (``prp run``'s own worker) is not theirs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups")

#: a "worker": leads its own process group (as a terminal's foreground job), survives SIGINT as
#: prp run's worker does, runs a helper program through ``run_apart`` and writes what it saw
WORKER = """
import signal, sys
from pathlib import Path
from prp_tasks.processes.spawn import run_apart
signal.signal(signal.SIGINT, lambda *_: None)  # (a handler: an ignored SIGINT would be inherited)
Path(sys.argv[1]).write_text("started")
done = run_apart(["sh", "-c", "sleep 1; echo ok"], timeout=30)
Path(sys.argv[1]).write_text(f"{done.returncode} {done.stdout.strip()}")
"""


def test_a_ctrl_c_at_the_workers_terminal_does_not_reach_its_helper_programs(tmp_path: Path) -> None:
    """desert: Ctrl-C during ``prp run`` reached the interpreter's probe; four checks of the
    cancelled run were recorded failing "cannot run the interpreter …: KeyboardInterrupt"."""
    said = tmp_path / "said"
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(said)], process_group=0)
    try:
        deadline = time.monotonic() + 20
        while not (said.exists() and said.read_text() == "started") and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the helper is running
        os.killpg(worker.pid, signal.SIGINT)  # as the terminal sends it to its foreground group
        assert worker.wait(timeout=20) == 0
    finally:
        worker.kill()
    assert said.read_text() == "0 ok"
