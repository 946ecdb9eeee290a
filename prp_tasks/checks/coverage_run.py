"""``coverage run`` commands get their report written right after, as pytest-cov writes its own.

Projects that measure coverage with coverage.py alone run two commands: ``coverage run -m pytest``
(or ``-m unittest``), then ``coverage report --fail-under=99`` (more-itertools, pluggy,
python-slugify). A check runs one command, so for a ``run`` check whose command is ``coverage run
…`` (or ``python -m coverage run …``) the same coverage program is run once more when it exits,
in the same environment and directory: ``coverage xml -o .prp/reports/coverage.xml``, with the
``--rcfile`` and ``--data-file`` the run was given. The check's facts then come from that report
(its totals, and the project's ``fail_under`` when coverage.py says the total missed it, which
fails the check as the project's own report command would); G4 reads the same file. Data the run
wrote in parallel mode is combined first. A report coverage.py could not write (it measured
nothing) fails the check too, saying why in its words.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from typing import Any

from prp_tasks.core.argv import python_options
from prp_tasks.processes.spawn import spawn, wait

#: where the report goes, relative to the command's working directory (``prp init`` names it in
#: ``reports.coverage``)
REPORT = ".prp/reports/coverage.xml"
#: the report's own time limit (seconds): it reads a data file, it runs no test
TIMEOUT_S = 120.0
#: coverage.py's exit status when the total is below its ``fail_under``
FAIL_UNDER = 2
_CARRIED = ("--rcfile", "--data-file")


def report_argv(argv: list[str]) -> list[str] | None:
    """``[python, -m, coverage, xml, -o, REPORT, …]`` for a ``coverage run`` argv, else None."""
    if not argv:
        return None
    argv = python_options(argv)[1]
    name = os.path.basename(argv[0]).lower()
    if name.startswith(("python", "pypy")) and argv[1:3] == ["-m", "coverage"]:
        program, rest = argv[:3], argv[3:]
    elif name == "coverage":
        program, rest = argv[:1], argv[1:]
    else:
        return None
    if rest[:1] != ["run"]:
        return None
    options = rest[1 : rest.index("-m")] if "-m" in rest else rest[1:]
    carried = [o for o in options if o.startswith(tuple(f"{c}=" for c in _CARRIED))]
    return [*program, "xml", "-o", REPORT, *carried]


def write_report(
    argv: list[str], cwd: str, env: Mapping[str, str], stop: threading.Event, out: int
) -> dict[str, Any]:
    """Run the report command with its output going to ``out`` (the check's own stdout file, so
    what it says is read with the rest): its argv, exit code and how it ended. Data written in
    parallel mode (``parallel = true``: one file per process, cattrs' under pytest-xdist) is
    combined first, as the project's own ``coverage combine`` does; ``combined`` says so."""
    combined = None
    if parallel_data(argv, cwd):
        combine = [*argv[: argv.index("xml")], "combine", *argv[argv.index(REPORT) + 1 :]]
        combined = _run(combine, cwd, env, stop, out)
    done = _run(argv, cwd, env, stop, out)
    return {**done, "report": REPORT} | ({"combined": combined} if combined else {})


def _run(
    argv: list[str], cwd: str, env: Mapping[str, str], stop: threading.Event, out: int
) -> dict[str, Any]:
    try:
        proc = spawn(argv, cwd, env, out, out)
    except OSError as exc:
        return {"argv": argv, "error": str(exc.strerror or exc)}
    ended = wait(proc, TIMEOUT_S, stop)
    return {"argv": argv, "exit_code": proc.returncode, "ended": ended}


def parallel_data(argv: list[str], cwd: str) -> bool:
    """Whether the run left parallel data files (``.coverage.HOST.PID.X`` beside its data file)."""
    data = next((a.split("=", 1)[1] for a in argv if a.startswith("--data-file=")), ".coverage")
    path = os.path.join(cwd, data)
    folder, name = os.path.dirname(path) or ".", os.path.basename(path)
    try:
        return any(entry.startswith(name + ".") for entry in os.listdir(folder))
    except OSError:
        return False


def missed_threshold(report: Mapping[str, Any]) -> bool:
    """The report says the total is below the project's ``fail_under``."""
    return report.get("ended") == "exited" and report.get("exit_code") == FAIL_UNDER


#: what coverage.py says when it has nothing to report (jsonschema-specifications: its ``source``
#: names the distribution, not the module, so nothing it ran was measured), or cannot report a
#: file it measured (Jinja2: its ``source`` includes ``tests``, whose templates it traced)
_NOTHING = re.compile(
    r"No data to report\.?|No data was collected\.?|Couldn't use data file[^\n]*"
    r"|Couldn't parse '[^'\n]*' as Python source[^\n]*"
)


def report_failure(report: Mapping[str, Any], output: str) -> str | None:
    """Why the report was not written (``coverage xml`` failed, not for the threshold), in
    coverage.py's words when it said them; None when it was."""
    if report.get("ended") != "exited" or report.get("exit_code") in (0, FAIL_UNDER, None):
        return None
    said = list(dict.fromkeys(m.group(0).rstrip(".") for m in _NOTHING.finditer(output)))
    if not said:
        return f"coverage wrote no report (`coverage xml` exited {report.get('exit_code')})"
    hint = ": does the configured source name a module the tests import?" if "No data" in said[0] else ""
    return f"coverage wrote no report ({'; '.join(said)}{hint})"
