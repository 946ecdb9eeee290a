"""``run`` checks: execute an argv in the repository, no shell, scrubbed environment, hard timeout."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping

from prp_tasks.checks.base import CheckContext, Outcome
from prp_tasks.checks.evidence import tool_summary
from prp_tasks.checks.spawn import spawn, wait
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.redact import redact, redact_argv, secret_env_values
from prp_tasks.core.results import EvidenceType


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


class EnvironmentView:
    """The secret values and the scrubbed environment of this process, derived once per change of
    ``os.environ`` (comparing the environment is far cheaper than scanning it for every check)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[object, object] | None = None
        self._secrets: tuple[str, ...] = ()
        self._scrubbed: dict[tuple[str, ...], dict[str, str]] = {}

    def get(self, allowlist: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str]]:
        """(secret values, a fresh copy of the scrubbed environment for ``allowlist``)."""
        raw = getattr(os.environ, "_data", None)  # CPython's encoded copy; compared in C
        with self._lock:
            if raw is None or raw != self._seen:
                self._seen = dict(raw) if raw is not None else None
                self._secrets = secret_env_values(os.environ)
                self._scrubbed.clear()
            env = self._scrubbed.get(allowlist)
            if env is None:
                env = self._scrubbed[allowlist] = scrubbed_env(os.environ, allowlist)
            return self._secrets, dict(env)


ENVIRONMENT = EnvironmentView()


def run_command(ctx: CheckContext) -> Outcome:
    """Run ``ctx.check.run`` and judge it by exit code."""
    argv = list(ctx.check.run or ())
    secrets, env = ENVIRONMENT.get(tuple(ctx.env_allowlist))
    shown = redact_argv(argv, secrets)
    with _scratch_files() as (out, err):
        started = time.monotonic()
        try:
            proc = spawn(argv, ctx.repo, env, out, err)
        except OSError as exc:
            return Outcome(
                CheckStatus.FAIL,
                f"cannot start {shown[0]!r}: {exc.strerror or exc}",
                EvidenceType.COMMAND,
                {"argv": shown, "error": str(exc)},
            )
        ended = wait(proc, ctx.timeout_s, ctx.stop)
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
    last, kind = tool_summary(ctx.repo, ctx.check.run or (), details)  # facts, then stdout/stderr tails
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
        return Outcome(status, f"{summary}\n{last}".strip(), kind, details, retryable=True)
    return Outcome(status, f"{summary}\n{last}".strip(), kind, details)


@contextlib.contextmanager
def _scratch_files() -> Iterator[tuple[int, int]]:
    """Two anonymous files (stdout, stderr) as plain descriptors: nothing to clean up but closing
    them, and cheaper than two ``tempfile.TemporaryFile`` objects per check."""
    fds: list[int] = []
    try:
        fds.append(_scratch_fd())
        fds.append(_scratch_fd())
        yield fds[0], fds[1]
    finally:
        for fd in fds:
            os.close(fd)


def _scratch_fd() -> int:
    try:
        return os.open(tempfile.gettempdir(), os.O_TMPFILE | os.O_RDWR, 0o600)
    except (AttributeError, OSError):  # no O_TMPFILE (not Linux, or the file system lacks it)
        fd, name = tempfile.mkstemp(prefix="prp-check-")
        os.unlink(name)
        return fd


def _redacted_tail(fd: int, limit: int, secrets: tuple[str, ...]) -> str:
    """The last ``limit`` characters, redacted *before* cutting so no secret is cut in half.

    A margin larger than any secret is read and redacted first, so a secret overlapping the kept
    tail is already masked when the text is cut.
    """
    size = os.fstat(fd).st_size
    if size == 0:
        return ""
    margin = 4096 + max((len(s) for s in secrets), default=0)
    start = max(0, size - limit - margin)
    text = redact(os.pread(fd, size - start, start).decode("utf-8", errors="replace"), secrets)
    if size <= limit and len(text) <= limit:
        return text
    return "…" + text[-limit:]
