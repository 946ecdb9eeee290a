"""What the project's own commands point its tools at: the paths of ``ruff check``/``flake8``
commands and of pre-commit hooks' ``files`` filters, and the commands inside CI ``run`` lines."""

from __future__ import annotations

import os
import re
import shlex

from prp_tasks.intake.init.facts import Facts

#: ruff's subcommands that lint nothing (``ruff rule E501``, ``ruff format`` has its own command)
_RUFF_OTHER = {"format", "rule", "config", "linter", "version", "clean", "server", "analyze", "help"}
#: tools run through a project runner (``uv run --group dev ruff check sqlparse/``)
_RUNNERS = {("uv", "run"), ("poetry", "run"), ("pdm", "run"), ("hatch", "run"), ("pipenv", "run")}
#: runner options that take a value
_VALUED = {"--group", "--extra", "--with", "--python", "-p", "--package", "--only-group", "-e", "--env"}


#: lint options that change what is reported, kept from the project's own command (slugify's tox:
#: ``flake8 --ignore=E501,F403,… --exclude=legacy_reference.py``; without them, 268 violations)
_LINT_KEPT = {
    "flake8": {"--ignore", "--extend-ignore", "--select", "--extend-select", "--exclude", "--extend-exclude",
               "--max-line-length", "--max-doc-length", "--max-complexity", "--per-file-ignores",
               "--config", "--append-config", "--builtins", "--filename", "--indent-size"},
    "ruff": {"--select", "--ignore", "--extend-select", "--extend-ignore", "--exclude", "--extend-exclude",
             "--line-length", "--config", "--target-version", "--per-file-ignores",
             "--extend-per-file-ignores"},
}  # fmt: skip
#: options left out whose value is a separate word (``--output-file out.txt`` is no target)
_LINT_OTHER_VALUED = {"--output-file", "-o", "--format", "--output-format", "--tee-file", "--jobs", "-j",
                      "--cache-dir", "--stdin-filename"}  # fmt: skip


def lint_targets(facts: Facts, words: list[str], cwd: str) -> None:
    """The paths a ``ruff check`` or ``flake8`` command lints, relative to the repository (a
    command naming none lints everything: ``.``), and the first such command's options that
    change what is reported. Words that are no path in the checkout are not targets."""
    tool, rest = words[0], words[1:]
    if tool == "ruff":
        if rest[:1] == ["check"]:
            rest = rest[1:]
        elif rest and rest[0] in _RUFF_OTHER:
            return
    options, paths, words_left = [], [], iter(rest)
    for word in words_left:
        name, eq, _ = word.partition("=")
        if name in _LINT_KEPT[tool]:
            options += [word] if eq else [word, next(words_left, "")]
        elif word in _LINT_OTHER_VALUED:
            next(words_left, None)
        elif not word.startswith(("-", "{")) and (facts.repo / cwd / word).exists():
            paths.append(os.path.normpath(os.path.join(cwd, word)))
    facts.lint_options.setdefault(tool, [o for o in options if o])
    add_targets(facts.lint_targets.setdefault(tool, []), paths or [os.path.normpath(cwd)])


#: pytest options that change what runs or what counts, kept from the project's own command (with
#: their value); the rest (verbosity, output, reports, xdist, stop at first failure) are not
_PYTEST_VALUED = {"--ignore", "--ignore-glob", "--deselect", "-m", "-k", "-p", "-W", "--doctest-glob",
                  "--import-mode", "--confcutdir"}  # fmt: skip
_PYTEST_FLAGS = {"--doctest-modules", "--doctest-continue-on-failure", "--strict-markers", "--runxfail"}
#: options left out whose value is a separate word (``--cov src``: ``src`` is no test path)
_PYTEST_OTHER_VALUED = {"--cov", "--cov-config", "--cov-report", "--cov-fail-under", "--junitxml",
                        "--junit-xml", "--basetemp", "--tb", "-n", "--numprocesses", "--dist", "--maxfail",
                        "-o", "--override-ini", "--log-level", "--durations", "--timeout", "--color", "-r",
                        "--rootdir", "-c", "--html", "--reruns", "--report-log", "--log-file"}  # fmt: skip


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
        if word in _PYTEST_FLAGS or (eq and name in _PYTEST_VALUED):
            kept.append(word)
        elif word in _PYTEST_VALUED:
            kept += [word, next(rest, "")]
        elif word in _PYTEST_OTHER_VALUED:
            next(rest, None)
        elif not word.startswith(("-", "{")) and _test_path(facts, cwd, word):
            if "bench" in word:  # a benchmark run (pluggy's testing/benchmark.py), not the tests
                return
            kept.append(os.path.normpath(os.path.join(cwd, word)))
    facts.pytest_args = ([k for k in kept if k], where)


def _test_path(facts: Facts, cwd: str, word: str) -> bool:
    path = facts.repo / cwd / word.split("::")[0]
    return path.is_dir() or (path.suffix == ".py" and path.is_file())


def add_targets(known: list[str], new: list[str]) -> None:
    """``new`` added to ``known`` in place, each once; one inside another is left out."""
    for target in new:
        if not any(inside(target, k) for k in known):
            known[:] = [k for k in known if not inside(k, target)]
            known.append(target)


def inside(path: str, folder: str) -> bool:
    return folder in (path, ".") or path.startswith(folder + "/")


def hook_paths(hook: dict[str, object]) -> list[str] | None:
    """The folders a pre-commit hook's ``files`` filter names when it is only folder prefixes
    (pluggy's mypy hook: ``^(src/|testing/)`` -> ``src``, ``testing``); None without a filter or
    with any other pattern (the hook may run on every file)."""
    pattern = hook.get("files")
    if not isinstance(pattern, str):
        return None
    body = pattern.strip().removeprefix("^")
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
        out.append(shlex.join(_without_runner(words)))
    return [c for c in out if c]


def _without_runner(words: list[str]) -> list[str]:
    if tuple(words[:2]) not in _RUNNERS:
        return words
    rest, index = words[2:], 0
    while index < len(rest) and rest[index].startswith("-"):
        index += 2 if rest[index] in _VALUED else 1
    return rest[index:]
