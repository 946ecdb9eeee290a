"""A check dies with the worker process that started it (prp_tasks.processes.watchdog).

Each scenario runs a small "worker" script as its own process, which starts checks through
``spawn``; the test then kills that worker with SIGKILL (nothing of it runs any more) and looks at
what is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from prp_tasks.processes.spawn import spawn, wait
from prp_tasks.processes.watchdog import WATCHDOG, Watchdog
from tests.processes import is_gone, wait_for_file, wait_gone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

PY = sys.executable
ENV = {"PATH": "/usr/bin:/bin"}
START = (
    "import os, signal, subprocess, sys, time\n"
    "from pathlib import Path\n"
    "from prp_tasks.processes.spawn import spawn\n"
    "from prp_tasks.processes.watchdog import WATCHDOG\n"
    "log = open('check.log', 'wb')\n"
    "def check(*argv):\n"
    "    return spawn(list(argv), '.', {'PATH': '/usr/bin:/bin'}, log, log)\n"
)
#: a check with a grandchild in its process group; prints the grandchild's pid
WITH_GRANDCHILD = (
    f"{PY!r}, '-c', 'import subprocess, time; "
    'p = subprocess.Popen(["sleep", "60"]); print(p.pid, flush=True); time.sleep(60)\''
)


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[tuple[Path, list[subprocess.Popen[bytes]]]]:
    """Where a worker script runs, and the processes to clean up whatever a test left."""
    started: list[subprocess.Popen[bytes]] = []
    yield tmp_path, started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run_worker(place: tuple[Path, list[subprocess.Popen[bytes]]], body: str) -> subprocess.Popen[bytes]:
    where, started = place
    proc = subprocess.Popen([PY, "-c", START + body], cwd=where, start_new_session=True)
    started.append(proc)
    return proc


def pids(where: Path, name: str) -> list[int]:
    return [int(p) for p in wait_for_file(where / name).split()]


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_a_sigkilled_worker_takes_its_running_checks_and_their_children_with_it(worker) -> None:  # type: ignore[no-untyped-def]
    where, _ = worker
    proc = run_worker(
        worker,
        f"a = check('sleep', '60')\n"
        f"b = spawn([{WITH_GRANDCHILD}], '.', {ENV!r}, subprocess.PIPE, log)\n"
        "grandchild = b.stdout.readline().decode().strip()\n"
        "Path('pids').write_text(f'{a.pid} {b.pid} {grandchild} {WATCHDOG.watchdog_pid()}\\n')\n"
        "time.sleep(60)\n",
    )
    sleeper, parent, grandchild, watchdog = pids(where, "pids")
    assert not any(is_gone(p) for p in (sleeper, parent, grandchild, watchdog))
    kill(proc)
    for pid in (sleeper, parent, grandchild):
        assert wait_gone(pid), f"process {pid} outlived the worker that started its check"
    assert wait_gone(watchdog), "the watchdog stays behind"


def test_checks_that_ended_are_not_listed_and_the_watchdog_leaves_with_the_worker(worker) -> None:  # type: ignore[no-untyped-def]
    where, _ = worker
    proc = run_worker(
        worker,
        "from prp_tasks.processes.spawn import wait\n"
        "import threading\n"
        "p = check('true')\n"
        "wait(p, 10, threading.Event())\n"
        "Path('pids').write_text(f'{len(WATCHDOG.running())} {WATCHDOG.watchdog_pid()}\\n')\n"
        "time.sleep(60)\n",
    )
    listed, watchdog = pids(where, "pids")
    assert listed == 0
    kill(proc)
    assert wait_gone(watchdog)


def test_a_forked_child_does_not_keep_its_parents_checks_alive(worker) -> None:  # type: ignore[no-untyped-def]
    """A prefork pool process inherits the worker's descriptors: it must let go of the pipe end."""
    where, _ = worker
    proc = run_worker(
        worker,
        "a = check('sleep', '60')\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "Path('pids').write_text(f'{a.pid} {child}\\n')\n"
        "time.sleep(60)\n",
    )
    check, child = pids(where, "pids")
    kill(proc)
    try:
        assert wait_gone(check), "the forked child kept the watchdog waiting"
        assert not is_gone(child)
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_dead_watchdog_is_started_again_at_the_next_check(worker) -> None:  # type: ignore[no-untyped-def]
    where, _ = worker
    proc = run_worker(
        worker,
        "WATCHDOG.ready()\n"
        "first = WATCHDOG.watchdog_pid()\n"
        "os.kill(first, signal.SIGKILL)\n"
        "os.waitpid(first, 0)\n"
        "a = check('sleep', '60')\n"
        "Path('pids').write_text(f'{a.pid} {first} {WATCHDOG.watchdog_pid()}\\n')\n"
        "time.sleep(60)\n",
    )
    check, first, second = pids(where, "pids")
    assert second != first and not is_gone(second)
    kill(proc)
    assert wait_gone(check), "the check outlived its worker after the first watchdog died"


def test_a_process_runs_at_most_its_number_of_slots_of_checks(tmp_path: Path) -> None:
    watchdog = Watchdog(slots=2)
    sleepers = [subprocess.Popen(["sleep", "60"], start_new_session=True, env=ENV) for _ in range(3)]
    try:
        watchdog.watch(sleepers[0].pid)
        watchdog.watch(sleepers[1].pid)
        with pytest.raises(OSError, match="more than 2 checks running in one process"):
            watchdog.watch(sleepers[2].pid)
        watchdog.release(sleepers[0].pid)
        watchdog.watch(sleepers[2].pid)  # a released slot is used again
        assert watchdog.running() == sorted(p.pid for p in sleepers[1:])
    finally:
        for proc in sleepers:
            watchdog.release(proc.pid)
            proc.kill()
            proc.wait()
    assert watchdog.running() == []


def test_spawn_lists_a_check_while_it_runs_and_wait_unlists_it(tmp_path: Path) -> None:
    proc = spawn(["sleep", "30"], str(tmp_path), ENV, subprocess.DEVNULL, subprocess.DEVNULL)
    stop = threading.Event()
    try:
        assert proc.pid in WATCHDOG.running()
        stop.set()
        assert wait(proc, 10, stop) == "stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.pid not in WATCHDOG.running()


def test_a_check_out_of_time_is_interrupted_even_where_its_worker_ignores_sigint(tmp_path: Path) -> None:
    """billiard's pool processes ignore SIGINT after their fork (so does a shell's background
    job), and an ignored signal is inherited through exec: the interrupt before a timed-out check
    is killed did nothing (readme_renderer's hanging test: "killed", not where it hung)."""
    worker = (
        "import signal, sys, threading, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "from prp_tasks.processes.spawn import spawn, wait\n"
        "log = open('check.log', 'wb')\n"
        "code = 'import time\\ntry:\\n    time.sleep(30)\\n'\n"
        "code += 'except KeyboardInterrupt:\\n    print(\"interrupted\")\\n'\n"
        "proc = spawn([sys.executable, '-c', code], '.', {'PATH': '/usr/bin:/bin'}, log, log)\n"
        "started = time.monotonic()\n"
        "print(wait(proc, 0.5, threading.Event()), time.monotonic() - started < 2.5)\n"
        "print(signal.getsignal(signal.SIGINT) is not signal.SIG_DFL)  # the worker itself: not stopped\n"
    )
    done = subprocess.run([PY, "-c", worker], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["timeout", "True", "True"], done.stderr
    assert (tmp_path / "check.log").read_text().strip() == "interrupted"
