"""Workers killed with SIGKILL mid-check: the run completes and every result is recorded once.

Each test gets its own Redis and real worker processes (``prp worker``, prefork), so nothing
in-process competes for the messages.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.run import RunStatus
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings, load_settings
from tests.conftest import EMBEDDED_SERVER, ROOT, wait_until
from tests.integration.conftest import check_lines, events
from tests.processes import wait_gone

pytestmark = pytest.mark.slow

ENV = {
    "PRP_CHECK_LEASE_S": "1",
    "PRP_VISIBILITY_TIMEOUT_S": "3",
    "PRP_RESTORE_INTERVAL_S": "1",
    "PRP_TASK_EVENTS": "false",
    "PRP_KEY_PREFIX": "kill",
}


@pytest.fixture
def private(tmp_path: Path) -> Iterator[Settings]:
    server = EmbeddedRedis(tmp_path / "redis", server=EMBEDDED_SERVER)
    server.start()
    try:
        yield load_settings(redis_url=server.url, key_prefix="kill", check_lease_s=1)
    finally:
        server.stop()


class Workers:
    """``prp worker`` processes started for one test (all killed at the end); with ``logs``, each
    worker's output goes to a file there, which :meth:`report` shows when a test fails."""

    def __init__(self, settings: Settings, logs: Path | None = None) -> None:
        self.settings = settings
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self, extra_env: dict[str, str] | None = None, args: list[str] | None = None
    ) -> subprocess.Popen[bytes]:
        """A worker for every class (prefork, 2 processes) unless ``args`` says otherwise."""
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PRP_")}, **ENV}
        env["PRP_REDIS_URL"] = self.settings.redis_url or ""
        env["PRP_KEY_PREFIX"] = self.settings.key_prefix
        env.update(extra_env or {})
        args = args if args is not None else ["--pool", "prefork", "--concurrency", "2"]
        if "--hostname" not in args:
            args = [*args, "--hostname", f"w{len(self.procs)}@test"]
        with contextlib.ExitStack() as files:
            log = None if self.logs is None else files.enter_context(self._log(len(self.procs)).open("wb"))
            proc = subprocess.Popen(
                [sys.executable, "-m", "prp_tasks.cli", "worker", "--loglevel", "WARNING", *args],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL if log is None else log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def _log(self, index: int) -> Path:
        assert self.logs is not None
        self.logs.mkdir(parents=True, exist_ok=True)
        return self.logs / f"worker{index}.log"

    def report(self, lines: int = 30) -> str:
        """Each worker's state (running, or its exit code) and the end of its log."""
        parts = []
        for index, proc in enumerate(self.procs):
            code = proc.poll()
            parts.append(f"worker {index}: {'running' if code is None else f'exited {code}'}")
            if self.logs is not None:
                parts += self._log(index).read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(parts)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def workers(private: Settings) -> Iterator[Workers]:
    pool = Workers(private)
    try:
        yield pool
    finally:
        pool.stop()


def pids_running(marker: str) -> list[int]:
    """Processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(entry.name))
    return found


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def side_effect_workflow(side: Path, marker: str, sleep: float) -> str:
    code = f"import time; open({str(side)!r}, 'a').write('ran;'); time.sleep({sleep})  # {marker}"
    return f"""
name: kill
gates:
  - {{id: A, checks: [{{name: work, run: ["python", "-c", "{code}"]}}]}}
  - {{id: B, depends_on: [A], checks: [{{name: b, run: ["true"]}}]}}
  - {{id: C, checks: [{{name: c, run: ["true"]}}]}}
"""


def submit(settings: Settings, repo: Path, text: str) -> tuple[Control, str]:
    control = Runtime(settings).control
    return control, control.submit(prepare_run(repo, workflow=parse_workflow(text)))


def assert_recorded_once(control: Control, run_id: str) -> None:
    snapshot = control.snapshot(run_id)
    for gate in snapshot.spec.workflow.gate_ids:
        assert len(events(snapshot, "settle", gate)) == 1, gate
        assert len(events(snapshot, "start", gate)) == 1, gate
    fields = check_lines(control, run_id)
    assert sorted(fields) == ["A/work", "B/b", "C/c"]


def test_killing_the_worker_child_mid_check_redelivers_and_records_once(
    private: Settings, workers: Workers, tmp_path: Path
) -> None:
    side, marker = tmp_path / "side.txt", "kill-child-marker"
    workers.start()
    control, run_id = submit(private, tmp_path, side_effect_workflow(side, marker, 2.0))
    wait_until(lambda: side.exists() and bool(pids_running(marker)), timeout=30)
    (check_pid,) = pids_running(marker)
    os.kill(parent_of(check_pid), signal.SIGKILL)  # the prefork child executing the check
    assert wait_gone(check_pid, within=1.0), "the check outlived the pool process that started it"
    assert control.wait_final(run_id, 60)
    snapshot = control.snapshot(run_id)
    assert snapshot.status == RunStatus.PASSED
    assert_recorded_once(control, run_id)
    assert side.read_text().count("ran") >= 2  # at-least-once: the check ran again
    assert check_lines(control, run_id)["A/work"]["attempt"] >= 2


def test_killing_the_whole_worker_mid_check_is_recovered_by_another_worker(
    private: Settings, workers: Workers, tmp_path: Path
) -> None:
    side, marker = tmp_path / "side.txt", "kill-worker-marker"
    first = workers.start()
    control, run_id = submit(private, tmp_path, side_effect_workflow(side, marker, 2.0))
    wait_until(lambda: side.exists() and bool(pids_running(marker)), timeout=30)
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool, mid-check
    first.wait()
    wait_until(lambda: not pids_running(marker), timeout=1.0)  # the check died with its worker
    workers.start()  # redelivers the unacked message after the visibility timeout
    assert control.wait_final(run_id, 90)
    assert control.snapshot(run_id).status == RunStatus.PASSED
    assert_recorded_once(control, run_id)


def test_a_poison_check_fails_as_worker_lost_after_the_configured_attempts(
    private: Settings, workers: Workers, tmp_path: Path
) -> None:
    poison = "import os, signal; os.kill(os.getppid(), signal.SIGKILL)"
    text = f"""
name: poison
gates:
  - {{id: A, checks: [{{name: poison, run: ["python", "-c", "{poison}"]}}]}}
  - {{id: B, depends_on: [A], checks: [{{name: b, run: ["true"]}}]}}
  - {{id: C, checks: [{{name: c, run: ["true"]}}]}}
"""
    workers.start()
    control, run_id = submit(private, tmp_path, text)
    assert control.wait_final(run_id, 90)
    snapshot = control.snapshot(run_id)
    assert {g: v.status.value for g, v in snapshot.gates.items()} == {
        "A": "failed",
        "B": "skipped",
        "C": "passed",
    }
    result = snapshot.gates["A"].checks["poison"]
    assert result.output.startswith("worker lost: 3 execution(s) of this check died")
    assert result.attempt == 4
