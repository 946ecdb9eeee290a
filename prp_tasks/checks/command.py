"""``run`` checks: execute an argv in the repository, no shell, scrubbed environment, hard timeout."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from typing import IO

from prp_tasks.checks.base import CheckContext, Outcome
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.redact import redact, redact_argv, secret_env_values
from prp_tasks.core.results import EvidenceType

_POLL_S = 0.05
_PR_SET_PDEATHSIG = 1


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _libc()


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL if the worker that started us dies (Linux)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def scrubbed_env(environ: Mapping[str, str], allowlist: tuple[str, ...]) -> dict[str, str]:
    """Only allow-listed variables, with this interpreter's directory first on PATH.

    Putting the worker's own ``bin`` first makes ``python``/``pytest`` in a check resolve to the
    environment prp-tasks runs in (its virtualenv), whatever the caller's PATH was.
    """
    env = {k: v for k, v in environ.items() if k in allowlist}
    bindir = os.path.dirname(sys.executable)
    path = env.get("PATH", os.defpath)
    env["PATH"] = bindir + os.pathsep + path if bindir else path
    env.setdefault("LANG", "C.UTF-8")
    return env


def run_command(ctx: CheckContext) -> Outcome:
    """Run ``ctx.check.run`` and judge it by exit code."""
    argv = list(ctx.check.run or ())
    secrets = secret_env_values(os.environ)
    shown = redact_argv(argv, secrets)
    env = scrubbed_env(os.environ, ctx.env_allowlist)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                cwd=ctx.repo,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                shell=False,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            return Outcome(
                CheckStatus.FAIL,
                f"cannot start {shown[0]!r}: {exc.strerror or exc}",
                EvidenceType.COMMAND,
                {"argv": shown, "error": str(exc)},
            )
        ended = _wait(proc, ctx)
        duration_ms = int((time.monotonic() - started) * 1000)
        stdout = _redacted_tail(out, ctx.output_tail_bytes, secrets)
        stderr = _redacted_tail(err, ctx.output_tail_bytes, secrets)
    details = {
        "argv": shown,
        "exit_code": proc.returncode,
        "duration_ms": duration_ms,
        "ended": ended,
        "stdout_tail": stdout,
        "stderr_tail": stderr,
    }
    return _judge(ctx, proc.returncode, ended, duration_ms, details)


def _judge(ctx: CheckContext, code: int, ended: str, duration_ms: int, details: dict[str, object]) -> Outcome:
    tail = str(details["stderr_tail"] or details["stdout_tail"]).strip()
    last = "\n".join(tail.splitlines()[-15:])
    if ended == "timeout":
        summary = f"timed out after {ctx.timeout_s:g}s (killed)"
        transient = ctx.check.retry_on.timeout
        return Outcome(CheckStatus.FAIL, summary, EvidenceType.COMMAND, details, retryable=transient)
    if ended == "stopped":
        return Outcome(CheckStatus.SKIP, "stopped: run cancelled", EvidenceType.COMMAND, details)
    status = CheckStatus.PASS if code == 0 else CheckStatus.FAIL
    summary = f"exit {code} in {duration_ms / 1000:.2f}s"
    if code in ctx.check.retry_on.exit_codes:
        summary += " (transient: retry_on.exit_codes)"
        return Outcome(status, f"{summary}\n{last}".strip(), EvidenceType.COMMAND, details, retryable=True)
    return Outcome(status, f"{summary}\n{last}".strip(), EvidenceType.COMMAND, details)


def _wait(proc: subprocess.Popen[bytes], ctx: CheckContext) -> str:
    """Wait for exit, the time limit or a stop request; kill the whole process group if needed."""
    deadline = time.monotonic() + ctx.timeout_s
    while True:
        try:
            proc.wait(timeout=_POLL_S)
            return "exited"
        except subprocess.TimeoutExpired:
            pass
        if ctx.stop.is_set():
            _kill_group(proc)
            return "stopped"
        if time.monotonic() >= deadline:
            _kill_group(proc)
            return "timeout"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the check's process group, then SIGKILL whatever is left of it."""
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _redacted_tail(stream: IO[bytes], limit: int, secrets: tuple[str, ...]) -> str:
    """The last ``limit`` characters, redacted *before* cutting so no secret is cut in half.

    A margin larger than any secret is read and redacted first, so a secret overlapping the kept
    tail is already masked when the text is cut.
    """
    margin = 4096 + max((len(s) for s in secrets), default=0)
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - limit - margin))
    text = redact(stream.read().decode("utf-8", errors="replace"), secrets)
    if size <= limit and len(text) <= limit:
        return text
    return "…" + text[-limit:]
