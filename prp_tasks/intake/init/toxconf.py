"""A project's tox configuration, whichever file holds it: ``tox.ini``, ``tox.toml`` (tox 4's own
format: pathspec), or ``pyproject.toml`` ``[tool.tox]`` (its native tables or a ``legacy_tox_ini``
string), as ``tox.ini`` sections (TOML's ``env_run_base`` and ``env.NAME`` as ``[testenv]`` and
``[testenv:NAME]``, command lists shell-joined); and what it says (:func:`tox`): the commands its
envs run, and the extras, groups, deps, requirement files, ``setenv`` and ``commands_pre`` of the
env that runs the tests and of the one that runs mypy."""

from __future__ import annotations

import configparser
import os
import re
import shlex
from configparser import RawConfigParser
from pathlib import Path
from typing import Any

from prp_tasks.intake.init.commandline import command_line, tox_path, with_defaults
from prp_tasks.intake.init.declared import declared, is_flake8_plugin, pins
from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.sources import nested, read_ini, read_toml, requirement_lines, requirement_names
from prp_tasks.intake.init.toxenvs import (
    FACTOR,
    THIS_PYTHON,
    THIS_PYTHONS,
    ci_envs,
    ci_factor_envs,
    env_for,
    expanded,
    factor_lines,
    for_env,
    listed_envs,
    names_python,
)

#: TOML keys read, and their tox.ini names
_KEYS = {
    "commands": "commands",
    "commands_pre": "commands_pre",
    "deps": "deps",
    "extras": "extras",
    "dependency_groups": "dependency_groups",
    "change_dir": "changedir",
    "set_env": "setenv",
}


def read_tox(repo: Path) -> tuple[configparser.RawConfigParser, str]:
    """(the configuration, the file it came from: ``tox.ini`` …); empty when there is none."""
    if (repo / "tox.ini").is_file():
        return _ini_names(read_ini(repo / "tox.ini")), "tox.ini"
    if (repo / "tox.toml").is_file():
        return _from_toml(read_toml(repo / "tox.toml")), "tox.toml"
    table = nested(read_toml(repo / "pyproject.toml"), "tool", "tox")
    if isinstance(table, dict) and isinstance(table.get("legacy_tox_ini"), str):
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read_string(table["legacy_tox_ini"])
        except configparser.Error:
            return configparser.RawConfigParser(), "pyproject.toml [tool.tox]"
        return _ini_names(parser), "pyproject.toml [tool.tox]"
    if isinstance(table, dict):
        return _from_toml(table), "pyproject.toml [tool.tox]"
    return configparser.RawConfigParser(), "tox.ini"


def _ini_names(parser: configparser.RawConfigParser) -> configparser.RawConfigParser:
    """tox 4 also reads ``set_env`` and ``change_dir`` in an INI file (prettytable's
    ``set_env = COVERAGE_CORE = sysmon``): under the names the readers use, unless both are set."""
    for section in parser.sections():
        for key, ini_key in [*_KEYS.items(), ("env_list", "envlist")]:  # python-slugify's env_list
            if key != ini_key and parser.has_option(section, key) and not parser.has_option(section, ini_key):
                parser.set(section, ini_key, parser.get(section, key))
    return parser


def _from_toml(data: dict[str, Any]) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    envs = [("testenv", data.get("env_run_base"))]
    named = data.get("env")
    envs += [(f"testenv:{k}", v) for k, v in (named.items() if isinstance(named, dict) else [])]
    for section, env in envs:
        if not isinstance(env, dict):
            continue
        parser.add_section(section)
        for key, ini_key in _KEYS.items():
            value = _lines(key, env.get(key))
            if value is not None:
                parser.set(section, ini_key, value)
    _toml_lists(parser, data)
    return parser


def _toml_lists(parser: configparser.RawConfigParser, data: dict[str, Any]) -> None:
    """A TOML configuration's ``env_list`` (pathspec's ``py311-hyperscan`` …) and tox-gh's
    ``[gh.python]`` mapping, as tox.ini's ``[tox] envlist`` and ``[gh] python`` would give them."""
    envs = data.get("env_list")
    if isinstance(envs, list):
        parser.add_section("tox")
        parser.set("tox", "envlist", ",".join(e for e in envs if isinstance(e, str)))
    mapping = nested(data, "gh", "python")
    if isinstance(mapping, dict):
        parser.add_section("gh")
        lines = [f"{k} = {','.join(v) if isinstance(v, list) else v}" for k, v in mapping.items()]
        parser.set("gh", "python", "\n".join(lines))


def _lines(key: str, value: Any) -> str | None:
    """A TOML value as tox.ini text: commands one shell-joined line each, lists one item a line."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # set_env = {PYTHONWARNDEFAULTENCODING = "1"}
        return "\n".join(f"{k} = {v}" for k, v in value.items() if isinstance(v, str | int))
    if not isinstance(value, list):
        return None
    if key in ("commands", "commands_pre"):
        return "\n".join(shlex.join(_words(c)) for c in value if isinstance(c, list))
    return "\n".join(v for v in value if isinstance(v, str))


def _words(command: list[Any]) -> list[str]:
    """A command's words; ``{replace = "posargs", default = [...]}`` becomes its default."""
    words: list[str] = []
    for word in command:
        if isinstance(word, str):
            words.append(word)
        elif isinstance(word, dict) and word.get("replace") == "posargs":
            words += [w for w in word.get("default") or [] if isinstance(w, str)]
    return words


def tox(facts: Facts) -> None:
    tox, name = read_tox(facts.repo)
    runs_tests = [s for s in tox.sections() if _TESTS_RUN.search(_tox_value(tox, s, "commands"))]
    main = _main_section(tox, runs_tests)
    by_unittest = main is not None and _runs_unittest(_tox_value(tox, main, "commands"))
    if by_unittest:
        facts.unittest_run = f"{name} [{main}]"
    envs = [s for s in tox.sections() if s.startswith("testenv")]
    for section in sorted(envs, key=lambda s: _python_rank(tox, s)):  # this Python's pins first
        _tox_env(facts, tox, name, section, main, by_unittest)
    if main is not None:
        _tox_test_env(facts, tox, main, name)
        _factored_test_env(facts, tox, main, name)
        if _DISCOVERY.search(_tox_value(tox, main, "commands")):
            facts.discovered_by = f"{name} [{main}]"
    mypy = [s for s in tox.sections() if re.search(r"\bmypy\b", _tox_value(tox, s, "commands"))]
    for section in sorted(mypy, key=lambda s: _python_rank(tox, s)):  # executing: its py311 env's pin
        env = _running(tox, section, re.compile(r"\bmypy\b"))  # Automat's py311-mypy: mypy: Twisted
        for key in ("extras", "dependency_groups"):  # cachelib's typing env: its stubs' group
            for item in _tox_list(_setting(tox, section, key, env)):
                facts.type_needs.setdefault(item, f"{name} [{_tox_owner(tox, section, key)}] {key}")
        deps, where = _setting(tox, section, "deps", env), f"{name} [{_tox_owner(tox, section, 'deps')}] deps"
        for dep, line in requirement_lines(deps).items():
            facts.type_deps.setdefault(dep, (line, where))
        _requirement_files(facts, deps, f"{name} [{section}] deps", typing=True)


def _setting(tox: RawConfigParser, section: str, key: str, env: str | None) -> str:
    """A setting of the section's env ``env`` (:func:`for_env`), or of the section itself."""
    value = _tox_value(tox, section, key)
    return for_env(value, env) if env else value


def _running(tox: RawConfigParser, section: str, runs: re.Pattern[str]) -> str | None:
    """The env of the envlist that ``section`` configures and whose commands run ``runs``
    (:func:`env_for`); None when the envlist names none."""
    names = [e for e in listed_envs(tox.get("tox", "envlist", fallback="")) if _section_of(tox, e) == section]
    in_ci = [e for e in _in_ci(tox) if _section_of(tox, e) == section]
    names = in_ci or names  # tqdm's [gh] 3.11 = 3.11: not its 3.11-tf-keras (tensorflow)
    return env_for(names, lambda key, env: _setting(tox, section, key, env), runs)


def _in_ci(tox: RawConfigParser) -> list[str]:
    """The envs CI runs on this Python: tox-gh's ``[gh] python`` names them, tox-gh-actions'
    ``[gh-actions] python`` names factors of the envlist's (:func:`ci_factor_envs`)."""
    if mapping := tox.get("gh", "python", fallback=""):
        return ci_envs(mapping)
    envlist = listed_envs(tox.get("tox", "envlist", fallback=""))
    return ci_factor_envs(ci_envs(tox.get("gh-actions", "python", fallback="")), envlist)


def _section_of(tox: RawConfigParser, env: str) -> str:
    """The section that configures the env ``env``: its own (``[testenv:mypy-py{311,312}]`` for
    ``mypy-py311`` too), else ``[testenv]``."""
    own = (
        s for s in tox.sections() if s.startswith("testenv:") and env in expanded(s.removeprefix("testenv:"))
    )
    return next(own, "testenv")


def _python_rank(tox: RawConfigParser, section: str) -> int:
    """0 for a section whose envs include this Python's, 1 for one naming no Python, 2 for one of
    other Pythons only (executing's ``[testenv:mypy-py{38,39,310}]``, mypy 1.14.1, before its
    ``mypy-py{311,…}``, mypy 2.1.0)."""
    names = [set(n.split("-")) for n in expanded(section.removeprefix("testenv:"))]
    if any(THIS_PYTHONS & n for n in names):
        return 0
    return 2 if names and all(any(map(_names_version, n)) for n in names) else 1


def _main_section(tox: RawConfigParser, runs_tests: list[str]) -> str | None:
    """The section of the env that runs the tests: the one CI runs on this Python (tabulate's
    ``[gh] python = 3.11: py311-extra``, with numpy and pandas: 334 passed, where ``[testenv]``
    skipped 39), else ``[testenv]``, else the first a plain ``tox`` runs."""
    in_ci = [s for s in (_section_of(tox, e) for e in _in_ci(tox)) if s in runs_tests]
    listed = [s for s in runs_tests if _listed(tox, s)] or runs_tests  # a plain ``tox`` runs those
    if in_ci or not runs_tests:
        return in_ci[0] if in_ci else None
    return "testenv" if "testenv" in runs_tests else listed[0]


def _factored_test_env(facts: Facts, tox: RawConfigParser, section: str, name: str) -> None:
    """What the env of the envlist that runs the tests through ``section`` gets behind its factors
    (Automat's ``py311-extras``: ``extras: Twisted>=16.2.0``; incremental's ``tests``:
    ``tests: -rrequirements_tests.txt``), besides what :func:`_tox_test_env` read."""
    env = _running(tox, section, _TESTS_RUN)
    if env is None:
        return
    for extra in _tox_list(_setting(tox, section, "extras", env)):
        facts.test_extras.setdefault(
            extra, f"{name} [{_tox_owner(tox, section, 'extras')}] extras, for {env}"
        )
    deps, where = (
        _setting(tox, section, "deps", env),
        f"{name} [{_tox_owner(tox, section, 'deps')}] deps, for {env}",
    )
    for dep, line in requirement_lines(deps).items():
        facts.test_deps.setdefault(dep, (line, where))
    _requirement_files(facts, deps, where)


def _tox_env(
    facts: Facts, tox: RawConfigParser, name: str, section: str, main: str | None, by_unittest: bool
) -> None:
    """What one tox env says: its deps (declared, pinned), flake8 env, and the commands it runs
    (in its ``changedir``); ``main`` is the env that runs the tests."""
    deps = tox.get(section, "deps", fallback="")
    runs_flake8 = re.search(r"\bflake8\b", tox.get(section, "commands", fallback=""))
    if runs_flake8 and _listed(tox, section) and not facts.flake8_envs:  # the first: its command lints
        facts.flake8_envs.add(f"{name} [{section}] deps")
    elif runs_flake8 and _listed(tox, section):  # another flake8 env's plugins: named, not run
        for plugin in (p for p in requirement_names(deps) if is_flake8_plugin(p)):
            facts.ran_unchecked(plugin, f"{name} [{section}]")
    declared(facts, requirement_names(deps), f"{name} [{section}] deps")
    pins(facts, deps, f"{name} [{section}] deps")
    cwd = _tox_dir(tox.get(section, "changedir", fallback=""))
    commands = re.sub(r"\\\s*\n", " ", _resolved(tox, tox.get(section, "commands", fallback="")))  # continued
    variables = _tox_setenv(_tox_value(tox, section, "setenv"))
    for line in commands.splitlines():
        line = line.split(":", 1)[1] if FACTOR.match(line) else line
        line = _with_env(line, variables)  # hyperlink's ``{posargs:src/{env:PY_MODULE}}``
        if by_unittest and section != main and _PYTEST_RUN.search(line):
            continue  # tomli's profiler env runs pytest; the tests run with unittest
        command_line(facts, line, f"{name} [{section}]", cwd, primary=section == main)


def _with_env(line: str, variables: dict[str, str]) -> str:
    """``{env:NAME}`` and ``{env:NAME:DEFAULT}`` replaced by the env's ``setenv`` value, else the
    default; one with neither is left as it is."""

    def value(match: re.Match[str]) -> str:
        if match[1] in variables:
            return variables[match[1]]
        return match[2] if match[2] is not None else match[0]

    return re.sub(r"\{env:([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}", value, line)


def _listed(tox: RawConfigParser, section: str) -> bool:
    """Whether a plain ``tox`` runs the env: in ``envlist`` when there is one (mccabe's
    ``docstrings`` env, with flake8-docstrings, is not)."""
    envlist = set(listed_envs(tox.get("tox", "envlist", fallback="")))
    names = expanded(section.removeprefix("testenv:"))  # ([testenv:py{38,39}] configures py38, py39)
    return not envlist or section == "testenv" or any(name in envlist for name in names)


#: a tox env whose commands run the tests (its ``extras`` are what the tests need)
#: a tox command running the tests: a test tool, a ``make test…`` target (markdown2's ``make
#: testone``) or a script of the tests (dill's ``{envpython} dill/tests/__main__.py``)
_TESTS_RUN = re.compile(
    r"\b(?:pytest|py\.test|unittest|coverage|trial|make\s+(?:test|check)[\w-]*)\b"
    r"|(?:\bpython[\d.]*|\{envpython\})(?:\s+-\S+)*\s+\S*\btests?/\S*\.py\b"
)
_PYTEST_RUN = re.compile(r"\b(?:pytest|py\.test)\b")


#: a unittest-style discovery of the tests (requests-mock's ``python -m testtools.run
#: {posargs:discover}``, ``python -m unittest discover``, ``stestr run``)
_DISCOVERY = re.compile(r"-m\s+(?:unittest|testtools\.run|subunit\.run)\b[^\n]*\bdiscover\b|\bstestr\s+run\b")


def _runs_unittest(commands: str) -> bool:
    """Whether the tests' env runs them with unittest (``python -m unittest``), not pytest."""
    return bool(re.search(r"-m\s+unittest\b", commands)) and not _PYTEST_RUN.search(commands)


def _tox_test_env(facts: Facts, tox: RawConfigParser, section: str, name: str) -> None:
    """What the tox env that runs the tests (``[testenv]`` when it does, else the first that does:
    markdown-it-py's ``[testenv:py{310,…}]``) installs besides the project: its extras and deps,
    each inherited from ``[testenv]`` unless the env sets it. Only that one: the others are
    variants (``py38-extra: numpy==1.24.4``, for an older Python)."""
    facts.test_env = f"{name} [{section}]"
    for extra in _tox_list(_tox_value(tox, section, "extras")):
        facts.test_extras.setdefault(extra, f"{name} [{_tox_owner(tox, section, 'extras')}] extras")
    for extra, condition in _variant_extras(_tox_value(tox, section, "extras")):
        where = f"{name} [{_tox_owner(tox, section, 'extras')}] extras, in its '{condition}' envs"
        facts.test_extras.setdefault(extra, where)
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
    for dep, line in requirement_lines(_for_this_python(deps)).items():  # ecdsa's hypothesis
        facts.test_deps.setdefault(dep, (line, f"{where}, for {THIS_PYTHON}"))
    _requirement_files(facts, deps, where)
    for extra in _own_extras(deps):  # validators: ``.[crypto-eth-addresses]`` among the deps
        facts.test_extras.setdefault(extra, where)


def _own_extras(deps: str) -> list[str]:
    """The extras of the project itself among a tox env's deps (``.[a,b]``, ``-e .[a]``,
    ``{toxinidir}[a]``)."""
    found = re.findall(r"^\s*(?:-e\s+)?(?:\.|\{toxinidir\}|\{tox_root\})/?\[([^\]]+)\]\s*$", deps, re.M)
    return [e.strip() for group in found for e in group.split(",") if e.strip()]


def _requirement_files(facts: Facts, deps: str, where: str, *, typing: bool = False) -> None:
    """The ``-r FILE`` lines of a tox env's deps (wcwidth's tests, humanize's mypy stubs; ``typing``:
    the env runs mypy)."""
    for found in re.findall(r"^\s*(?:-r\s*|--requirement[\s=]+)(\S+)", deps, re.M):
        path = tox_path(found)
        if "{" not in path and (facts.repo / path).is_file():
            path = os.path.normpath(path)
            if typing and path not in facts.test_requirement_files:
                facts.type_requirement_files.add(path)
            facts.test_requirement_files.setdefault(path, where)


def _tox_value(tox: RawConfigParser, section: str, key: str) -> str:
    """A tox env's setting, inherited from ``[testenv]`` when the env does not set it, with
    references to other sections' settings resolved (humanize: ``commands_pre =
    {[testenv:compile-translations]commands}``)."""
    return _resolved(tox, tox.get(_tox_owner(tox, section, key), key, fallback=""))


def _resolved(tox: RawConfigParser, value: str) -> str:
    """``value`` with its references to other sections' settings replaced by their values
    (aiosignal's ``{envpython} {[python-cli-options]byte-errors} … -m pytest``)."""
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
        if not text.strip() or "{" in text or FACTOR.match(text):
            continue
        try:
            out.append(tuple(shlex.split(text)))
        except ValueError:
            continue
    return out


def _tox_setenv(value: str) -> dict[str, str]:
    """``KEY = VALUE`` lines of a tox ``setenv``; not those behind a factor (``py38: X = 1``), with
    a substitution (``{toxinidir}``) or for what the environment sets itself (PATH, VIRTUAL_ENV).
    ``{env:NAME:DEFAULT}`` is its default, as tox gives it where NAME is unset (blessed's
    ``TEST_QUICK = {env:TEST_QUICK:1}``: left out, its full suite ran, 1859 tests for tox's 1824)."""
    found = {}
    for line in value.splitlines():
        match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*", line)
        said = re.sub(r"\{env:[A-Za-z_][A-Za-z0-9_]*:([^{}]*)\}", r"\1", match[2]) if match else ""
        if match and "{" not in said and match[1] not in ("PATH", "VIRTUAL_ENV"):
            found[match[1]] = said
    return found


def _tox_list(value: str) -> list[str]:
    """A tox list (``extras = diagrams``, one per line or comma separated); entries behind a
    factor condition (``py312: speedups``) are left out, being for some environments only."""
    lines = [line for line in value.splitlines() if not FACTOR.match(line)]  # munch: "{py27,py35}-full: …"
    items = [i.strip() for line in lines for i in line.split(",")]
    return [i for i in items if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", i)]


def _for_this_python(value: str) -> str:
    """The lines a tox setting gives only behind Python factors that name this Python (ecdsa's
    ``py{27,…,311,312,313,py,py3}: hypothesis``, python-dotenv's ``py{310,…,314t}: ipython``:
    without them its tests could not import hypothesis, or skipped a module), not those for other
    Pythons (hyperlink's ``py{35,…,39,py3}: pytest==5.2.4``, a pin for them) or for variants."""
    lines = factor_lines(value)
    return "\n".join(rest for _, alternatives, rest in lines if any(map(_names_this_python, alternatives)))


def _names_this_python(factors: list[str]) -> bool:
    """Factors only of Pythons, this one's among the positive ones (``!py27`` alone is no choice)."""
    versions = all(_names_version(f.removeprefix("!")) for f in factors)
    return versions and bool(THIS_PYTHONS & set(factors))


def _names_version(factor: str) -> bool:
    """A Python factor naming a version (``py311``, ``3.8``, ``pypy3``; not the bare ``py``)."""
    return names_python(factor) and factor != "py"


def _variant_extras(value: str) -> list[tuple[str, str]]:
    """(extra, condition) of the extras a tox list installs behind a factor that names a variant
    of the env, not a Python (PyJWT's ``crypto: crypto`` of its ``py3X-{crypto,nocrypto}`` envs:
    without it 189 of its 475 tests skip): the variant that runs the most tests."""
    found = []
    for condition, alternatives, rest in factor_lines(value):
        factors = [f for alternative in alternatives for f in alternative if f]
        if factors and not any(f.startswith("!") or re.fullmatch(r"py\d*|pypy\d*", f) for f in factors):
            found += [(e.strip(), condition) for e in rest.split(",") if re.fullmatch(r"[\w.-]+", e.strip())]
    return found


def _tox_dir(changedir: str) -> str:
    """A tox env's ``changedir`` relative to the repository (``{toxinidir}/tests`` -> ``tests``);
    ``.`` when unset or outside it."""
    folder = changedir.strip().replace("{toxinidir}", ".").replace("{tox_root}", ".")
    if not folder or folder.startswith(("/", "{")) or ".." in Path(folder).parts:
        return "."
    return os.path.normpath(folder)
