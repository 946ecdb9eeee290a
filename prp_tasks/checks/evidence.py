"""What a ``run`` check's evidence says: facts from the tools' machine output, then output tails.

:func:`tool_summary` is what :mod:`prp_tasks.checks.command` calls once a command has ended. It
recognises the tools the built-in workflow runs (and ``prp init`` configures) from the argv:
pytest, ruff, mypy, flake8 and coverage, also behind ``python -m`` and ``coverage run -m``. It
reads the machine output those tools were asked to write (``--junitxml=F``, ``--cov-report=xml:F``,
``--output-format=json --output-file=F``, ``--junit-xml F``) from the check's working directory,
falls back to the tool's own closing lines, and states the facts first:

    45 ruff violations; first src/x.py:12:E501, src/y.py:3:F401, …
    8 tests: 7 passed, 1 failed, 0 errors, 0 skipped; failing: tests.test_x::test_y; coverage: lines 93.1%

A report file older than the command is never read (a tool that crashed before writing must not
be judged by the previous run's report). The facts land in the evidence as ``details["facts"]``;
the bounded, redacted tails of stdout *and* stderr stay there as ``stdout_tail``/``stderr_tail``.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from prp_tasks.checks import test_output as runners
from prp_tasks.checks import tool_output as parse
from prp_tasks.checks.coverage_facts import measured_coverage, option
from prp_tasks.checks.crashes import LINE_LIMIT, REFUSED, crash_said, usage_error
from prp_tasks.checks.facts_line import ALWAYS, SAID, Facts, facts_line
from prp_tasks.checks.mypy_output import mypy_text_facts
from prp_tasks.checks.pyright_output import pyright_text_facts, ty_text_facts
from prp_tasks.core.argv import python_options
from prp_tasks.core.redact import redact, secret_env_values
from prp_tasks.core.results import EvidenceType
from prp_tasks.core.text import clip, clip_lines
from prp_tasks.workspaces.files import safe_repo_path

#: longest report file read (bytes); larger ones are not parsed
MAX_REPORT_BYTES = 32 * 1024 * 1024
#: the summary (facts line and tail lines) stays below this, so the result's 4000-character
#: output limit never cuts it
SUMMARY_LIMIT = 3000
#: the test runners a command may run (Twisted's trial reports as unittest does)
TEST_TOOLS = ("pytest", "unittest", "trial")
#: a report written this long before the command's recorded start still counts (clock rounding)
STALE_SLACK_S = 2.0


def tool_summary(
    workdir: Path,
    argv: Sequence[str],
    details: dict[str, Any],
    secrets: Sequence[str] | None = None,
    ends: tuple[str, str] | None = None,
) -> tuple[str, EvidenceType]:
    """The summary text after the ``exit N in Xs`` line and the evidence type of a run check.

    Adds ``details["facts"]`` (tool name -> facts) when a tool's output was understood. ``secrets``:
    the values to mask (the caller's, derived once per change of the environment; by default this
    process's secret-looking variables, scanned now). ``ends``: (stdout, stderr) ends longer than
    the details' tails, redacted, to read the facts from (a failed command's: unittest's failed
    tests' blocks come before its summary); by default the tails.
    """
    texts = ends or (str(details.get(k) or "") for k in ("stdout_tail", "stderr_tail"))
    stdout, stderr = (plain_text(text) for text in texts)
    started = time.time() - float(details.get("duration_ms") or 0) / 1000 - STALE_SLACK_S
    reader = ReportReader(workdir, started)
    written = details.get("coverage_report")  # a `coverage run` command's report, written after it
    extra = [("xml", str(written["report"]))] if isinstance(written, dict) and written.get("report") else []
    facts = read_facts(list(argv), stdout, reader, stderr, extra)
    lines = []
    if secrets is None:
        secrets = secret_env_values(os.environ)
    for found in facts.values():  # a failing test's message, as the test printed it
        if isinstance(found, dict) and isinstance(found.get("cause"), str):
            found["cause"] = redact(found["cause"], secrets)
    runs_tests = identify(list(argv))[0] in TEST_TOOLS  # test evidence, facts or not
    counted = "pytest" in facts or "unittest" in facts
    if facts:
        details["facts"] = facts
        lines.append(clip(redact(facts_line(facts, LINE_LIMIT), secrets), LINE_LIMIT))
    if (not facts or (runs_tests and not counted)) and (crash := crash_said(stdout, stderr, details)):
        # black 20.8b1 under click 8.3: no report at all; html5lib's pytest 5.4 on Python 3.11
        # crashed collecting, its summary was only coverage's "lines 0%". First: the coverage of
        # a run that ran nothing is not the news (flask's syntax error: "coverage: lines 1.9%" was
        # all the progress line said)
        lines.insert(0, redact(f"{_crashed_how(stdout, stderr)}: {crash}", secrets))
    elif not facts and (refused := usage_error(stderr) or usage_error(stdout)):  # it checked nothing
        lines.append(redact(f"{REFUSED}, nothing was checked: {refused}", secrets))
    elif not facts and (counts := counts_said(stdout) or counts_said(stderr)):
        lines.append(redact(counts, secrets))  # a runner of the project's own: what it counted
    # the tails but the facts line again (ruff format's "34 files already formatted")
    lines += [t for t in tail_lines(stdout, stderr, 5 if facts else 15) if t not in lines]
    kind = (
        EvidenceType.TEST if runs_tests or "pytest" in facts or "unittest" in facts else EvidenceType.COMMAND
    )
    if kind == EvidenceType.COMMAND and "coverage" in facts:
        kind = EvidenceType.COVERAGE
    return clip_lines(lines, SUMMARY_LIMIT), kind


#: a test runner's own count line (commonmark's spec runner: ``567 tests passed, 82 failed``)
_COUNTS = re.compile(
    r"\b\d+ (?:tests?|examples?|specs?|cases?) (?:passed|failed|succeeded|ran|run)\b"
    r"|\b\d+ passed\b.*\b\d+ failed\b|\b\d+ failed\b.*\b\d+ passed\b",
    re.I,
)


def counts_said(text: str) -> str:
    """The last line of ``text`` that counts tests, as a runner the facts do not know wrote it
    (commonmark's ``run_spec_tests.py``: its summary had been "Test #636 ✗", the first of its
    last lines, its ``567 tests passed, 82 failed`` among the rest); '' when none does."""
    said = [line.strip() for line in text.splitlines()[-40:] if _COUNTS.search(line)]
    return clip(said[-1], LINE_LIMIT) if said else ""


#: how a summary's crash line begins: the tool's own crash, or pytest that could not import a
#: conftest (structlog's and arrow's syntax errors: "the tool crashed" read as pytest's fault), or
#: a plugin (time-machine's own, its ``pytest11`` entry point: a syntax error in its package)
CRASHED, UNLOADED = "the tool crashed", "the tests could not be loaded (a conftest failed to import)"
PLUGIN_UNLOADED = "the tests could not be run (a pytest plugin failed to import)"


def _crashed_how(stdout: str, stderr: str) -> str:
    """What a crash was: :data:`UNLOADED` when pytest could not import a conftest,
    :data:`PLUGIN_UNLOADED` a plugin, else :data:`CRASHED`."""
    for pattern, said in ((_CONFTEST_FAILED, UNLOADED), (_PLUGIN_FAILED, PLUGIN_UNLOADED)):
        if pattern.search(stderr) or pattern.search(stdout):
            return said
    return CRASHED


_CONFTEST_FAILED = re.compile(r"^ImportError while loading conftest ", re.M)
_PLUGIN_FAILED = re.compile(r'^Error while loading plugin "', re.M)

#: terminal colour and cursor codes (slugify's ``addopts = "--color=yes"``): read and shown without
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain_text(text: str) -> str:
    """``text`` without terminal colour and cursor codes (wcwidth's ``--color=yes``: its interrupt's
    place was read as an escape-coded absolute path of prp's workspace)."""
    return _ANSI.sub("", text)


def tail_lines(stdout: str, stderr: str, count: int) -> list[str]:
    """The last lines of stdout and of stderr (both when both have text), each cut at a space and
    indented as the tool indented it (a traceback's frames under their ``File …`` lines)."""
    out = [line for line in stdout.strip().splitlines() if line.strip()]
    err = [line for line in stderr.strip().splitlines() if line.strip()]
    if out and err:
        err_count = max(1, count // 3)
        picked = out[-(count - err_count) :] + err[-err_count:]
    else:
        picked = (out or err)[-count:]
    return [_indent(line) + clip(line, LINE_LIMIT) for line in picked]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())][:16]


class ReportReader:
    """Reads report files named in an argv, only inside ``workdir`` and only if written by this run."""

    def __init__(self, workdir: Path, not_before: float) -> None:
        self.workdir = workdir
        self.not_before = not_before
        self.read: list[str] = []

    def get(self, name: str) -> bytes | None:
        path = safe_repo_path(self.workdir, name)
        try:
            if path is None or not path.is_file():
                return None
            info = path.stat()
            if info.st_mtime < self.not_before or info.st_size > MAX_REPORT_BYTES:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        self.read.append(name)
        return data


def read_facts(
    argv: list[str],
    stdout: str,
    reader: ReportReader,
    stderr: str = "",
    extra: list[tuple[str, str]] | None = None,
) -> dict[str, Facts]:
    """Tool name -> facts, for every recognised tool of ``argv`` whose output could be read
    (``extra``: coverage reports written for it, ``(kind, path)``)."""
    tool, args = identify(argv)
    out: dict[str, Facts] = {}
    parser = _TOOLS.get(tool or "")
    text = stderr if tool == "unittest" else stdout  # unittest reports on stderr
    text = f"{stdout}\n{stderr}" if tool in _FORMATTERS else text  # black's summary is on stderr
    if parser is not None:
        found = _safely(lambda: parser(args, text, reader))
        if found is not None:  # (trial's counts are unittest's, read the same way)
            out["unittest" if tool == "trial" else str(tool)] = found
    elif tool not in _NOT_TESTS or (tool == "coverage" and args[:1] == ["run"]):
        out |= _runner_facts(stdout, stderr)  # (argcomplete: ``coverage run … ./test/test.py -v``)
    coverage = measured_coverage(tool, args, (stdout, stderr), reader, extra or [])
    if coverage is not None:
        out["coverage"] = coverage
    return out


#: tools whose output has no test counts to look for
_NOT_TESTS = frozenset({"coverage", "pyright", "pyrefly", "ty", "bandit", "isort", "codespell", "pre-commit"})


def _runner_facts(stdout: str, stderr: str) -> dict[str, Facts]:
    """The counts of a project's own test runner from the closing lines it leaves, unittest's
    (markdown2's ``python test.py``: "Ran 190 tests … FAILED (failures=7)", the summary showed only
    diff fragments) or pytest's (a ``runtests.py`` calling ``pytest.main``); none when neither is there."""
    both = f"{stdout}\n{stderr}"
    found = _safely(lambda: runners.unittest_text_facts(both))
    if found is not None:
        return {"unittest": found}
    found = _safely(lambda: runners.pytest_text_facts(both))
    return {"pytest": found} if found is not None else {}


def _safely(read: Callable[[], Facts | None]) -> Facts | None:
    """Facts, or None when the output is not what the tool writes (never an error)."""
    try:
        return read()
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def identify(argv: list[str]) -> tuple[str | None, list[str]]:
    """(tool, its arguments): ``pytest``, ``python -m pytest``, ``coverage run -m pytest`` …"""
    if not argv:
        return None, []
    argv = python_options(argv)[1]  # (aiosignal's ``python -bb -Werror -m pytest``)
    program = os.path.basename(argv[0]).lower()
    args = argv[1:]
    if program.startswith(("python", "pypy")) and len(args) >= 2 and args[0] == "-m":
        program, args = args[1], args[2:]
    program = {"py.test": "pytest", "twisted.trial": "trial", "nose2": "unittest"}.get(program, program)
    if program == "coverage" and args[:1] == ["run"]:
        inner = _after(args, "-m")
        if inner:
            return {"twisted.trial": "trial"}.get(inner[0], inner[0]), inner[1:]
    if program in ("ruff",) and args[:1] in (["check"], ["format"]):
        return ("ruff" if args[0] == "check" else "ruff-format"), args[1:]
    return program, args


def _after(args: list[str], flag: str) -> list[str]:
    return args[args.index(flag) + 1 :] if flag in args else []


def pytest_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    facts = _pytest_facts(args, stdout, reader)
    if facts is not None and (stopped := _STOPPED_AFTER.search(stdout)):
        facts["stopped_after"] = int(stopped[1])  # (the counts are not the suite's: lz4's -x)
    return facts


#: pytest's line when ``-x`` or ``--maxfail`` ended the run (lz4's addopts: "19016 tests" of 19,804)
_STOPPED_AFTER = re.compile(r"^!+ stopping after (\d+) failures? !+$", re.M)


def _pytest_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    junit = option(args, "--junitxml", "--junit-xml", "--junit_xml")
    data = reader.get(junit) if junit else None
    if data is not None:
        workdir = reader.workdir
        facts = runners.junit_facts(data, lambda path: (workdir / path).is_file())
        with contextlib.suppress(ValueError):  # pytest's own closing line, when the tail has it
            said = runners.pytest_text_facts(stdout)
            facts = summary_counts(facts, said)
            facts["failing"] = runners.as_pytest_names(facts.get("failing", []), said.get("failing", []))
        return _in_workdir({**facts, "report": junit}, reader)
    return _in_workdir(runners.pytest_text_facts(stdout), reader)


def _in_workdir(facts: Facts, reader: ReportReader) -> Facts:
    """Where failing tests raised, relative to the working directory: a test suite that changes
    directory (python-dotenv's conftest) has pytest name its files by absolute paths."""
    if not facts.get("failing_at"):
        return facts
    roots = {str(reader.workdir), str(reader.workdir.resolve())}

    def relative(at: str) -> str:
        return next((parse.relative(at, r) for r in roots if at.startswith(r + "/")), at)

    moved = {"failing_at": [relative(at) for at in facts["failing_at"]]}
    return {**facts, **moved} | ({"cause_at": relative(facts["cause_at"])} if facts.get("cause_at") else {})


def summary_counts(facts: Facts, said: dict[str, int]) -> Facts:
    """The JUnit report's facts with the counts pytest's closing line states: the report cannot
    tell an unexpected pass (``xpassed``) from a pass; the line says both (a zero is left out).
    The total follows the line's outcomes where the report merged two of one test (parsel: a
    module skipped at import under ``--doctest-modules`` is two skips in one test case)."""
    counts = {key: said.get(word, 0) for key, word in SAID.items()}
    kept = {k: v for k, v in facts.items() if k not in counts}  # the line's zeros win too
    merged = sum(counts[k] for k in _OUTCOMES) - sum(facts.get(k, 0) for k in _OUTCOMES)
    subtests = any(counts[k] for k in counts if k.startswith("subtests_"))  # (counted among them)
    if "tests" in kept and merged > 0 and not subtests:
        kept["tests"] += merged
    return {**kept, **{k: v for k, v in counts.items() if v or k in ALWAYS}}


#: one per test, in pytest's closing line and the JUnit report alike (an unexpected pass is a pass
#: there; errors are not: a teardown's error is a second count of a test that passed)
_OUTCOMES = ("passed", "xpassed", "failures", "skipped", "xfailed")


def ruff_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    out_file = option(args, "--output-file", "-o")
    fmt = option(args, "--output-format", "--format")
    root = str(reader.workdir.resolve())
    if fmt == "json" and out_file:
        data = reader.get(out_file)
        return None if data is None else {**parse.ruff_json_facts(data.decode(), root), "report": out_file}
    if fmt == "json":
        return parse.ruff_json_facts(stdout, root)
    return parse.lint_text_facts(stdout)


def flake8_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    out_file = option(args, "--output-file")
    data = reader.get(out_file) if out_file else None
    if data is not None:  # written by this run: every line is a violation, none means clean
        return {**parse.lint_text_facts(data.decode(errors="replace"), empty_ok=True), "report": out_file}
    return parse.lint_text_facts(stdout)


def pycodestyle_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    """pycodestyle's ``path:line:col: E501 …`` lines (it writes no report file); a run that printed
    none exited 0 with no violations (the check's exit code tells)."""
    return parse.lint_text_facts(stdout, empty_ok=True)


def pylint_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    """From the JSON file of ``--output-format=json:FILE,text`` (what ``prp init`` writes), else
    from JSON printed on stdout."""
    formats = (option(args, "--output-format", "-f") or "").split(",")
    root = str(reader.workdir.resolve())
    for fmt in formats:
        kind, _, out_file = fmt.partition(":")
        if kind == "json" and out_file:
            data = reader.get(out_file)
            return (
                None if data is None else {**parse.pylint_json_facts(data.decode(), root), "report": out_file}
            )
    return parse.pylint_json_facts(stdout, root) if "json" in formats else None


def mypy_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    junit = option(args, "--junit-xml")
    data = reader.get(junit) if junit else None
    if data is not None:
        messages = runners.junit_messages(data) or "Success: no issues found"
        # the report's messages lack mypy's closing line (plumbum: "errors prevented further checking")
        stopped = {"stopped": True} if "errors prevented further checking" in stdout else {}
        try:
            return {**mypy_text_facts(messages, _named_files(args)), **stopped, "report": junit}
        except ValueError:  # only notes (an unused config section): no error line
            totals = runners.junit_facts(data)
            if totals["failures"] == 0 and totals["errors"] == 0:  # (an error: mypy did not run)
                return {"errors": 0, "first": [], "report": junit}
    return mypy_text_facts(stdout, _named_files(args))


def _named_files(args: list[str]) -> frozenset[str]:
    """The Python files a command names (``mypy flasgger/constants.py``), as paths normalized."""
    files = (a for a in args if a.endswith((".py", ".pyi")) and not a.startswith("-"))
    return frozenset(os.path.normpath(a) for a in files)


def pyright_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    return pyright_text_facts(stdout, str(reader.workdir.resolve()))


def ty_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    return ty_text_facts(stdout, str(reader.workdir.resolve()))


def unittest_facts(args: list[str], stdout: str, reader: ReportReader) -> Facts | None:
    return _in_workdir(runners.unittest_text_facts(stdout), reader)


def format_facts(args: list[str], text: str, reader: ReportReader) -> Facts | None:
    """black's or ``ruff format``'s counts, when it checked (``--check``) rather than wrote."""
    if "--check" not in args and "--diff" not in args:
        return None
    return parse.format_text_facts(text)


#: formatters whose ``--check`` summary gives facts
_FORMATTERS = ("black", "ruff-format")

_TOOLS: dict[str, Callable[[list[str], str, ReportReader], Facts | None]] = {
    "black": format_facts,
    "ruff-format": format_facts,
    "pytest": pytest_facts,
    "ruff": ruff_facts,
    "flake8": flake8_facts,
    "pylint": pylint_facts,
    "pycodestyle": pycodestyle_facts,
    "pep8": pycodestyle_facts,
    "mypy": mypy_facts,
    "pyright": pyright_facts,
    "ty": ty_facts,
    "unittest": unittest_facts,
    "trial": unittest_facts,  # Twisted's: unittest's closing lines, ``PASSED`` for ``OK``
}
