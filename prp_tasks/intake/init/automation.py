"""The commands a project's automation runs, for ``prp init``: its CI workflows' ``run`` steps
(and the checkout's shell scripts they run), its Makefile's recipes and its justfile's recipes;
with what a ``uv run`` of the tests installs besides (extras, dependency groups)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from prp_tasks.intake.init.commandline import command_line
from prp_tasks.intake.init.declared import pins
from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.invoke_tasks import TASK_FILES, task_commands
from prp_tasks.intake.init.justfile import JUSTFILES, just_commands
from prp_tasks.intake.init.sources import read_text, read_yaml
from prp_tasks.intake.init.targets import RUNNER_VALUED, ci_commands

_RUN_WORD = re.compile(
    r"(?<![\w-])(pytest|ruff(?: format)?|mypy|flake8|pylint|black|pyright|pyrefly|coverage)(?![\w-])"
)


def ci(facts: Facts) -> None:
    """The commands of the CI workflows' ``run`` steps (GitHub, GitLab, CircleCI)."""
    workflows = sorted((facts.repo / ".github" / "workflows").glob("*.y*ml"))
    workflows += [
        p for p in (facts.repo / ".gitlab-ci.yml", facts.repo / ".circleci" / "config.yml") if p.is_file()
    ]
    for path in workflows:
        name = str(path.relative_to(facts.repo))
        facts.ci.append(name)
        for line in unfolded(read_text(path)).splitlines():
            if re.match(r"^\s*(-\s*)?run:|^\s{6,}\S", line):
                for word in _RUN_WORD.findall(line):
                    facts.saw("ruff-format" if word == "ruff format" else word, name)
                _ci_line(facts, line, name)
        data = read_yaml(path)  # (read once: the combining job and the test jobs' variables)
        _combining_job(facts, data, name)
        _ci_test_variables(facts, data, name)
        _synced_for_tests(facts, data, name)


#: a ``run:`` (or ``script:``, ``command:``) whose value is a folded block scalar (``>``, ``>-``, ``>+``)
_FOLDED = re.compile(r"^(?P<key>\s*(?:-\s*)?(?:run|script|command):)\s*>[-+]?\s*$")


def unfolded(text: str) -> str:
    """The workflow's text with each folded block on one line, as YAML reads it (ftfy's ``run:
    >-`` over ``python3 -m`` / ``pip install`` / ``build``: one command, not three)."""
    lines, out, index = text.splitlines(), [], 0
    while index < len(lines):
        line, index = lines[index], index + 1
        folded = _FOLDED.match(line)
        if folded is None:
            out.append(line)
            continue
        indent, words = _indent(line), []
        while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) > indent):
            words.append(lines[index].strip())
            index += 1
        out.append(f"{folded['key']} {' '.join(w for w in words if w)}")
    return "\n".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


#: a job's step that runs the tests (then its coverage data are its own)
_TESTS_RUN = re.compile(r"\b(?:pytest|py\.test|coverage run|tox|nox|unittest|hatch run|make test)\b")


def _combining_job(facts: Facts, data: object, name: str) -> None:
    """A GitHub job that runs no tests but ``coverage combine`` and a ``--fail-under``: the
    threshold is for the data every test job uploaded together (structlog's ``coverage`` job)."""
    jobs = data.get("jobs") if isinstance(data, dict) else None
    for job, spec in jobs.items() if isinstance(jobs, dict) else ():
        runs = _job_runs(spec) if isinstance(spec, dict) else ""
        if "coverage combine" in runs and "fail-under" in runs and not _TESTS_RUN.search(runs):
            facts.combined_fail_under = facts.combined_fail_under or f"{name} job '{job}'"


def _ci_test_variables(facts: Facts, data: object, name: str) -> None:
    """The variables a GitHub workflow sets (``env:`` at its top and on its jobs that run the
    tests) for its test runs, as tox's ``setenv`` is read: websockets' ``WEBSOCKETS_TESTS_TIMEOUT_FACTOR:
    20``, without which a test of its reconnection never ended and the check timed out at 10
    minutes. Left out: expressions (``${{ … }}``, ``$VAR``) and the variables of the CI's own
    tooling and output (``FORCE_COLOR``, ``PIP_…``, ``TOX_…``: :data:`_CI_TOOLING`)."""
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(jobs, dict):
        return
    testing = [spec for spec in jobs.values() if isinstance(spec, dict) and _runs_tests(spec)]
    scopes = [(data, f"{name} env")] if testing else []
    scopes += [(spec, f"{name} job env") for spec in testing]
    for scope, where in scopes:
        env = scope.get("env")
        for key, value in env.items() if isinstance(env, dict) else ():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            named = isinstance(key, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
            plain = isinstance(value, str | int | float | bool) and "$" not in text
            if named and plain and not _CI_TOOLING.match(key):
                facts.test_variables.setdefault(key, (text, where))


#: variables of a CI's tooling and its output, not of the tests
_CI_TOOLING = re.compile(
    r"(?:FORCE_COLOR|PY_COLORS|NO_COLOR|CLICOLOR(?:_FORCE)?|TERM|COLUMNS|PYTHONPATH|PYTHONHOME"
    r"|PIP_\w*|UV_\w*|TOX_\w*|NOX_\w*|HATCH_\w*|PDM_\w*|POETRY_\w*|GITHUB_\w*|RUNNER_\w*"
    r"|CODECOV_\w*|COVERALLS_\w*|TWINE_\w*|SETUPTOOLS_SCM_\w*|ACTIONS_\w*)$"
)


def _runs_tests(job: dict[str, object]) -> bool:
    """Whether a job runs the tests: not a tox or nox run of only checker or docs envs
    (prettytable's lint workflow, ``tox -e mypy``: its ``RUFF_OUTPUT_FORMAT`` was read as the
    tests' variable)."""
    runs = _OTHER_ENVS.sub("", _job_runs(job))
    return bool(_TESTS_RUN.search(runs))


#: a tox or nox run of envs or sessions that are not the tests (``tox -e mypy``, ``nox -s lint docs``)
_OTHER_ENVS = re.compile(
    r"\b(?:tox|nox)\b[^\n;&|]*?\s(?:-e|-s|--sessions?)[ =]"
    r"(?:(?:lint|mypy|typing|types?|type-check|typecheck|docs?|format|style|pre-commit|flake8|ruff|pylint"
    r"|pyright|check|checks|build|pkg|packaging|manifest|release|spell|codespell)\b,?)+(?=\s|$|[;&|])"
)


def _job_runs(job: dict[str, object]) -> str:
    """A GitHub job's ``run`` steps, joined."""
    steps = job.get("steps")
    steps = steps if isinstance(steps, list) else []
    return " ".join(str(s.get("run", "")) for s in steps if isinstance(s, dict))


def _runner_needs(facts: Facts, line: str, where: str) -> None:
    """The extras and dependency groups a ``uv run`` of the tests installs (cattrs' justfile:
    ``uv run --all-extras --group test pytest …``; its tests import msgspec from an extra)."""
    for words in _uv_commands(line, "run"):
        extras, groups, index = _uv_options(facts, words)
        inner = [w for w in words[index:] if w not in ("python", "-m")][:1]
        if inner and inner[0] in ("pytest", "py.test", "coverage"):
            _test_needs(facts, extras, groups, where)


def _uv_commands(line: str, verb: str) -> list[list[str]]:
    """The words of each ``uv VERB …`` command of a shell line."""
    found = []
    for part in re.split(r"&&|\|\||;|\n", line):
        try:
            words = shlex.split(part.strip())
        except ValueError:
            continue
        if words[:2] == ["uv", verb]:
            found.append(words)
    return found


def _uv_options(facts: Facts, words: list[str]) -> tuple[list[str], list[str], int]:
    """(extras, groups, the index of the first word after the options) of ``uv run``/``uv sync``."""
    extras: list[str] = []
    groups: list[str] = []
    index = 2
    while index < len(words) and words[index].startswith("-"):
        option, eq, value = words[index].partition("=")  # --extra X, --extra=X
        valued = not eq and option in RUNNER_VALUED  # (the runner options ci_commands skips)
        value = words[index + 1] if valued and index + 1 < len(words) else value
        extras += facts.extras if option == "--all-extras" else [value] if option == "--extra" else []
        groups += [value] if option == "--group" else []
        index += 2 if valued else 1
    return extras, groups, index


def _test_needs(facts: Facts, extras: list[str], groups: list[str], where: str) -> None:
    for extra in (e for e in extras if e in facts.extras):
        facts.test_extras.setdefault(extra, where)
    for group in (g for g in groups if g in facts.groups):
        facts.test_groups.setdefault(group, where)


def _synced_for_tests(facts: Facts, data: object, name: str) -> None:
    """The extras and groups a ``uv sync`` step installs in a GitHub job that runs the tests in a
    later step (pydantic-settings: ``uv sync --group testing --all-extras``, then ``make test``;
    its tests of the Azure and Google sources skipped without their extras)."""
    jobs = data.get("jobs") if isinstance(data, dict) else None
    for job, spec in jobs.items() if isinstance(jobs, dict) else ():
        if not isinstance(spec, dict) or not _runs_tests(spec):
            continue
        steps = spec.get("steps")
        for step in steps if isinstance(steps, list) else ():
            for words in _uv_commands(str(step.get("run", "")) if isinstance(step, dict) else "", "sync"):
                extras, groups, _ = _uv_options(facts, words)
                _test_needs(facts, extras, groups, f"{name} job '{job}' uv sync")


def _ci_line(facts: Facts, line: str, name: str) -> None:
    """A CI ``run`` line's commands, each in the directory a ``cd`` before it chose (jmespath:
    ``cd tests/ && py.test --cov jmespath``; from the root it collected ``extra/`` too)."""
    _runner_needs(facts, re.sub(r"^\s*(-\s*)?run:\s*[|>]?-?", "", line), name)
    for cwd, command in in_folders(facts.repo, ci_commands(line)):
        command_line(facts, command, name, cwd)
        _ci_script(facts, command, name)
        _ci_installs(facts, command, name)


def in_folders(repo: Path, commands: list[str]) -> list[tuple[str, str]]:
    """(folder, command) of one shell line's commands, each in the folder of the repository a
    ``cd`` before it chose (a ``cd`` out of the repository, or to no folder of it, is ignored)."""
    cwd, out = ".", []
    for command in commands:
        words = command.split()
        if words[:1] == ["cd"] and len(words) == 2:
            target = os.path.normpath(os.path.join(cwd, words[1]))
            cwd = target if (repo / target).is_dir() and not target.startswith("..") else cwd
            continue
        out.append((cwd, command))
    return out


#: ``pip install``, ``python -m pip install``, ``uv pip install`` at the start of a command
_PIP_INSTALL = re.compile(r"(?:python[\d.]*\s+-m\s+)?(?:uv\s+)?pip3?\s+install\s+(.*)")
#: pip options that take a value (the value is no requirement)
_PIP_VALUED = frozenset(
    ("-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
     "--extra-index-url", "-f", "--find-links", "-t", "--target", "--python", "--group")
)  # fmt: skip


def _ci_installs(facts: Facts, command: str, where: str) -> None:
    """The versions a CI step's ``pip install`` asks for the tools (``pip install "mypy>=1.10"
    ruff==0.5.0``): pins and bounds, as a requirements file's would be."""
    match = _PIP_INSTALL.fullmatch(command.strip())
    if match is None:
        return
    try:
        words = shlex.split(match.group(1))
    except ValueError:
        return
    wanted = [
        w
        for before, w in zip(["", *words], words, strict=False)
        if before not in _PIP_VALUED and not w.startswith(("-", ".")) and "/" not in w
    ]
    pins(facts, "\n".join(wanted), f"{where} (pip install)")


def _ci_script(facts: Facts, command: str, ran_by: str) -> None:
    """The commands of a shell script a CI step runs (sniffio's ``./ci.sh``), one level deep."""
    words = command.split()
    if words[:1] in (["bash"], ["sh"]) and len(words) > 1:
        words = words[1:]
    script = facts.repo / words[0] if words else None
    if script is None or script.suffix != ".sh" or not script.is_file():
        return
    if not script.resolve().is_relative_to(facts.repo.resolve()):  # the checkout's own scripts only
        return
    where = f"{script.relative_to(facts.repo)} (run by {ran_by})"
    for line in read_text(script).replace("\\\n", " ").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            for part in ci_commands(line):
                command_line(facts, _SHELL_KEYWORDS.sub("", part), where)


#: the shell words before a command a script tests or loops on (sniffio's ``if ! mypy --pretty
#: sniffio; then``: prp init said none of its CI steps ran mypy)
_SHELL_KEYWORDS = re.compile(r"^\s*(?:(?:if|elif|while|until|then|do|else)\s+)*(?:(?:!|'!')\s+)?")


#: ``NAME = value`` (also ``:=``, ``?=``, ``+=``) in a Makefile
_MAKE_VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*[:?+]?=\s*(.*)$")
#: a rule's first target (``testone:``, ``test lint: deps``), not a ``:=`` assignment
_MAKE_RULE = re.compile(r"^([A-Za-z0-9_./-]+)[^:=]*:(?!=)")


def makefile(facts: Facts) -> None:
    """The commands of a Makefile's recipes (backoff's ``make check``: ``flake8 --ignore=E741,W503,W504
    backoff tests``), its simple variables expanded; a line with anything else to expand
    (``$(shell …)``) is left out."""
    path = next(
        (facts.repo / n for n in ("GNUmakefile", "makefile", "Makefile") if (facts.repo / n).is_file()), None
    )
    if path is None:
        return
    variables: dict[str, str] = {}
    target = ""
    for line in read_text(path).replace("\\\n", " ").splitlines():
        if not line.startswith("\t"):
            defined = _MAKE_VARIABLE.match(line)
            if defined:
                variables[defined[1]] = defined[2].strip()
            rule = _MAKE_RULE.match(line)
            target = rule[1] if rule else target
            continue
        if target.startswith("."):  # tqdm's ``.PHONY:`` lists its targets one per indented line
            continue
        command = _make_expanded(line.strip().lstrip("@-+ "), variables)
        primary = not _SIDE_RECIPE.fullmatch(target)
        for cwd, part in in_folders(facts.repo, ci_commands(command)) if command else []:
            command_line(facts, part, f"{path.name} recipe {target}".rstrip(), cwd, primary)


#: a recipe whose pytest run is not the test suite: the docs' snippets, the benchmarks (icalendar's
#: ``doctest`` recipe runs ``pytest src/icalendar/tests/test_with_doctest.py``; taken for its suite,
#: the check ran 376 of its 18,000 tests)
_SIDE_RECIPE = re.compile(r"(?:docs?|doctests?|html|livehtml|bench\w*|benchmarks?)", re.I)


def justfile(facts: Facts) -> None:
    """The commands of a justfile's recipes (cattrs' CI runs ``just cov`` and ``just lint``)."""
    path = next((facts.repo / n for n in JUSTFILES if (facts.repo / n).is_file()), None)
    for recipe, command in just_commands(read_text(path)) if path is not None else []:
        _runner_needs(facts, command, f"{path.name if path else ''} recipe {recipe}")
        for part in ci_commands(command):
            command_line(facts, part, f"{path.name if path else ''} recipe {recipe}")


def invoke_tasks(facts: Facts) -> None:
    """The commands of an invoke ``tasks.py`` (pydash's tox runs ``inv ci``, whose ``test`` task runs
    ``pytest src/pydash tests --cov=pydash --ignore=tests/pytest_mypy_testing``)."""
    path = next((facts.repo / n for n in TASK_FILES if (facts.repo / n).is_file()), None)
    for task, command in task_commands(read_text(path)) if path is not None else []:
        for cwd, part in in_folders(facts.repo, ci_commands(command)):
            command_line(facts, part, f"{path.name if path else ''} task {task}", cwd)


def _make_expanded(line: str, variables: dict[str, str]) -> str | None:
    for _ in range(4):
        line = re.sub(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]", lambda m: variables.get(m[1], m[0]), line)
    line = line.replace("$$", "\0")
    return None if "$" in line else line.replace("\0", "$")
