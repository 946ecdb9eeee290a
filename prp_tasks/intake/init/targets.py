"""What the project's own commands point its tools at: the paths of ``ruff check``/``flake8``
commands and of pre-commit hooks' ``files`` filters, and the commands inside CI ``run`` lines."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable

from prp_tasks.intake.init.facts import Facts

#: ruff's subcommands that lint nothing (``ruff rule E501``, ``ruff format`` has its own command)
_RUFF_OTHER = {"format", "rule", "config", "linter", "version", "clean", "server", "analyze", "help"}
#: tools run through a project runner (``uv run --group dev ruff check sqlparse/``)
_RUNNERS = {
    ("uv", "run"), ("poetry", "run"), ("pdm", "run"), ("hatch", "run"), ("pipenv", "run"), ("pixi", "run")
}  # fmt: skip
#: runner options that take a value
RUNNER_VALUED = {"--group", "--extra", "--with", "--python", "-p", "--package", "--only-group", "-e", "--env"}


#: tool -> (options with a value, flags, flag prefixes) kept from the project's own command: what
#: changes what is reported (slugify's tox: ``flake8 --ignore=E501,F403 --exclude=legacy.py``,
#: else 268 violations; referencing's black hook: ``--line-length 79``, else 4 files to reformat)
_KEPT: dict[str, tuple[set[str], set[str], tuple[str, ...]]] = {
    "flake8": ({"--ignore", "--extend-ignore", "--select", "--extend-select", "--exclude", "--extend-exclude",
                "--max-line-length", "--max-doc-length", "--max-complexity", "--per-file-ignores", "--config",
                "--append-config", "--builtins", "--filename", "--indent-size"},
               {"--doctests", "--hang-closing"}, ()),  # voluptuous' tox: flake8 --doctests
    "pycodestyle": ({"--ignore", "--select", "--exclude", "--filename", "--max-line-length",
                     "--max-doc-length", "--indent-size", "--config"},
                    {"--hang-closing", "-r", "--repeat"}, ()),
    "ruff": ({"--select", "--ignore", "--extend-select", "--extend-ignore", "--exclude", "--extend-exclude",
              "--line-length", "--config", "--target-version", "--per-file-ignores",
              "--extend-per-file-ignores"}, {"--preview"}, ()),
    # bleach's tox: ``ruff format --check --exclude=_vendor …``, else 29 files "would be reformatted"
    "ruff-format": ({"--exclude", "--extend-exclude", "--line-length", "--config", "--target-version",
                     "--extension"}, {"--preview", "--force-exclude"}, ()),
    "pylint": ({"--disable", "-d", "--enable", "-e", "--rcfile", "--max-line-length", "--load-plugins",
                "--ignore", "--ignore-patterns", "--ignore-paths", "--good-names", "--py-version"},
               {"--errors-only", "-E", "--disable-all"}, ()),
    "black": ({"--line-length", "-l", "--target-version", "-t", "--config"},
              {"-S", "--skip-string-normalization", "-C", "--skip-magic-trailing-comma", "--preview"}, ()),
    "mypy": ({"--python-version", "--config-file", "--follow-imports", "--enable-error-code", "--exclude",
              "--disable-error-code", "--platform", "--always-true", "--always-false"},
             {"--strict", "--ignore-missing-imports", "--check-untyped-defs", "--explicit-package-bases",
              "--namespace-packages", "--implicit-optional", "--pretty"},
             ("--disallow-", "--warn-", "--no-", "--allow-", "--strict-")),
}  # fmt: skip
#: flags a kept prefix matches that only change how the output looks (pydash's mypy
#: ``--no-error-summary``), not what is reported
_OUTPUT_ONLY = {"--no-error-summary", "--no-color-output", "--no-pretty", "--no-show-source"}
#: options left out whose value is a separate word (``--output-file out.txt`` is no target)
_OTHER_VALUED = {"--output-file", "-o", "--format", "--output-format", "--tee-file", "--jobs", "-j",
                 "--cache-dir", "--stdin-filename", "--junit-xml", "--html-report", "--txt-report",
                 "--xml-report", "--exclude", "--package", "-p", "--module", "-m"}  # fmt: skip


#: options naming a configuration file: left out when the file is not in the checkout (responses'
#: sdist has no mypy.ini: ``--config-file=mypy.ini`` made mypy exit 2 on a usage error)
_CONFIG_FILES = {"--config-file", "--config", "--append-config", "--rcfile"}


def tool_options(
    tool: str, words: list[str], present: Callable[[str], bool] = lambda _: True
) -> tuple[list[str], list[str]]:
    """(the options of ``tool`` kept from ``words``, the other words that are no option or an
    option's value: its targets, perhaps); an option naming a configuration file that is not
    ``present`` is left out."""
    valued, flags, prefixes = _KEPT["pycodestyle" if tool == "pep8" else tool]  # pep8: its old name
    options: list[str] = []
    rest: list[str] = []
    words_left = iter(words)
    for word in words_left:
        name, eq, value = word.partition("=")
        if name in valued:
            value = value if eq else next(words_left, "")
            if name not in _CONFIG_FILES or "=" in value or present(value):  # (ruff: inline TOML)
                options += [word] if eq else [word, value]
        elif (word in flags or word.startswith(prefixes)) and word not in _OUTPUT_ONLY:
            options.append(word)
        elif word in _OTHER_VALUED and word not in valued:
            next(words_left, None)
        elif not word.startswith("-"):
            rest.append(word)
    return [o for o in options if o], rest


def lint_targets(facts: Facts, words: list[str], cwd: str, where: str) -> None:
    """The paths a ``ruff check``, ``ruff format --check``, ``flake8`` or ``black`` command reads,
    relative to the repository (a command naming none lints everything: ``.``), and the first such
    command's options that change what is reported; a later command's paths only when its options
    are the same (else :attr:`Facts.lint_apart`). Words that are no path in the checkout are not
    targets."""
    tool, rest = words[0], words[1:]
    if tool == "ruff":
        if rest[:1] == ["format"] and ("--check" in rest or "--diff" in rest):  # a check, no rewrite
            tool, rest = "ruff-format", rest[1:]
        elif rest[:1] == ["check"]:
            rest = rest[1:]
        elif rest and rest[0] in _RUFF_OTHER:
            return
    if "--exit-zero" in rest:  # reports, never fails: it gates nothing (GitHub's flake8 template)
        return
    options, words_left = tool_options(tool, rest, lambda word: _exists(facts, cwd, word))
    unfound = facts.lint_unfound.setdefault(tool, [])
    unfound += [
        w
        for w in words_left
        if w.endswith((".py", ".pyi")) and not _exists(facts, cwd, w) and w not in unfound
    ]
    paths = [os.path.normpath(os.path.join(cwd, w)) for w in words_left if _exists(facts, cwd, w)] or [
        os.path.normpath(cwd)
    ]
    first = facts.lint_options.setdefault(tool, options)
    if first != options and tool in facts.lint_targets:  # its own options: linted apart
        if _narrower(first, facts.lint_targets[tool], options, paths):  # uuid6's CI: --select=E9,… first
            facts.lint_options[tool], facts.lint_targets[tool] = options, list(paths)
        elif not _narrower(options, paths, first, facts.lint_targets[tool]):
            facts.lint_apart.setdefault(tool, (paths, options, where))
        return
    add_targets(facts.lint_targets.setdefault(tool, []), paths)


def _narrower(options: list[str], paths: list[str], other: list[str], other_paths: list[str]) -> bool:
    """Whether a command's ``--select`` of some rules is covered by another's run of all the rules
    the configuration sets, on the same paths or everything (uuid6's CI: ``flake8 . --select=E9,
    F63,F7,F82`` then ``flake8 . --max-complexity=10 --max-line-length=127``, which fails its
    build on an unused import; the check ran the first alone and passed it)."""
    selects = any(o.startswith("--select") for o in options)
    return selects and not any(o.startswith("--select") for o in other) and other_paths in (paths, ["."])


#: pytest options that change what runs or what counts, kept from the project's own command (with
#: their value); the rest (verbosity, output, reports, xdist, stop at first failure) are not
_PYTEST_VALUED = {"--ignore", "--ignore-glob", "--deselect", "-m", "-k", "-p", "-W", "--pythonwarnings",
                  "--doctest-glob", "--import-mode", "--confcutdir",
                  # natsort's tox: ``--hypothesis-profile=slow-tests`` (its health checks, deadlines)
                  "--hypothesis-profile"}  # fmt: skip
_PYTEST_FLAGS = {"--doctest-modules", "--doctest-continue-on-failure", "--strict-markers", "--runxfail",
                 # checks that plugins run as test items (Unidecode's tox: ``pytest --mypy``)
                 "--mypy", "--ruff", "--ruff-format", "--black", "--flake8", "--isort",
                 "--pylint"}  # fmt: skip
#: flags a kept prefix matches that only change how the output looks (pydash's mypy
#: ``--no-error-summary``), not what is reported
_OUTPUT_ONLY = {"--no-error-summary", "--no-color-output", "--no-pretty", "--no-show-source"}
#: options left out whose value is a separate word (``--cov src``: ``src`` is no test path)
_PYTEST_OTHER_VALUED = {"--cov", "--cov-config", "--cov-report", "--cov-fail-under", "--junitxml",
                        "--junit-xml", "--basetemp", "--tb", "-n", "--numprocesses", "--dist", "--maxfail",
                        "-o", "--override-ini", "--log-level", "--durations", "--timeout", "--color", "-r",
                        "--rootdir", "-c", "--html", "--reruns", "--report-log", "--log-file"}  # fmt: skip


def _joined_warning(word: str) -> bool:
    """pytest's ``-W`` with its filter in the same word (readme_renderer's tox: ``pytest -Wall``;
    ``-Werror`` turns a warning into a failure)."""
    return word.startswith("-W") and len(word) > 2 and not word.startswith("-W=")


def pytest_args(facts: Facts, words: list[str], cwd: str, where: str) -> None:
    """The first pytest command the project runs: its test paths (folders and ``.py`` files in the
    checkout) and the options that change what runs (tabulate's ``--doctest-modules --ignore
    benchmark``: without them, 16 doctests never ran)."""
    if facts.pytest_args is not None or any(w.startswith("--benchmark") for w in words):
        return
    kept: list[str] = []
    rest = iter(words[1:])
    for word in rest:
        name, eq, _ = word.partition("=")
        if word in _PYTEST_FLAGS or (eq and name in _PYTEST_VALUED) or _joined_warning(word):
            kept.append(word)
        elif word in _PYTEST_VALUED:
            kept += [word, next(rest, "")]
        elif word in _PYTEST_OTHER_VALUED:
            _left_out(facts, word, next(rest, ""), where)
        elif (
            word.startswith("{")
            and (installed := installed_path(facts, word))
            and _test_path(facts, ".", installed)
        ):
            kept.append(installed)  # glom's ``--doctest-modules {envsitepackagesdir}/glom``: its sources
        elif not word.startswith(("-", "{")) and _test_path(facts, cwd, word):
            if "bench" in word:  # a benchmark run (pluggy's testing/benchmark.py), not the tests
                return
            kept.append(os.path.normpath(os.path.join(cwd, word)))
    if cwd not in ("", ".") and not any(not k.startswith("-") and _test_path(facts, ".", k) for k in kept):
        kept.append(os.path.normpath(cwd))  # run in a folder with no path: that folder's tests
    facts.pytest_args = (_with_tests(kept), where)


def doctests_apart(facts: Facts, words: list[str], cwd: str, where: str) -> None:
    """The first pytest command running doctests (``--doctest-modules``), whichever env runs it:
    the test command's comment names it when that command runs none (everett's tox: ``pytest
    tests/``, then ``pytest --doctest-modules src/`` in its doctest env: 9 doctests, unsaid)."""
    if "--doctest-modules" not in words or facts.doctests_apart:
        return
    named = []
    for word in (w for w in words[1:] if not w.startswith("-")):
        path = (
            installed_path(facts, word) if word.startswith("{") else os.path.normpath(os.path.join(cwd, word))
        )
        named += [path] if path and _exists(facts, ".", path) else []  # (natsort's installed package's)
    facts.doctests_apart = (" ".join(["pytest --doctest-modules", *named]), where)


def _with_tests(kept: list[str]) -> list[str]:
    """The arguments kept, less doctest text files named without tests beside them (natsort's
    first pytest command, ``pytest README.rst docs/examples.rst``, runs its docs, not its tests)."""
    texts = [k for k in kept if k.endswith(_TEXTS)]
    tests = [k for k in kept if not k.startswith("-") and k not in texts]
    return [k for k in kept if k and (tests or k not in texts)]


def _left_out(facts: Facts, option: str, value: str, where: str) -> None:
    """An option of the project's pytest command the check leaves out, with its value: pytest-xdist's
    workers are remembered (:attr:`Facts.xdist_dropped`)."""
    if option in ("-n", "--numprocesses") and value not in ("0", ""):
        facts.xdist_dropped = facts.xdist_dropped or f"{where} {option} {value}"


def installed_path(facts: Facts, word: str) -> str | None:
    """The checkout's counterpart of a path in the installed package (tox's
    ``{envsitepackagesdir}/pkg``, ``{env_site_packages_dir}{/}pkg``): ``pkg``, or ``src/pkg``;
    the checks run the sources. None for any other word."""
    site = re.match(r"\{env_?site_?packages_?dir\}(?:/|\{/\})(.+)", word)
    if site is None:
        return None
    path = site[1].replace("{/}", "/")
    return f"src/{path}" if (facts.repo / "src" / path).exists() else path


def _exists(facts: Facts, cwd: str, word: str) -> bool:
    # normalised first: ``.tox/../tests`` (boltons' ``changedir = .tox``) names ``tests`` even when
    # ``.tox`` is not in the checkout
    return not word.startswith("{") and (facts.repo / os.path.normpath(os.path.join(cwd, word))).exists()


def _test_path(facts: Facts, cwd: str, word: str) -> bool:
    """A folder, module or doctest text file of the checkout (tblib's tox runs ``pytest … tests
    README.rst``, its ``--doctest-glob=*.rst`` collecting the README: its doctest had been left out)."""
    path = facts.repo / os.path.normpath(os.path.join(cwd, word.split("::")[0]))
    return path.is_dir() or (path.suffix in (".py", *_TEXTS) and path.is_file())


#: doctest text files a pytest command may name (its ``--doctest-glob`` collecting them)
_TEXTS = (".rst", ".txt", ".md")


def add_targets(known: list[str], new: list[str]) -> None:
    """``new`` added to ``known`` in place, each once; one inside another is left out."""
    for target in new:
        if not any(inside(target, k) for k in known):
            known[:] = [k for k in known if not inside(k, target)]
            known.append(target)


def inside(path: str, folder: str) -> bool:
    return folder in (path, ".") or path.startswith(folder + "/")


def top_entries(files: list[str], excluded: list[str]) -> tuple[list[str], list[str]]:
    """The top-level entries (folders, files) holding ``files`` outside the ``excluded`` folders,
    and the excluded folders inside one of those entries (the tool must be told to leave them
    out: pycodestyle's ``exclude: ^testing/data/``)."""
    entries: list[str] = []
    for name in files:
        top = name.split("/", 1)[0]
        if top not in entries and not any(inside(name, x) for x in excluded):
            entries.append(top)
    deeper = [x for x in excluded if "/" in x and x.split("/", 1)[0] in entries]
    return entries, deeper


def hook_paths(hook: dict[str, object]) -> list[str] | None:
    """The folders a pre-commit hook's ``files`` filter names when it is only folder prefixes
    (pluggy's mypy hook: ``^(src/|testing/)`` -> ``src``, ``testing``); None without a filter or
    with any other pattern (the hook may run on every file)."""
    return prefix_folders(hook.get("files"))


def prefix_folders(pattern: object) -> list[str] | None:
    r"""The folders (or files) a pre-commit pattern of path prefixes names (``^(docs|testing/data)/``;
    tblib's ``^(\.tox|ci/templates|tests/badsyntax.py)(/|$)``, its deliberately broken fixture: its
    release had failed lint and format on it), else None (no pattern, or one of another kind)."""
    if not isinstance(pattern, str):
        return None
    body = pattern.strip().removeprefix("^")
    for end in ("(/|$)", "(?:/|$)", "/"):  # ``^(docs|build)/``
        body = body.removesuffix(end)
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1].removeprefix("?:")
    folders = [p.rstrip("/") for p in body.split("|")]
    if not folders or not all(re.fullmatch(r"[\w.-]+(/[\w.-]+)*", f.replace(r"\.", ".")) for f in folders):
        return None
    return [f.replace(r"\.", ".") for f in folders]


def ci_commands(line: str) -> list[str]:
    """The commands of one CI ``run`` line (``- run: uv run ruff check src && mypy src``), each
    without a project runner in front."""
    line = re.sub(r"^\s*(-\s*)?run:\s*[|>]?-?", "", line)
    out = []
    for part in re.split(r"&&|\|\||;", line):
        try:
            words = shlex.split(part.strip())
        except ValueError:
            continue
        out.append(shlex.join(without_runner(words)))
    return [c for c in out if c]


def without_runner(words: list[str]) -> list[str]:
    """The command a project runner runs (``uv run --group=mypy --active mypy .`` -> ``mypy .``), or
    a virtualenv's program by its name (asgi-lifespan's Makefile ``${bin}mypy``, ``venv/bin/mypy``)."""
    if words and os.path.basename(os.path.dirname(words[0])) in ("bin", "Scripts"):
        words = [os.path.basename(words[0]), *words[1:]]
    if tuple(words[:2]) not in _RUNNERS:
        return words
    rest, index = words[2:], 0
    while index < len(rest) and rest[index].startswith("-"):
        index += 2 if rest[index] in RUNNER_VALUED else 1
    return rest[index:]


def widened_to_tests(facts: Facts) -> None:
    """pytest over the whole tests folder when the tests' env runs pytest on a folder of it and a
    unittest discovery of the rest (requests-mock: ``pytest tests/pytest``, 5 tests, then its
    testtools discovery, 140: the check ran the 5 alone and passed a broken test of the 140;
    pytest runs unittest's test cases too, 145). After the layout: it needs the tests folder."""
    where = facts.discovered_by
    if not where or facts.pytest_args is None or not facts.tests_dir or facts.pytest_args[1] != where:
        return
    args = facts.pytest_args[0]
    paths = [a for a in args if not a.startswith("-")]
    if paths and all(p.startswith(f"{facts.tests_dir}/") for p in paths):
        kept = [a for a in args if a not in paths] + [facts.tests_dir]
        facts.pytest_args = (kept, f"{where} (its pytest of {', '.join(paths)} and its unittest discovery)")
