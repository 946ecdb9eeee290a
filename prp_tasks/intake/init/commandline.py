"""One command the project runs (from tox, Hatch scripts, nox or CI): the tool it runs, and what
it says about how the project runs it: test paths and options, coverage targets and threshold,
lint and type-check targets and options."""

from __future__ import annotations

import os
import re
import shlex

from prp_tasks.core.argv import python_options, telling_options
from prp_tasks.intake.init.facts import UNRUN_TOOLS, Facts
from prp_tasks.intake.init.targets import (
    add_targets,
    doctests_apart,
    installed_path,
    lint_targets,
    pytest_args,
    tool_options,
    without_runner,
)


def command_line(facts: Facts, line: str, where: str, cwd: str = ".", primary: bool = True) -> None:
    """A command the project runs (in ``cwd``, relative to the repository): note its tool; mypy's
    own targets are kept; a pytest command's arguments when it is the project's main test run
    (``primary``: not tox's benchmark or docs env, which come before ``[testenv]`` in pluggy's)."""
    line = at_root(with_defaults(line), cwd)
    try:
        words = _before_redirect(shlex.split(line.strip()))
    except ValueError:
        return
    while words and (_ASSIGNMENT.match(words[0]) or words[0] == "env"):  # PYTHONPATH=. py.test …
        words = words[1:]
    words = without_runner(words)  # croniter's tox: ``uv run --group=mypy --active mypy .``
    options, run = _split(words)  # (aiosignal's tox ``{envpython} -bb … -Werror -m pytest``)
    options, words = telling_options(options), run if run is not None else words
    if not words:
        return
    _script_or_make(facts, words, where, cwd, primary)
    tool, words = _inner_tool(facts, words, where, cwd)
    _fail_under(facts, words, where)
    _note_tool(facts, tool, words, where)
    if tool == "pytest":
        if primary and options and facts.pytest_python_options is None:  # (aiosignal's Makefile
            facts.pytest_python_options = (options, where)  # runs a bare pytest, its tox -bb -Werror)
        main = primary and facts.pytest_args is None
        if primary:
            pytest_args(facts, words, cwd, where)
        _cov_targets(facts, words, where, cwd, main=main and facts.pytest_args is not None)
        doctests_apart(facts, words, cwd, where)
    if tool == "trial" and primary and not facts.trial_targets:  # incremental's: ``trial incremental``
        facts.trial_targets = [w for w in words[1:] if not w.startswith("-")]
    if tool == "mypy":
        _mypy_command(facts, words, where, cwd)
    if tool in ("ruff", "flake8", "pylint", "black", "pycodestyle", "pep8"):
        lint_targets(facts, [tool, *words[1:]], cwd, where)  # (``flake8p …`` as ``flake8 …``)


#: modules run with ``python -m`` by the name their command has (``python -m sphinx`` is sphinx-build)
_MODULE_NAMES = {
    "sphinx": "sphinx-build",
    "check_manifest": "check-manifest",
    "pip_audit": "pip-audit",
    "mypy.stubtest": "stubtest",  # more-itertools' Makefile: its stubs against the modules they type
}


def module_run(words: list[str]) -> list[str]:
    """``python -m X …`` as ``X …``, also after interpreter options (webcolors' nox sessions:
    ``python3.12 -Im pylint src/ tests/``, ``-Im check_manifest``, ``bin/python3.12 -Im sphinx -W``);
    else as it is."""
    run = _split(words)[1]
    return run if run is not None else words


def _split(words: list[str]) -> tuple[list[str], list[str] | None]:
    """(the interpreter's options, ``X …``) of ``python OPTIONS -m X …``; ([], None) otherwise."""
    if not words or not _PYTHON.fullmatch(os.path.basename(words[0])):
        return [], None
    options, rest = python_options(["python", *words[1:]])  # (tox's ``{envpython}`` a python too)
    if rest[1:2] != ["-m"] or len(rest) < 3:  # (a lone ``python -m``: no module, no command)
        return [], None
    return options, [_MODULE_NAMES.get(rest[2], rest[2]), *rest[3:]]


def _mypy_command(facts: Facts, words: list[str], where: str, cwd: str) -> None:
    """A mypy command's options and targets; whether it installs the stubs it misses. A later
    command lacking some of the first's options is checked apart, not merged into the first's
    (cloup's tox: ``mypy --strict cloup`` then ``mypy tests examples``; ``mypy --strict cloup tests
    examples`` reported 339 errors where the project's two commands report none); one with more
    of its own is merged (checked with the first's: less than it asks, no error it would not see)."""
    options, rest = tool_options("mypy", words[1:], lambda word: (facts.repo / cwd / word).is_file())
    first = facts.lint_options.setdefault("mypy", options)
    if "--install-types" in words and not facts.mypy_install_types:  # freezegun's tox mypy env
        facts.mypy_install_types = where
    targets = [os.path.normpath(os.path.join(cwd, w)) for w in rest if not w.startswith("{")]
    if not set(first) <= set(options):
        facts.lint_apart.setdefault("mypy", (targets or [os.path.normpath(cwd)], options, where))
        return
    mypy_targets(facts, targets)


def _module_run(facts: Facts, words: list[str], cwd: str, where: str) -> bool:
    """``python -m`` of a test module of the checkout (toposort's Makefile: ``python3 -m
    test.test_toposort``, the ``-m`` already taken off), or of nose2, a runner of unittest's cases
    (semantic-version's Makefile ``python -Wdefault -m nose2``: unittest's discovery crashed on
    its Django-dependent modules, a healthy suite read as crashing): noted as the project's runner."""
    module = os.path.join(cwd, words[0].replace(".", "/") + ".py")
    dotted = re.fullmatch(r"\w+(?:\.\w+)+", words[0]) and (facts.repo / module).is_file()
    if words[0] != "nose2" and not dotted:
        return False
    facts.python_files_run.append((cwd, ("python", "-m", *words), where))
    return True


def _script_or_make(facts: Facts, words: list[str], where: str, cwd: str, primary: bool) -> None:
    """A command running a Python file of the checkout (``python test.py``, noted with its folder)
    or a make target the project's main test env or CI runs (``make testone``)."""
    if words[:2] == ["pre-commit", "run"]:  # webargs' tox lint env
        facts.pre_commit_run = facts.pre_commit_run or where
    if words[0] == "make" and primary and not where.startswith(("Makefile", "makefile", "GNUmakefile")):
        for target in (w for w in words[1:] if not w.startswith("-") and "=" not in w):
            facts.make_runs.setdefault(target, where)
        return
    if words[:2] == ["coverage", "run"] and "-m" not in words and _run_program(words):
        words = ["python", *_run_program(words)]  # argcomplete's ``coverage run … ./test/test.py -v``
    if _module_run(facts, words, cwd, where):
        return
    if not _PYTHON.fullmatch(words[0]):
        return
    index = 1
    while index < len(words) and words[index].startswith("-"):  # -u, -Wd, -W error
        index += 2 if words[index] in ("-W", "-X") else 1
    script = words[index] if index < len(words) else ""
    path = os.path.normpath(os.path.join(cwd, script))
    args = [w for w in words[1:] if w != "{posargs}"]
    if any(_SUBSTITUTION.search(w) for w in args):  # websockets' ``{envsitepackagesdir}``: tox's alone
        return
    if script.endswith(".py") and not path.startswith("..") and (facts.repo / path).is_file():
        facts.python_files_run.append((cwd, ("python", *args), where))


#: a tox substitution left in a command (``{envsitepackagesdir}``: only tox knows its value)
_SUBSTITUTION = re.compile(r"\{[^{}\s]*\}")


def _note_tool(facts: Facts, tool: str, words: list[str], where: str) -> None:
    """A tool prp init knows (its checks may run it), or a checker no check runs (named)."""
    if tool in _TOOLS or words[:2] == ["ty", "check"]:
        facts.saw("ruff-format" if words[:2] == ["ruff", "format"] else tool, where)
    elif tool in UNRUN_TOOLS or (tool == "sphinx-build" and _SPHINX_CHECKS.intersection(words)):
        facts.ran_unchecked(tool, where)  # cachetools' tox: sphinx-build -W, and its doctest builder


#: a docs build that checks something: warnings as errors, the doctest or linkcheck builder
_SPHINX_CHECKS = frozenset({"-W", "--fail-on-warning", "doctest", "linkcheck"})


def at_root(line: str, cwd: str) -> str:
    """tox's ``{toxinidir}`` (``{tox_root}``) as the repository seen from ``cwd``, the command's
    directory (portalocker: ``ruff check {toxinidir}/portalocker`` lints ``portalocker``)."""
    up = os.path.relpath(".", cwd) if cwd not in ("", ".") else "."
    prefix = "" if up == "." else up + "/"
    return re.sub(r"\{(?:toxinidir|tox_root)\}(/|\{/\})?", lambda m: prefix if m[1] else up, line)


#: the tools a command of the project may run that prp init knows
_TOOLS = frozenset(
    {
        "pytest",
        "mypy",
        "ruff",
        "flake8",
        "pylint",
        "black",
        "pyright",
        "pyrefly",
        "zuban",
        "pycodestyle",
        "pep8",
        "trial",
    }
)
#: a variable set for the command in front of it (``PYTHONPATH=. py.test``: backoff's Makefile)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
#: a shell word that ends a command's own arguments: a redirection, a pipe, a list operator
_SHELL_END = re.compile(r"^(?:\d*>>?|&>|<|\|\|?|&&?|;)")


def _before_redirect(words: list[str]) -> list[str]:
    """The command's words before its output is redirected or piped (parsedatetime's Makefile
    ``flake8 parsedatetime > violations.flake8.txt``: the file was linted as a target)."""
    for index, word in enumerate(words):
        if _SHELL_END.match(word):
            return words[:index]
    return words


#: the interpreter a command runs with ``-m``: ``python3.12``, tox's ``{envpython}``
_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)?)?|\{env_?python\}")


def with_defaults(line: str) -> str:
    """``{posargs:DEFAULT}`` (tox) and ``{args:DEFAULT}`` (Hatch) replaced by their default, which
    may hold substitutions of its own (dateutil: ``{posargs: "{toxinidir}/tests" --cov=dateutil}``);
    ``{toxinidir}/`` and ``{tox_root}/`` there are the repository."""
    out, index = [], 0
    for match in re.finditer(r"\{(?:posargs|args):", line):
        if match.start() < index:
            continue
        depth, end = 1, match.end()
        while end < len(line) and depth:
            depth += {"{": 1, "}": -1}.get(line[end], 0)
            end += 1
        default = line[match.end() : end - 1] if not depth else ""
        default = re.sub(r"\{(?:toxinidir|tox_root)\}(/|\{/\})?", lambda m: "" if m[1] else ".", default)
        out += [line[index : match.start()], default]
        index = end
    return "".join(out) + line[index:]


def _fail_under(facts: Facts, words: list[str], where: str) -> None:
    """A threshold the project's command sets (structlog's CI: ``coverage report --fail-under=100``,
    or pytest-cov's ``--cov-fail-under``), when its configuration sets none."""
    if words[0] not in ("coverage", "pytest"):  # not diff-cover's threshold on changed lines (zipp)
        return
    for index, word in enumerate(words):
        name, eq, value = word.partition("=")
        if name in ("--fail-under", "--cov-fail-under") and not facts.fail_under:
            value = value if eq else (words[index + 1] if index + 1 < len(words) else "")
            if re.fullmatch(r"\d+(\.\d+)?", value):
                facts.fail_under = (float(value), f"{where}: {name}")
                # tqdm's testcoverage: its notebook tests' data, then the tests' appended to them
                facts.appended_fail_under = where if "--cov-append" in words else ""


def _inner_tool(facts: Facts, words: list[str], where: str, cwd: str = ".") -> tuple[str, list[str]]:
    """(the tool, its words): ``coverage run -m pytest …`` runs pytest (and coverage)."""
    tool = _RUNNERS.get(os.path.basename(words[0]), words[0])
    if tool == "coverage" and "run" in words:
        facts.saw("coverage", where)
        if facts.coverage_run is None:
            facts.coverage_run = (coverage_run_options(words, cwd), where)
        inner = words[words.index("-m") + 1 :] if "-m" in words else _run_program(words)
        return (_RUNNERS.get(os.path.basename(inner[0]), inner[0]), inner) if inner else (tool, words)
    return tool, words


#: programs by the tool they are: Twisted's trial also as ``{envbindir}/trial`` and ``-m twisted.trial``;
#: flake8-pyproject's ``flake8p``, flake8 reading ``[tool.flake8]`` (mako's tox and nox lint
#: ``./mako/ ./test/ ./examples/ setup.py`` with it: "no command of the project names paths")
_RUNNERS = {"py.test": "pytest", "trial": "trial", "twisted.trial": "trial", "flake8p": "flake8"}


def _run_program(words: list[str]) -> list[str]:
    """The program ``coverage run [options] PROGRAM …`` runs (incremental's tox: ``coverage run
    {envbindir}/trial incremental``), with its words; [] when it names none."""
    after = words[words.index("run") + 1 :]
    at = next((i for i, w in enumerate(after) if not w.startswith("-")), None)
    return after[at:] if at is not None else []


#: the options of ``coverage run`` that say what is measured and how (not where its data goes,
#: ``--parallel-mode``, ``--data-file``: the check's report reads the default data file)
_RUN_OPTIONS = ("--source", "--include", "--omit", "--rcfile", "--concurrency")


def coverage_run_options(words: list[str], cwd: str = ".") -> tuple[str, ...]:
    """What ``coverage run [options] -m pytest`` measures: ``--include=pkg/*.py``, ``--branch``…;
    its ``--rcfile`` as the repository's path when the command runs in another directory (glom's
    tox: ``changedir = .tox``, ``--rcfile {toxinidir}/.tox-coveragerc``; the check runs at the top)."""
    end = words.index("-m") if "-m" in words else len(words)
    options = words[words.index("run") + 1 : end]
    kept: list[str] = []
    for index, word in enumerate(options):
        name, eq, value = word.partition("=")
        if word == "--branch":
            kept.append(word)
        elif name in _RUN_OPTIONS:
            value = value if eq else (options[index + 1] if index + 1 < len(options) else "")
            if name == "--rcfile" and value and not os.path.isabs(value):
                value = os.path.normpath(os.path.join(cwd, value))
            value = _installed_packages(value) if name == "--source" else _filled(value)
            kept += [f"{name}={value}"] if value and not value.startswith("-") else []
    return tuple(kept)


def _installed_packages(value: str) -> str:
    """A ``--source`` list's installed packages by their import names (websockets' tox:
    ``--source {envsitepackagesdir}/websockets,tests``: coverage.py finds ``websockets`` where it
    is installed); a value with another substitution only tox can fill is dropped ("")."""
    return _filled(re.sub(r"\{envsitepackagesdir\}/", "", value))


def _filled(value: str) -> str:
    """``value``, or "" when it holds a substitution only tox can fill."""
    return "" if _SUBSTITUTION.search(value) else value


def tox_path(value: str) -> str:
    """A path of a tox command relative to the repository: ``{/}`` is ``/`` and ``{toxinidir}/``,
    ``{tox_root}/`` go (filelock's tox.toml: ``mypy src{/}filelock``)."""
    value = value.replace("{/}", "/")
    for prefix in ("{toxinidir}/", "{tox_root}/"):
        value = value.removeprefix(prefix)
    return value


def addopts_text(addopts: object) -> str:
    """pytest's ``addopts`` as one string (a TOML list's items joined, an ini value as it is)."""
    return " ".join(map(str, addopts)) if isinstance(addopts, list) else str(addopts or "")


def addopts_cov_targets(facts: Facts, addopts: object, where: str) -> None:
    """What pytest's ``addopts`` measure (portalocker's pytest.ini: ``--cov portalocker``: a bare
    ``--cov`` added to them would measure the configured ``source`` instead, a stale ``src``: 0%)
    and the threshold they set (arrow's tox.ini: ``--cov-fail-under=99``)."""
    text = addopts_text(addopts)
    try:
        words = ["pytest", *shlex.split(text)]
    except ValueError:
        return
    _cov_targets(facts, words, f"{where} addopts")
    _fail_under(facts, words, f"{where} addopts")
    if _bare_cov(words):  # rich-click's: everything the tests run is measured, its tests too
        facts.addopts_bare_cov = facts.addopts_bare_cov or f"{where} addopts"


def _bare_cov(words: list[str]) -> bool:
    """A ``--cov`` naming no source (the last word, or an option after it): pytest-cov then
    measures everything the tests run, whatever other ``--cov=X`` a command adds."""
    for index, word in enumerate(words):
        after = words[index + 1] if index + 1 < len(words) else ""
        if word == "--cov=" or (word == "--cov" and (not after or after.startswith("-"))):
            return True
    return False


def addopts_quiet(facts: Facts, addopts: object) -> None:
    """Whether pytest's ``addopts`` make it quiet (lark's ``"-ra -q"``: one more ``-q`` and pytest
    prints no closing line, the only place its subtests are counted)."""
    text = addopts_text(addopts)
    facts.pytest_quiet = facts.pytest_quiet or any(re.fullmatch(r"-q+|--quiet", w) for w in text.split())


#: pytest plugins' options that run a checker as test items, and the checker
_PLUGIN_CHECKERS = {
    "--isort": "isort", "--pydocstyle": "pydocstyle", "--codestyle": "pycodestyle",
    "--pycodestyle": "pycodestyle", "--flake8": "flake8", "--pylint": "pylint", "--mypy": "mypy",
    "--black": "black", "--ruff": "ruff", "--bandit": "bandit", "--codespell": "codespell",
}  # fmt: skip


def addopts_checkers(facts: Facts, addopts: object, where: str) -> None:
    """The checkers pytest's ``addopts`` run as test items (dictdiffer's ``--isort --pydocstyle``):
    the test check runs them, they are not "not run here"."""
    text = addopts_text(addopts)
    for word in text.split():
        checker = _PLUGIN_CHECKERS.get(word)
        if checker is not None:
            facts.tests_run.setdefault(checker, f"{where} addopts {word}")


def addopts_xdist(facts: Facts, addopts: object, where: str) -> None:
    """Whether pytest's ``addopts`` run the tests in pytest-xdist's workers (bidict's
    ``--numprocesses=auto``), which ``coverage run`` does not measure: 0%, "No data was collected"."""
    text = addopts_text(addopts)
    words = text.split()
    for word, after in zip(words, [*words[1:], ""], strict=False):
        option = re.fullmatch(r"(-n|--numprocesses)(?:=?(\S+))?", word)
        count = (option[2] or after) if option else ""
        if option and count not in ("", "0") and not facts.pytest_xdist:
            facts.pytest_xdist = f"{where} addopts {option[1]} {count}"


def _cov_targets(facts: Facts, words: list[str], where: str, cwd: str = ".", main: bool = False) -> None:
    """What the project's own pytest command measures (``--cov X``, ``--cov=X``), added to what its
    other commands measure; the main test run's (``main``: the one whose paths the check runs) in
    their stead, the addopts' kept: lz4's tox ``[testenv]`` runs ``--cov=lz4/block --cov=lz4/frame
    tests/block tests/frame``, its experimental env ``--cov=lz4/stream tests/stream``, and the check
    ran the first's tests measuring the three, lz4/stream's unrun code in its total. A ``--cov``
    means the project uses pytest-cov (hyperlink's tox declares it behind factors only)."""
    facts.cov_branch = facts.cov_branch or "--cov-branch" in words  # cachetools' tox
    if any(w == "--cov" or w.startswith("--cov=") for w in words):
        facts.saw("pytest-cov", where)
    own = _measured(facts, words, cwd)
    if where.endswith(" addopts"):  # (every run of pytest measures them)
        facts.cov_addopts += [t for t in own if t not in facts.cov_addopts]
    elif main and own:
        facts.cov_targets = [t for t in facts.cov_targets if t in facts.cov_addopts]
        facts.cov_main = where
    elif facts.cov_main:
        return
    facts.cov_targets += [t for t in own if t not in facts.cov_targets]


def _measured(facts: Facts, words: list[str], cwd: str) -> list[str]:
    """The sources a pytest command's ``--cov`` options name, tox's substitutions taken out
    (platformdirs: ``--cov {envsitepackagesdir}{/}platformdirs --cov {toxinidir}{/}tests``, and its
    ``fail_under`` is for that total); a relative path of a command run in another directory
    (``../src``) as the repository's (a package name stays as it is)."""
    found: list[str] = []
    for index, word in enumerate(words):
        value = word.partition("=")[2] if word.startswith("--cov=") else None
        if word == "--cov" and index + 1 < len(words):
            value = words[index + 1]
        if not value or value.startswith("-"):
            continue
        value = installed_path(facts, value) or tox_path(value)  # the installed package: its sources
        if value.startswith("."):
            value = os.path.join(cwd, value)
        value = os.path.normpath(value) if value and "{" not in value else value
        if "{" not in value and value not in found:
            found.append(value)
    return found


def mypy_targets(facts: Facts, words: list[str]) -> None:
    """Every target of every mypy command the project runs (attrs' tox.ini runs one on its tests'
    typing examples and one on its stubs), in order, each once: a target inside another is left
    out (mypy refuses a file found twice); a glob the tool would get from a shell is expanded in
    the checkout (dropped when it matches nothing)."""
    for word in (tox_path(w) for w in words):
        found = (
            sorted(str(p.relative_to(facts.repo)) for p in facts.repo.glob(word))
            if _GLOB.search(word)
            else [word.rstrip("/") or word]
        )
        add_targets(facts.mypy_targets, [t for t in found if (facts.repo / t).exists()])


_GLOB = re.compile(r"[*?\[]")
