"""Which test, lint, format and type tools a repository uses, from its ini files, requirement
files and the places it runs them: tox, nox, pre-commit and CI workflows."""

from __future__ import annotations

import os
import re
import shlex
from configparser import RawConfigParser
from pathlib import Path

from packaging.requirements import Requirement

from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.sources import (
    nested,
    normalise,
    read_ini,
    read_text,
    read_toml,
    read_yaml,
    requirement_lines,
    requirement_names,
    requirement_pins,
)
from prp_tasks.intake.init.targets import (
    add_targets,
    ci_commands,
    hook_paths,
    lint_targets,
    pytest_args,
    tool_options,
)
from prp_tasks.intake.init.toxconf import read_tox

TOOL_WORDS = ("pytest", "ruff", "mypy", "flake8", "black", "coverage", "pyright", "pytest-cov")
#: (file, section) -> tool, for ini-style configuration
_INI_SECTIONS = (
    ("setup.cfg", "tool:pytest", "pytest"),
    ("tox.ini", "pytest", "pytest"),
    ("pytest.ini", "pytest", "pytest"),
    ("setup.cfg", "flake8", "flake8"),
    ("tox.ini", "flake8", "flake8"),
    (".flake8", "flake8", "flake8"),
    ("setup.cfg", "mypy", "mypy"),
    ("mypy.ini", "mypy", "mypy"),
    (".mypy.ini", "mypy", "mypy"),
    ("setup.cfg", "coverage:run", "coverage"),
    ("tox.ini", "coverage:run", "coverage"),
    (".coveragerc", "run", "coverage"),
)
_CONFIG_FILES = (
    ("ruff.toml", "ruff"),
    (".ruff.toml", "ruff"),
    ("pyrightconfig.json", "pyright"),
    ("conftest.py", "pytest"),
    ("tests/conftest.py", "pytest"),
)
#: pre-commit hook id -> tool
_HOOKS = {"ruff": "ruff", "ruff-check": "ruff", "ruff-format": "ruff-format", "black": "black",
          "flake8": "flake8", "mypy": "mypy", "pyright": "pyright", "ty": "ty", "ty-check": "ty"}  # fmt: skip
_RUN_WORD = re.compile(r"(?<![\w-])(pytest|ruff(?: format)?|mypy|flake8|black|pyright|coverage)(?![\w-])")


def ini_files(facts: Facts) -> None:
    repo = facts.repo
    for name, section, tool in _INI_SECTIONS:
        ini = read_ini(repo / name)
        if ini.has_section(section):
            facts.saw(tool, f"{name} [{section}]")
            _ini_details(facts, ini, name, section, tool)
    for name, section in _FAIL_UNDER:
        value = read_ini(repo / name).get(section, "fail_under", fallback="").strip()
        if value and not facts.fail_under and re.fullmatch(r"\d+(\.\d+)?", value):
            facts.fail_under = (float(value), f"{name} [{section}] fail_under")
    for name, tool in _CONFIG_FILES:
        if (repo / name).is_file():
            facts.saw(tool, name)


_FAIL_UNDER = (("setup.cfg", "coverage:report"), ("tox.ini", "coverage:report"), (".coveragerc", "report"))


def _ini_details(facts: Facts, ini: RawConfigParser, name: str, section: str, tool: str) -> None:
    if tool == "mypy" and (ini.has_option(section, "files") or ini.has_option(section, "packages")):
        facts.mypy_files = True
    if tool == "coverage":
        facts.coverage_source = facts.coverage_source or ini.has_option(section, "source")
        branch = ini.get(section, "branch", fallback="").strip().lower() in ("true", "1", "yes")
        facts.coverage_branch = facts.coverage_branch or branch
    if tool == "pytest" and "--cov" in ini.get(section, "addopts", fallback=""):
        facts.saw("pytest-cov", f"{name} [{section}] addopts")


def declared(facts: Facts, names: set[str], where: str) -> None:
    """Tools named among declared requirements (an extra, a dependency group, a requirements file)."""
    facts.declared_names |= names
    for tool in TOOL_WORDS:
        if tool in names:
            facts.saw(tool, where)
    if "pytest-cov" in names:
        facts.saw("pytest", where)


def requirements(facts: Facts) -> None:
    repo = facts.repo
    candidates = sorted(repo.glob("requirements*.txt")) + sorted(repo.glob("requirements/*.txt"))
    candidates += sorted(p for p in repo.glob("*requirements.txt") if p.name != "requirements.txt")
    candidates += sorted(repo.glob("requirements/*.in"))
    candidates += [p for d in ("tests", "test", "testing") if (p := repo / d / "requirements.txt").is_file()]
    for path in candidates:
        text, where = read_text(path), str(path.relative_to(repo))
        declared(facts, requirement_names(text), where)
        pins(facts, text, where)


def pins(facts: Facts, text: str, where: str) -> None:
    """The exact versions requirement lines pin the tools to (``black==22.12.0``), and the other
    bounds they set (semver's ``ruff<=0.16``), used when nothing pins the tool."""
    for name, pinned in requirement_pins(text).items():
        if name in TOOL_WORDS:
            facts.pin(name, pinned, where)
    for name, line in requirement_lines(text).items():
        if name in TOOL_WORDS and Requirement(line).specifier:
            facts.bounds.setdefault(name, (line, where))


def locked_versions(facts: Facts) -> None:
    """A tool no file pins exactly gets the version the project's lock file holds (``uv.lock``,
    ``pdm.lock``: what its developers run), else the bound its declarations set."""
    for lock in ("uv.lock", "pdm.lock"):
        packages = read_toml(facts.repo / lock).get("package")
        for package in packages if isinstance(packages, list) else []:
            name, version = (
                (package.get(k) for k in ("name", "version")) if isinstance(package, dict) else (None, None)
            )
            if isinstance(name, str) and normalise(name) in TOOL_WORDS and isinstance(version, str):
                facts.pin(normalise(name), f"{normalise(name)}=={version}", f"{lock}: {version}")
    for name, (line, where) in facts.bounds.items():
        facts.pin(name, line, where)


#: a test module that imports pytest is run by pytest, whatever else the project configures
_IMPORTS_PYTEST = re.compile(r"^\s*(?:import pytest\b|from pytest\b|from _pytest\b)", re.M)
_UNITTEST_CASE = re.compile(r"\bunittest\b|\bTestCase\b")
_TEST_FUNCTION = re.compile(r"^def test\w*\(", re.M)
#: test modules looked at (their first 8 KB), enough to find a suite's style
_TEST_MODULES_READ = 50


def test_imports(facts: Facts) -> None:
    """pytest, when a test module imports it (packaging 24: no pytest configuration at all), or
    when the tests are plain functions and none is a ``unittest`` case (toolz): unittest would run
    none of them, and Python 3.11's unittest calls that OK."""
    if facts.uses("pytest"):
        return
    if facts.tests_dir is not None:
        folder = facts.repo / facts.tests_dir
        modules = sorted(folder.rglob("test_*.py")) + sorted(folder.rglob("*_test.py"))
    else:
        modules = [facts.repo / name for name in facts.tests_modules]
    functions, cases = [], False
    for path in modules[:_TEST_MODULES_READ]:
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                head = handle.read(8192)
        except OSError:
            continue
        if _IMPORTS_PYTEST.search(head):
            facts.saw("pytest", f"{path.relative_to(facts.repo)} imports pytest")
            return
        cases = cases or bool(_UNITTEST_CASE.search(head))
        if _TEST_FUNCTION.search(head):
            functions.append(path)
    if functions and not cases:
        facts.saw(
            "pytest", f"{functions[0].relative_to(facts.repo)}: plain test functions, no unittest cases"
        )


def runners(facts: Facts) -> None:
    _tox(facts)
    _hatch_scripts(facts)
    _nox(facts)
    _pre_commit(facts)
    _ci(facts)


def _tox(facts: Facts) -> None:
    tox, name = read_tox(facts.repo)
    runs_tests = [s for s in tox.sections() if _TESTS_RUN.search(_tox_value(tox, s, "commands"))]
    main = ("testenv" if "testenv" in runs_tests else runs_tests[0]) if runs_tests else None
    for section in tox.sections():
        if not section.startswith("testenv"):
            continue
        deps = tox.get(section, "deps", fallback="")
        declared(facts, requirement_names(deps), f"{name} [{section}] deps")
        pins(facts, deps, f"{name} [{section}] deps")
        cwd = _tox_dir(tox.get(section, "changedir", fallback=""))
        commands = re.sub(r"\\\s*\n", " ", tox.get(section, "commands", fallback=""))  # continued lines
        for line in commands.splitlines():
            _command_line(facts, line.split(":", 1)[1] if re.match(r"^\s*[\w-]+:\s", line) else line,
                          f"{name} [{section}]", cwd, primary=section == main)  # fmt: skip
    if main is not None:
        _tox_test_env(facts, tox, main, name)
    for section in (s for s in tox.sections() if re.search(r"\bmypy\b", _tox_value(tox, s, "commands"))):
        for key in ("extras", "dependency_groups"):  # cachelib's typing env: its stubs' group
            for item in _tox_list(_tox_value(tox, section, key)):
                facts.type_needs.setdefault(item, f"{name} [{_tox_owner(tox, section, key)}] {key}")


#: a tox env whose commands run the tests (its ``extras`` are what the tests need)
_TESTS_RUN = re.compile(r"\b(?:pytest|py\.test|unittest|coverage)\b")


def _tox_test_env(facts: Facts, tox: RawConfigParser, section: str, name: str) -> None:
    """What the tox env that runs the tests (``[testenv]`` when it does, else the first that does:
    markdown-it-py's ``[testenv:py{310,…}]``) installs besides the project: its extras and deps,
    each inherited from ``[testenv]`` unless the env sets it. Only that one: the others are
    variants (``py38-extra: numpy==1.24.4``, for an older Python)."""
    for extra in _tox_list(_tox_value(tox, section, "extras")):
        facts.test_extras.setdefault(extra, f"{name} [{_tox_owner(tox, section, 'extras')}] extras")
    for key, value in _tox_setenv(_tox_value(tox, section, "setenv")).items():
        facts.test_variables.setdefault(key, (value, f"{name} [{_tox_owner(tox, section, 'setenv')}] setenv"))
    where = f"{name} [{_tox_owner(tox, section, 'commands_pre')}] commands_pre"
    facts.test_prepare += [(argv, where) for argv in _tox_commands(_tox_value(tox, section, "commands_pre"))]
    for group in _tox_list(_tox_value(tox, section, "dependency_groups")):
        where = f"{name} [{_tox_owner(tox, section, 'dependency_groups')}] dependency_groups"
        facts.test_groups.setdefault(group, where)
    deps, where = _tox_value(tox, section, "deps"), f"{name} [{_tox_owner(tox, section, 'deps')}] deps"
    for dep, line in requirement_lines(deps).items():
        facts.test_deps.setdefault(dep, (line, where))
    for found in re.findall(r"^\s*(?:-r\s*|--requirement[\s=]+)(\S+)", deps, re.M):  # wcwidth: -r req….txt
        path = re.sub(r"^\{(?:toxinidir|tox_root)\}(?:/|\{/\})", "", found)
        if "{" not in path and (facts.repo / path).is_file():
            facts.test_requirement_files.setdefault(os.path.normpath(path), where)


def _tox_value(tox: RawConfigParser, section: str, key: str) -> str:
    """A tox env's setting, inherited from ``[testenv]`` when the env does not set it, with
    references to other sections' settings resolved (humanize: ``commands_pre =
    {[testenv:compile-translations]commands}``)."""
    value = tox.get(_tox_owner(tox, section, key), key, fallback="")
    for _ in range(3):  # (a reference may hold one)
        value = _TOX_REF.sub(lambda m: tox.get(m[1], m[2], fallback=""), value)
    return value


_TOX_REF = re.compile(r"\{\[([^\]{}]+)\]([\w-]+)\}")


def _tox_owner(tox: RawConfigParser, section: str, key: str) -> str:
    return section if tox.has_option(section, key) or not tox.has_section("testenv") else "testenv"


def _tox_commands(value: str) -> list[tuple[str, ...]]:
    """A tox commands list as argvs (``{envpython}`` is ``python``); a line behind a factor, with a
    substitution left or that does not parse is left out."""
    out = []
    for line in re.sub(r"\\\s*\n", " ", value).splitlines():
        text = with_defaults(line).replace("{envpython}", "python").replace("{env_python}", "python")
        if not text.strip() or "{" in text or re.match(r"^\s*[\w-]+:\s", text):
            continue
        try:
            out.append(tuple(shlex.split(text)))
        except ValueError:
            continue
    return out


def _tox_setenv(value: str) -> dict[str, str]:
    """``KEY = VALUE`` lines of a tox ``setenv``; not those behind a factor (``py38: X = 1``), with
    a substitution (``{toxinidir}``) or for what the environment sets itself (PATH, VIRTUAL_ENV)."""
    found = {}
    for line in value.splitlines():
        match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*", line)
        if match and "{" not in match[2] and match[1] not in ("PATH", "VIRTUAL_ENV"):
            found[match[1]] = match[2]
    return found


def _tox_list(value: str) -> list[str]:
    """A tox list (``extras = diagrams``, one per line or comma separated); entries behind a
    factor condition (``py312: speedups``) are left out, being for some environments only."""
    items = [i.strip() for line in value.splitlines() for i in line.split(",")]
    return [i for i in items if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", i)]


def _tox_dir(changedir: str) -> str:
    """A tox env's ``changedir`` relative to the repository (``{toxinidir}/tests`` -> ``tests``);
    ``.`` when unset or outside it."""
    folder = changedir.strip().replace("{toxinidir}", ".").replace("{tox_root}", ".")
    if not folder or folder.startswith(("/", "{")) or ".." in Path(folder).parts:
        return "."
    return os.path.normpath(folder)


def _command_line(facts: Facts, line: str, where: str, cwd: str = ".", primary: bool = True) -> None:
    """A command the project runs (in ``cwd``, relative to the repository): note its tool; mypy's
    own targets are kept; a pytest command's arguments when it is the project's main test run
    (``primary``: not tox's benchmark or docs env, which come before ``[testenv]`` in pluggy's)."""
    line = with_defaults(line)
    try:
        words = shlex.split(line.strip())
    except ValueError:
        return
    if len(words) > 2 and words[1] == "-m" and _PYTHON.fullmatch(words[0]):
        words = words[2:]
    if not words:
        return
    tool, words = _inner_tool(facts, words, where)
    _fail_under(facts, words, where)
    if tool in ("pytest", "mypy", "ruff", "flake8", "black", "pyright") or words[:2] == ["ty", "check"]:
        facts.saw("ruff-format" if words[:2] == ["ruff", "format"] else tool, where)
    if tool == "pytest":
        _cov_targets(facts, words)
        if primary:
            pytest_args(facts, words, cwd, where)
    if tool in ("mypy", "black"):
        options, rest = tool_options(tool, words[1:])
        facts.lint_options.setdefault(tool, options)
    if tool == "mypy":
        targets = [w for w in rest if not w.startswith("{")]
        _mypy_targets(facts, [os.path.normpath(os.path.join(cwd, w)) for w in targets])
    if tool in ("ruff", "flake8"):
        lint_targets(facts, words, cwd)


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
    for index, word in enumerate(words):
        name, eq, value = word.partition("=")
        if name in ("--fail-under", "--cov-fail-under") and not facts.fail_under:
            value = value if eq else (words[index + 1] if index + 1 < len(words) else "")
            if re.fullmatch(r"\d+(\.\d+)?", value):
                facts.fail_under = (float(value), f"{where}: {name}")


def _inner_tool(facts: Facts, words: list[str], where: str) -> tuple[str, list[str]]:
    """(the tool, its words): ``coverage run -m pytest …`` runs pytest (and coverage)."""
    tool = {"py.test": "pytest"}.get(words[0], words[0])
    if tool == "coverage" and "run" in words:
        facts.saw("coverage", where)
        inner = words[words.index("-m") + 1 :] if "-m" in words else []
        return (inner[0], inner) if inner else (tool, words)
    return tool, words


def _cov_targets(facts: Facts, words: list[str]) -> None:
    """What the project's own pytest command measures (``--cov X``, ``--cov=X``), tox's
    substitutions taken out (platformdirs: ``--cov {envsitepackagesdir}{/}platformdirs --cov
    {toxinidir}{/}tests``, and its ``fail_under`` is for that total)."""
    facts.cov_branch = facts.cov_branch or "--cov-branch" in words  # cachetools' tox
    for index, word in enumerate(words):
        value = word.partition("=")[2] if word.startswith("--cov=") else None
        if word == "--cov" and index + 1 < len(words):
            value = words[index + 1]
        if not value or value.startswith("-"):
            continue
        value = value.replace("{/}", "/")
        for prefix in ("{envsitepackagesdir}/", "{env_site_packages_dir}/", "{toxinidir}/", "{tox_root}/"):
            value = value.removeprefix(prefix)
        value = os.path.normpath(value) if value and "{" not in value else value
        if "{" not in value and value not in facts.cov_targets:
            facts.cov_targets.append(value)


def _mypy_targets(facts: Facts, words: list[str]) -> None:
    """Every target of every mypy command the project runs (attrs' tox.ini runs one on its tests'
    typing examples and one on its stubs), in order, each once: a target inside another is left
    out (mypy refuses a file found twice); a glob the tool would get from a shell is expanded in
    the checkout (dropped when it matches nothing)."""
    for word in words:
        found = (
            sorted(str(p.relative_to(facts.repo)) for p in facts.repo.glob(word))
            if _GLOB.search(word)
            else [word.rstrip("/") or word]
        )
        add_targets(facts.mypy_targets, [t for t in found if (facts.repo / t).exists()])


_GLOB = re.compile(r"[*?\[]")


def _hatch_scripts(facts: Facts) -> None:
    """``[tool.hatch.envs.NAME.scripts]``: ``test = "pytest {args:tests}"`` or a list of commands."""
    envs = nested(facts.config, "tool", "hatch", "envs")
    for env, table in envs.items() if isinstance(envs, dict) else []:
        scripts = table.get("scripts") if isinstance(table, dict) else None
        for name, value in scripts.items() if isinstance(scripts, dict) else []:
            for line in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
                if isinstance(line, str):
                    _command_line(facts, line, f"pyproject.toml [tool.hatch.envs.{env}.scripts] {name}")


def _nox(facts: Facts) -> None:
    text = read_text(facts.repo / "noxfile.py")
    for match in re.finditer(r"session\.run\(\s*([^)]*)\)", text):
        args = re.findall(r"""["']([^"']+)["']""", match.group(1))
        _command_line(facts, " ".join(args), "noxfile.py")
    for word in ("pytest", "mypy", "ruff", "flake8", "black", "coverage"):
        if re.search(rf"""["']{word}["']""", text):
            facts.saw(word, "noxfile.py")


def _pre_commit(facts: Facts) -> None:
    data = read_yaml(facts.repo / ".pre-commit-config.yaml")
    repos = data.get("repos") if isinstance(data, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            tool = _HOOKS.get(str(hook.get("id", ""))) if isinstance(hook, dict) else None
            if tool:
                facts.saw(tool, f".pre-commit-config.yaml hook '{hook['id']}'")
                _hook_versions(facts, tool, repo, hook)
                _hook_targets(facts, tool, hook_paths(hook))
                _hook_options(facts, tool, hook.get("args"))


def _hook_options(facts: Facts, tool: str, args: object) -> None:
    """A hook's ``args`` that change what its tool reports (referencing's black hook:
    ``["--line-length", "79"]``), unless a command of the project said first."""
    words = [a for a in args if isinstance(a, str)] if isinstance(args, list) else []
    options = tool_options(tool, words)[0] if tool in ("ruff", "flake8", "black", "mypy") else []
    if options:
        facts.lint_options.setdefault(tool, options)


def _hook_targets(facts: Facts, tool: str, paths: list[str] | None) -> None:
    """A hook runs its tool on the files its ``files`` filter names, else on every file: for
    ruff that is everything; mypy and flake8 keep their targets unless the filter names folders."""
    if tool == "ruff":
        add_targets(facts.lint_targets.setdefault("ruff", []), paths or ["."])
    elif tool == "flake8" and paths:
        add_targets(facts.lint_targets.setdefault("flake8", []), paths)
    elif tool == "mypy" and paths:
        _mypy_targets(facts, paths)


def _hook_versions(facts: Facts, tool: str, repo: dict[str, object], hook: dict[str, object]) -> None:
    """The tool's version (the hook repository's ``rev``) and plugins (``additional_dependencies``)."""
    package = "ruff" if tool == "ruff-format" else tool
    rev = str(repo.get("rev") or "").removeprefix("v")
    if re.fullmatch(r"\d+(\.\d+)*", rev) and package in str(repo.get("repo", "")).lower():
        facts.pin(package, f"{package}=={rev}", f".pre-commit-config.yaml rev {repo.get('rev')}")
    extra = hook.get("additional_dependencies")
    for dep in extra if isinstance(extra, list) else []:
        if isinstance(dep, str) and dep not in facts.plugins.setdefault(package, []):
            facts.plugins[package].append(dep)


def _ci(facts: Facts) -> None:
    workflows = sorted((facts.repo / ".github" / "workflows").glob("*.y*ml"))
    workflows += [
        p for p in (facts.repo / ".gitlab-ci.yml", facts.repo / ".circleci" / "config.yml") if p.is_file()
    ]
    for path in workflows:
        name = str(path.relative_to(facts.repo))
        facts.ci.append(name)
        for line in read_text(path).splitlines():
            if re.match(r"^\s*(-\s*)?run:|^\s{6,}\S", line):
                for word in _RUN_WORD.findall(line):
                    facts.saw("ruff-format" if word == "ruff format" else word, name)
                for command in ci_commands(line):
                    _command_line(facts, command, name)
