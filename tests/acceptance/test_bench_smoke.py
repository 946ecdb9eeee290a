"""Benches do not rot: every benchmark entry point runs at smoke size and says what it printed.

Every ``bench/*.py`` not starting with ``_`` (helpers do) is a benchmark, found here by that rule so
a new one cannot be forgotten. Without running it, its source must define ``JSON_KEYS`` (a literal
tuple) and name each key in its docstring. Then ``python bench/X.py --smoke`` runs from the
repository root: it must exit 0 and print as its last line one JSON object whose top-level keys
are exactly ``JSON_KEYS``, and leave no process behind.

The benchmark runs under a launcher (this file run as a script, ``--launch``) that makes itself a
child subreaper (``PR_SET_CHILD_SUBREAPER``): whatever the benchmark started and did not stop is
re-parented to the launcher when its parent exits, however it was started (its own session, a
scrubbed environment), so the launcher can name it, and kill it so nothing outlives the test.
``TMPDIR`` points at a directory of the test's own that must be empty again afterwards. The
benchmarks run two at a time (:data:`PARALLEL`); each test still reports one of them.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))
TIMEOUT_S = 180  #: per benchmark at smoke size (about 30 s at most on a 2-core machine)
PARALLEL = 2  #: benchmarks run at once
GRACE_S = 2.0  #: how long a process may take to exit after the benchmark did
PR_SET_CHILD_SUBREAPER = 36


def json_keys(script: Path) -> tuple[str, ...]:
    """The script's ``JSON_KEYS``, read from its source; its docstring must name every key."""
    tree = ast.parse(script.read_text(), filename=str(script))
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "JSON_KEYS" for t in targets):
            keys = tuple(ast.literal_eval(value))
            doc = ast.get_docstring(tree) or ""
            undocumented = [k for k in keys if k not in doc]
            assert not undocumented, f"{script.name}: JSON_KEYS not in the docstring: {undocumented}"
            return keys
    pytest.fail(f"{script.name} defines no JSON_KEYS")


def test_every_bench_documents_its_json_keys_and_has_a_smoke_size() -> None:
    assert SCRIPTS, f"no benchmark in {BENCH}"
    for script in SCRIPTS:
        keys = json_keys(script)
        assert keys and len(set(keys)) == len(keys), f"{script.name}: {keys}"
        assert "--smoke" in script.read_text(), f"{script.name} has no --smoke"


@dataclass(frozen=True)
class Smoke:
    """What one benchmark at smoke size did."""

    outcome: dict[str, Any]  #: the launcher's report: exit code, timed out, survivors
    stdout: str
    stderr: str
    elapsed: float
    left: list[str]  #: what it left in its TMPDIR


def smoke(script: Path, tmp: Path) -> Smoke:
    report = tmp / "report.json"
    with tempfile.TemporaryDirectory(prefix="prp-bs-") as private_tmp:  # short: unix socket paths
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, __file__, "--launch", str(report), str(script.relative_to(ROOT)), "--smoke"],
            cwd=ROOT,
            env=os.environ | {"TMPDIR": private_tmp},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S + 45,
        )
        elapsed = time.monotonic() - began
        left = sorted(p.name for p in Path(private_tmp).iterdir())
    return Smoke(json.loads(report.read_text()), done.stdout, done.stderr, elapsed, left)


@pytest.fixture(scope="module")
def smokes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Path, Future[Smoke]]]:
    """The selected benchmarks, started :data:`PARALLEL` at a time when the first is asked for
    (each is a few processes that mostly wait on one another; one at a time took ~110 s)."""
    selected = [
        item.callspec.params["script"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_bench_runs_at_smoke_size"
    ]
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        yield {s: pool.submit(smoke, s, tmp_path_factory.mktemp(s.stem)) for s in selected}


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT_S * 2 + 120)
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_bench_runs_at_smoke_size(script: Path, smokes: dict[Path, Future[Smoke]]) -> None:
    keys = json_keys(script)
    done = smokes[script].result()
    outcome = done.outcome
    where = f"{script.name} --smoke ({done.elapsed:.1f} s)\nstderr tail:\n{done.stderr[-3000:]}"
    assert not outcome["timed_out"], f"{where}\ntimed out after {TIMEOUT_S} s"
    assert outcome["returncode"] == 0, f"{where}\nexit {outcome['returncode']}"
    assert not outcome["survivors"], f"{where}\nleft running: {outcome['survivors']}"
    assert not done.left, f"{where}\nleft in TMPDIR: {done.left}"
    lines = done.stdout.strip().splitlines()
    assert lines, where
    result = json.loads(lines[-1])
    assert isinstance(result, dict), lines[-1]
    missing, undocumented = set(keys) - set(result), set(result) - set(keys)
    assert not missing and not undocumented, f"{where}\nmissing {missing}, undocumented {undocumented}"


# the launcher: python tests/acceptance/test_bench_smoke.py --launch REPORT SCRIPT ARGS... --------


def processes() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, state letter)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
                found[int(entry.name)] = (int(ppid), state)
    return found


def descendants() -> list[int]:
    """This process's living descendants, after reaping its exited children."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    table = processes()
    found, frontier = [], [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, state) in table.items() if ppid == parent and state != "Z"]
        found += children
        frontier += children
    return found


def describe(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"{pid} (gone)"
    return f"{pid}: {b' '.join(argv).decode(errors='replace').strip()[:300]}"


def run_bench(argv: list[str]) -> tuple[int, bool]:
    """Run the benchmark; past TIMEOUT_S, SIGTERM (it cleans up), then SIGKILL. (exit code, timed out)"""
    bench = subprocess.Popen([sys.executable, *argv], cwd=ROOT)
    try:
        return bench.wait(TIMEOUT_S), False
    except subprocess.TimeoutExpired:
        bench.terminate()
        try:
            return bench.wait(30), True
        except subprocess.TimeoutExpired:
            bench.kill()
            return bench.wait(), True


def launch(report: Path, argv: list[str]) -> None:
    """Run the benchmark as a child subreaper; report its exit and what it left; kill all that."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    code, timed_out = run_bench(argv)
    deadline = time.monotonic() + GRACE_S
    while (left := descendants()) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [describe(pid) for pid in left]
    report.write_text(json.dumps({"returncode": code, "timed_out": timed_out, "survivors": survivors}))
    deadline = time.monotonic() + 10
    while (left := descendants()) and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


if __name__ == "__main__" and sys.argv[1:2] == ["--launch"]:
    launch(Path(sys.argv[2]), sys.argv[3:])
