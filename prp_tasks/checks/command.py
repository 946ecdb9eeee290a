"""``run`` checks: execute an argv in the workspace, no shell, scrubbed environment, hard timeout.

The programs come from the check's environment (:mod:`prp_tasks.environments`): the project's,
never prp-tasks' own virtualenv. An environment that cannot be set up fails the check with
``environment setup failed: …`` before the command runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prp_tasks.checks.advice import explained
from prp_tasks.checks.base import CheckContext, Outcome
from prp_tasks.checks.coverage_run import missed_threshold, report_argv, report_failure, write_report
from prp_tasks.checks.evidence import TEST_TOOLS, identify, plain_text, tool_summary
from prp_tasks.checks.timeouts import timed_out
from prp_tasks.core.builtin_workflow import TEST_COMMAND
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.redact import redact, redact_argv, secret_env_values
from prp_tasks.core.results import EvidenceType
from prp_tasks.environments import Environments, EnvironmentSetupError, Prepared
from prp_tasks.environments.extensions import build_error
from prp_tasks.processes.capture import HeadRelease, scratch_files
from prp_tasks.processes.spawn import spawn, wait
from prp_tasks.settings import WorkspaceSettings


def scrubbed_env(environ: Mapping[str, str], allowlist: tuple[str, ...]) -> dict[str, str]:
    """Only allow-listed variables (``LANG`` defaulted); the check's environment then decides
    PATH and the Python variables (:meth:`Environments.prepare`)."""
    env = {k: v for k, v in environ.items() if k in allowlist}
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


@functools.cache
def _default_environments() -> Environments:
    """For contexts built without the executor's (tests, tools): the default cache directory."""
    return Environments(WorkspaceSettings())


#: the check of the built-in workflow that runs the project's test command (its evidence is of
#: tests whatever runs them)
TEST_CHECK = f"run-{TEST_COMMAND}"


def run_command(ctx: CheckContext) -> Outcome:
    """Set up the check's environment, run ``ctx.check.run`` in it and judge it by exit code."""
    secrets, base = ENVIRONMENT.get(tuple(ctx.env_allowlist))
    shown = redact_argv(list(ctx.check.run or ()), secrets)
    environments = ctx.environments or _default_environments()
    try:
        with environments.prepare(ctx, base) as prepared:
            outcome = _run(ctx, prepared, secrets)
    except EnvironmentSetupError as exc:
        return setup_failed(ctx, shown, exc.message)
    uncompiled = _uncompiled(outcome, prepared.details) or _other_runs_copy(outcome, prepared.details)
    if uncompiled:
        outcome = dataclasses.replace(outcome, status=CheckStatus.FAIL)
    output = _noted(outcome, prepared.note) if prepared.note else outcome.output
    if outcome.status == CheckStatus.FAIL:
        output = explained(ctx.repo, output, outcome.details, prepared.details)
    if prepared.ran:  # the head line says which tool ran: "exit 0 in 2.1s (pytest 9.2.0, Python 3.11.7)"
        head, newline, rest = output.partition("\n")
        output = f"{head} ({prepared.ran}){newline}{rest}"
    output = f"{uncompiled}\n{output}" if uncompiled else output
    return dataclasses.replace(
        outcome, output=output, details={**outcome.details, "environment": prepared.details}
    )


def _uncompiled(outcome: Outcome, environment: dict[str, Any]) -> str:
    """What a test run's first line says when the project's extensions did not compile in the
    workspace (the run then fails), else ''. One that passed ran the copy the environment had
    installed from an earlier run's checkout (ujson: a C syntax error, its 476 tests passed:
    "ready-for-release"); of one that failed the terminal and ``prp status`` had said only "No
    module named 'xxhash._xxhash'" (xxhash), the compiler's error on the reports' third line."""
    built = environment.get("extensions")
    if outcome.status == CheckStatus.SKIP or outcome.evidence_type != EvidenceType.TEST:
        return ""
    if not isinstance(built, dict) or built.get("built"):
        return ""
    error = build_error(built)
    if not error:
        return ""
    return f"the project's extensions do not compile in this checkout ({error}): " + (
        "the tests' pass is not of its compiled code"
        if outcome.status == CheckStatus.PASS
        else "its tests did not run this checkout's compiled code"
    )


def _other_runs_copy(outcome: Outcome, environment: dict[str, Any]) -> str:
    """What a test run's first line says when it imported the project's modules from the copy
    its environment installed from another run's files (:mod:`prp_tasks.environments.owncopy`;
    the run then fails), else ''."""
    stale = environment.get("own_copy_imported")
    if not stale or outcome.status == CheckStatus.SKIP or outcome.evidence_type != EvidenceType.TEST:
        return ""
    names = ", ".join(stale)
    return (
        f"the tests imported {names} from the copy of the project their environment installed from "
        f"an earlier run's files, not from this checkout (no {names} on PYTHONPATH, in the working "
        "directory or at the top): set PYTHONPATH in the check's environment variables"
        + ("; the tests' pass is not of this checkout's code" if outcome.status == CheckStatus.PASS else "")
    )


def _noted(outcome: Outcome, note: str) -> str:
    """The summary with the environment's note after its head and facts line (reports quote
    those two lines: the counts stay); without facts, at its end, so the second line stays the
    tool's own (cachetools: "environment: built in 5.0s" where "25 files already formatted" was)."""
    lines = outcome.output.split("\n")
    head = 2 if outcome.details.get("facts") and len(lines) > 1 else len(lines)
    return "\n".join(p for p in (*lines[:head], note, *lines[head:]) if p)


def setup_failed(ctx: CheckContext, shown: list[str], message: str) -> Outcome:
    """The check fails (or, cancelled, is skipped) before its command runs."""
    if message.startswith("stopped:"):
        return Outcome(CheckStatus.SKIP, "stopped: run cancelled", EvidenceType.COMMAND, {"argv": shown})
    details = {"argv": shown, "environment": {"error": message}}
    offline = "package index is unreachable" in message
    return Outcome(
        CheckStatus.FAIL,
        f"environment setup failed: {message}",
        EvidenceType.COMMAND,
        details,
        retryable=offline,
    )


#: directories a command finds in its working directory: the reports `prp init`'s commands write
#: (``--output-file=.prp/reports/ruff.json``: older ruff versions do not create the directory)
#: and the caches it points tools at
PREPARED_DIRS = (".prp/reports", ".prp/cache")


def _prepare_dirs(workdir: Path) -> None:
    root = str(workdir)
    for name in PREPARED_DIRS:
        path = os.path.join(root, name)
        if os.path.isdir(path):  # the usual case after the run's first check: one stat
            continue
        with contextlib.suppress(OSError):  # a read-only or odd checkout: the command says so itself
            os.makedirs(path, exist_ok=True)


def _run(ctx: CheckContext, prepared: Prepared, secrets: tuple[str, ...]) -> Outcome:
    argv = list(ctx.check.run or ())
    env = prepared.env
    shown = redact_argv(argv, secrets)
    missing = _missing_workdir(ctx)
    if missing:
        return Outcome(CheckStatus.FAIL, missing, EvidenceType.COMMAND, {"argv": shown})
    cwd = ctx.cwd
    if ctx.workdir is not None:  # the run's workspace (never the user's own directory)
        _prepare_dirs(cwd)
    with scratch_files() as (out, err):
        started = time.monotonic()
        try:
            proc = spawn(argv, str(cwd), env, out, err)
        except OSError as exc:
            return Outcome(
                CheckStatus.FAIL,
                f"cannot start {shown[0]!r}: {exc.strerror or exc}",
                EvidenceType.COMMAND,
                {"argv": shown, "error": str(exc)},
            )
        ended = wait(proc, ctx.timeout_s, ctx.stop, HeadRelease((out, err), _kept(ctx, secrets)))
        report = report_argv(argv) if ended == "exited" else None
        written = write_report(report, str(cwd), env, ctx.stop, out) if report else None
        duration_ms = int((time.monotonic() - started) * 1000)
        shorten = functools.partial(in_repo_terms, ctx)
        window = _facts_window(ctx, proc.returncode, ended)
        stdout, out_end = _redacted_ends(out, ctx.output_tail_bytes, window, secrets, shorten)
        stderr, err_end = _redacted_ends(err, ctx.output_tail_bytes, window, secrets, shorten)
    details = {
        "argv": shown,
        "exit_code": proc.returncode,
        "duration_ms": duration_ms,
        "ended": ended,
        "stdout_tail": stdout,
        "stderr_tail": stderr,
    }
    if written is not None:
        details["coverage_report"] = written
    return _judge(ctx, proc.returncode, ended, duration_ms, details, secrets, (out_end, err_end))


#: how much of a failed command's output its tool's report is read from (bytes from the end): the
#: stored tail (``output_tail_bytes``) holds the closing lines, but unittest prints each failed
#: test's block before its summary (a broken pycparser: 8 KB of ``ERROR:`` blocks, and the one
#: ``FAIL:`` among them, 5 KB before the end, was counted but not named)
FACTS_WINDOW_BYTES = 256 * 1024


def _facts_window(ctx: CheckContext, code: int | None, ended: str) -> int:
    """Bytes of the output's end the facts are read from: more than the stored tail only for a
    command that failed (a passing one's counts are in its closing lines; redacting a large
    output costs about 0.3 ms per KB)."""
    if ended == "exited" and code == 0:
        return ctx.output_tail_bytes
    return max(ctx.output_tail_bytes, FACTS_WINDOW_BYTES)


def _missing_workdir(ctx: CheckContext) -> str:
    """Why the check's ``workdir`` cannot be run in (not a folder of the repository), or ''."""
    if not ctx.check.workdir:
        return ""
    top = ctx.repo.resolve()
    if ctx.cwd.resolve().is_relative_to(top) and ctx.cwd.is_dir():
        return ""
    return f"cannot run in {ctx.check.workdir}/: it is not a folder of the repository (the check's workdir)"


def in_repo_terms(ctx: CheckContext, text: str) -> str:
    """Paths in the run's workspace (the copy of the user's checkout the check ran in, under the
    cache directory) as the user knows them: relative to the directory the check ran in, e.g.
    ``would reformat pkg/mod.py``, not ``would reformat ~/.cache/prp-tasks/worktrees/run-…/pkg/mod.py``."""
    if ctx.workdir is None or str(ctx.workdir) not in text:  # (the user's own directory: theirs)
        return text
    return _workspace_path(str(ctx.workdir)).sub(lambda m: "" if m[0].endswith("/") else ".", text)


@functools.lru_cache(maxsize=64)
def _workspace_path(root: str) -> re.Pattern[str]:
    """``root/`` (dropped) or ``root`` itself (``.``), not inside a longer path (``/mnt`` + root)."""
    return re.compile(rf"(?<![\w./-]){re.escape(root)}(?:/|(?![\w.-]))")


def _timed_out(ctx: CheckContext, details: dict[str, object], last: str) -> str:
    """:func:`.timeouts.timed_out` of the output's tails, in the repository's terms."""
    tails = [
        in_repo_terms(ctx, plain_text(str(details.get(k) or ""))) for k in ("stdout_tail", "stderr_tail")
    ]
    return timed_out(ctx, details, last, (tails[0], tails[1]))


def _judge(
    ctx: CheckContext,
    code: int,
    ended: str,
    duration_ms: int,
    details: dict[str, object],
    secrets: tuple[str, ...],
    ends: tuple[str, str] | None = None,
) -> Outcome:
    # facts (from the outputs' ``ends``), then the tails
    last, kind = tool_summary(ctx.cwd, ctx.check.run or (), details, secrets, ends)
    last = in_repo_terms(ctx, last)
    if kind == EvidenceType.COMMAND and ctx.check.name == TEST_CHECK:  # a runner of the project's own
        kind = EvidenceType.TEST  # (commonmark's spec runner: prp.md's §7 had no test evidence)
    if ended == "timeout":  # what it printed so far says how far it got (cachelib: services missing)
        summary = _timed_out(ctx, details, last)
        if identify(list(ctx.check.run or ()))[0] in TEST_TOOLS:
            kind = EvidenceType.TEST  # a test run that never finished is test evidence
        return Outcome(CheckStatus.FAIL, summary, kind, details, retryable=ctx.check.retry_on.timeout)
    if ended == "stopped":
        return Outcome(CheckStatus.SKIP, "stopped: run cancelled", EvidenceType.COMMAND, details)
    status = CheckStatus.PASS if code == 0 else CheckStatus.FAIL
    summary = f"exit {code} in {duration_ms / 1000:.2f}s"
    if status == CheckStatus.PASS and _ran_no_tests(details):
        status, summary = CheckStatus.FAIL, f"{summary}, but no test ran"
    elif code == NO_TESTS and identify(list(ctx.check.run or ()))[0] in TEST_TOOLS:
        summary += ": no test was found to run"  # pytest's (and Python 3.12+ unittest's) exit 5
    if status == CheckStatus.PASS:
        status, summary, note = _with_coverage(ctx, summary, details)
        if note:  # after the facts line, which consoles and reports quote first
            facts, newline, rest = last.partition("\n")
            last = f"{facts}\n{note}{newline}{rest}"
    if code in ctx.check.retry_on.exit_codes:
        summary += " (transient: retry_on.exit_codes)"
        return Outcome(status, f"{summary}\n{last}".strip(), kind, details, retryable=True)
    return Outcome(status, f"{summary}\n{last}".strip(), kind, details)


def _with_coverage(
    ctx: CheckContext, summary: str, details: dict[str, object]
) -> tuple[CheckStatus, str, str]:
    """(status, head, note) of a passed ``coverage run``: it fails when its total is below the
    project's ``fail_under``, or its report could not be written, while the profile enforces
    coverage; otherwise (measured for the evidence only: ordered-set's stale ``.coveragerc``,
    jsonschema-specifications' ``fail_under`` in a configuration nothing of it runs) the tests
    passed, and a note says what the report said."""
    report = details.get("coverage_report")
    missed = _coverage_missed(report, details) if isinstance(report, dict) else None
    if missed is None:
        return CheckStatus.PASS, summary, ""
    missed = in_repo_terms(ctx, missed)  # (a file it could not parse, as the user knows it)
    if ctx.profile.budgets.coverage is not None:
        return CheckStatus.FAIL, f"{summary}, but {missed}", ""
    return CheckStatus.PASS, summary, f"{missed}: coverage is not enforced (budgets.coverage: null)"


BELOW_FAIL_UNDER = "coverage is below the project's fail_under"


def _coverage_missed(report: dict[str, object], details: dict[str, object]) -> str | None:
    """What the ``coverage run`` report says is wrong: the total below the project's
    ``fail_under``, or no report at all (coverage measured nothing)."""
    if missed_threshold(report):
        return BELOW_FAIL_UNDER
    return report_failure(report, f"{details.get('stdout_tail') or ''}\n{details.get('stderr_tail') or ''}")


#: the exit code of pytest (and of unittest since Python 3.12) when no test was collected
NO_TESTS = 5


def _ran_no_tests(details: dict[str, object]) -> bool:
    """unittest found no test and said OK (exit 0 before Python 3.12, which exits 5 as pytest
    does): a test suite that ran nothing has not passed."""
    facts = details.get("facts")
    unittest = facts.get("unittest") if isinstance(facts, dict) else None
    return isinstance(unittest, dict) and unittest.get("tests") == 0


def _kept(ctx: CheckContext, secrets: tuple[str, ...]) -> int:
    """Bytes at the end of an output :func:`_redacted_ends` may read (the output's beginning is
    released while the command runs: :mod:`prp_tasks.processes.capture`)."""
    return max(ctx.output_tail_bytes, FACTS_WINDOW_BYTES) + _margin(secrets)


def _margin(secrets: tuple[str, ...]) -> int:
    return 4096 + max((len(s) for s in secrets), default=0)


def _redacted_ends(
    fd: int, limit: int, window: int, secrets: tuple[str, ...], shorten: Callable[[str], str] = str
) -> tuple[str, str]:
    """The last ``limit`` characters (the stored tail) and the last ``window`` (``window`` ≥
    ``limit``: what the facts are read from), redacted *before* cutting so no secret is cut in half.

    A margin larger than any secret is read and redacted first, so a secret overlapping the kept
    end is already masked when the text is cut. ``shorten`` (workspace paths made relative) runs
    before redaction, so it cannot join the halves of a secret printed around such a path.
    """
    size = os.fstat(fd).st_size
    if size == 0:
        return "", ""
    start = max(0, size - max(limit, window) - _margin(secrets))
    text = redact(shorten(os.pread(fd, size - start, start).decode("utf-8", errors="replace")), secrets)
    return _end(text, size, limit), _end(text, size, window)


def _end(text: str, size: int, limit: int) -> str:
    if size <= limit and len(text) <= limit:
        return text
    return "…" + text[-limit:]
