"""Where a check that timed out was interrupted, as its summary says it (``checks.command``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from prp_tasks.core.models import CheckStatus
from tests.unit.test_checks_command import PY, content, run

#: a program that, interrupted, says it was in Python's import machinery, as pytest does of a test
#: interrupted while importing (cachelib's suite waiting for services it lacks)
FROZEN = textwrap.dedent(
    """
    import signal, sys, time
    def interrupted(*_):
        print("<frozen importlib._bootstrap_external>:1131: KeyboardInterrupt", flush=True)
        sys.exit(1)
    signal.signal(signal.SIGINT, interrupted)
    print("started", flush=True)
    time.sleep(30)
    """
)


def test_an_interruption_in_a_frozen_module_names_no_place_in_the_repository(tmp_path: Path) -> None:
    """cachelib 0.13.0's hung suite: "interrupted at <frozen importlib._bootstrap_external>:1131",
    a place no one can open, and review.json's finding pointed at it."""
    (tmp_path / "hang.py").write_text(FROZEN)
    result, _ = run(tmp_path, PY, "hang.py", timeout_s=3)
    assert result.status == CheckStatus.FAIL
    assert result.output.startswith(
        "timed out after 3s (interrupted in Python's importlib._bootstrap_external (importing a module), "
        "then stopped; the limit: PRP_CHECK_TIMEOUT_S)"
    ), result.output
    assert "interrupted_at" not in content(result)


def test_a_test_run_stopped_while_collecting_says_no_test_had_run(tmp_path: Path) -> None:
    """A test module that waits as it is imported: the summary said "until then: 0 tests: 0 passed,
    0 failed, 0 errors, 0 skipped", as if the suite had none; pytest was still collecting them."""
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "test_b.py").write_text("import time\n\ntime.sleep(30)\n\ndef test_b():\n    pass\n")
    argv = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=junit.xml", "test_a.py", "test_b.py"]
    result, _ = run(tmp_path, PY, *argv, timeout_s=6)
    assert result.status == CheckStatus.FAIL
    assert result.output.startswith(
        "timed out after 6s (interrupted at test_b.py:3, then stopped; the limit: PRP_CHECK_TIMEOUT_S)\n"
        "until then: no test had run: pytest was collecting them, importing test_b.py\n"
    ), result.output
    assert content(result)["interrupted_at"] == ["test_b.py:3"]
