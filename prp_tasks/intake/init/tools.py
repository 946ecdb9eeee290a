"""Which test, lint, format and type tools a repository uses, from its ini files, its test modules
and the places it runs them (tox: :mod:`.toxconf`; CI workflows, Makefiles and justfiles:
:mod:`.automation`; Hatch scripts, poe tasks, nox and pre-commit here); each command read by
:mod:`.commandline`, what it declares by :mod:`.declared`."""

from __future__ import annotations

import re
from configparser import RawConfigParser

from prp_tasks.intake.init.automation import ci, invoke_tasks, justfile, makefile
from prp_tasks.intake.init.commandline import (
    addopts_checkers,
    addopts_cov_targets,
    addopts_quiet,
    addopts_xdist,
    command_line,
    mypy_targets,
)
from prp_tasks.intake.init.declared import declared, is_flake8_plugin, pins
from prp_tasks.intake.init.facts import UNRUN_TOOLS, Facts
from prp_tasks.intake.init.noxfile import nox_commands, nox_installs, nox_test_extras, nox_test_variables
from prp_tasks.intake.init.pytest_plugins import option_plugins
from prp_tasks.intake.init.sources import (
    hooks_config,
    nested,
    normalise,
    python_files,
    read_ini,
    read_text,
    read_yaml,
    requirement_names,
)
from prp_tasks.intake.init.targets import (
    add_targets,
    ci_commands,
    hook_paths,
    prefix_folders,
    tool_options,
    top_entries,
)
from prp_tasks.intake.init.toxconf import tox

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
    ("setup.cfg", "pycodestyle", "pycodestyle"),  # (read by autopep8 too: commands._autopep8s)
    ("tox.ini", "pycodestyle", "pycodestyle"),
    ("setup.cfg", "pep8", "pep8"),
    ("tox.ini", "pep8", "pep8"),
    ("setup.cfg", "coverage:run", "coverage"),
    ("tox.ini", "coverage:run", "coverage"),
    (".coveragerc", "run", "coverage"),
)
_CONFIG_FILES = (
    ("ruff.toml", "ruff"),
    (".ruff.toml", "ruff"),
    ("pyrightconfig.json", "pyright"),
    ("pyrefly.toml", "pyrefly"),
    (".pylintrc", "pylint"),
    ("pylintrc", "pylint"),
    ("conftest.py", "pytest"),
    ("tests/conftest.py", "pytest"),
)
#: pre-commit hook id -> tool
_HOOKS = {"ruff": "ruff", "ruff-check": "ruff", "ruff-format": "ruff-format", "black": "black",
          "flake8": "flake8", "mypy": "mypy", "pyright": "pyright", "ty": "ty", "ty-check": "ty",
          "pyrefly": "pyrefly", "pyrefly-check": "pyrefly",
          "pylint": "pylint", "pycodestyle": "pycodestyle", "darker": "darker"}  # fmt: skip


def ini_files(facts: Facts) -> None:
    repo = facts.repo
    for name, section, tool in _INI_SECTIONS:
        ini = read_ini(repo / name)
        if ini.has_section(section):
            facts.configured(tool, f"{name} [{section}]")
            _ini_details(facts, ini, name, section, tool)
    for name, section in _FAIL_UNDER:
        report = read_ini(repo / name)
        value = report.get(section, "fail_under", fallback="").strip()
        if value and not facts.fail_under and re.fullmatch(r"\d+(\.\d+)?", value):
            facts.fail_under = (float(value), f"{name} [{section}] fail_under")
            precision = report.get(section, "precision", fallback="").strip()
            facts.coverage_precision = int(precision) if precision.isdigit() else 0
        include = report.get(section, "include", fallback="")
        installed_only(facts, re.split(r"[\s,]+", include.strip()), f"{name} [{section}] include")
    for name, tool in _CONFIG_FILES:
        if (repo / name).is_file():
            facts.configured(tool, name)
    _unrun_configs(facts)


#: where the checkers no check runs keep their settings (oauthlib's ``setup.cfg [isort]``):
#: file -> (section, tool)
_UNRUN_CONFIGS = {
    "setup.cfg": (("isort", "isort"), ("tool:isort", "isort"), ("codespell", "codespell"),
                  ("pydocstyle", "pydocstyle")),
    "tox.ini": (("isort", "isort"), ("pydocstyle", "pydocstyle")),
    ".isort.cfg": (("settings", "isort"),),
    ".codespellrc": (("codespell", "codespell"),),
    ".pydocstyle": (("pydocstyle", "pydocstyle"),),
    ".bandit": (("bandit", "bandit"),),
}  # fmt: skip


def _unrun_configs(facts: Facts) -> None:
    """Checkers the project configures that no check runs, named with their section (each file
    read once)."""
    for name, sections in _UNRUN_CONFIGS.items():
        ini = read_ini(facts.repo / name)
        for section, tool in sections:
            if ini.has_section(section):
                facts.ran_unchecked(tool, f"{name} [{section}]")


_FAIL_UNDER = (("setup.cfg", "coverage:report"), ("tox.ini", "coverage:report"), (".coveragerc", "report"))


def installed_only(facts: Facts, patterns: list[str], where: str) -> None:
    """A coverage report that counts only an installed copy (python-dotenv: ``include =
    */site-packages/dotenv/*``): the checks run the sources, so it would report nothing."""
    patterns = [p for p in patterns if p]
    if patterns and all("site-packages" in p for p in patterns) and facts.coverage_installed_only is None:
        facts.coverage_installed_only = (" ".join(patterns), where)


def _ini_details(facts: Facts, ini: RawConfigParser, name: str, section: str, tool: str) -> None:
    if tool == "flake8" and ini.get(section, "filename", fallback="").strip():
        facts.flake8_filename = facts.flake8_filename or f"{name} [{section}] filename"
    if tool == "mypy" and (ini.has_option(section, "files") or ini.has_option(section, "packages")):
        facts.mypy_configured(
            ini.get(section, "files", fallback=""), ini.get(section, "packages", fallback="")
        )
    if tool == "mypy" and ini.get(section, "python_version", fallback="").strip() and not facts.mypy_python:
        facts.mypy_python = (ini.get(section, "python_version").strip(), f"{name} [{section}]")
    if tool == "coverage":
        keys = ("source", "source_pkgs", "include")
        entries = [e.strip(",") for k in keys for e in ini.get(section, k, fallback="").split()]
        facts.coverage_measures(entries, f"{name} [{section}]")
        branch = ini.get(section, "branch", fallback="").strip().lower() in ("true", "1", "yes")
        facts.coverage_branch = facts.coverage_branch or branch
        plugins = re.split(r"[\s,]+", ini.get(section, "plugins", fallback=""))
        coverage_plugins(facts, plugins, f"{name} [{section}]")
    if tool == "pytest":
        _lint_plugin_skips(facts, ini, name, section)
        option_plugins(facts, ini.options(section), f"{name} [{section}]")
        if ini.get(section, "python_files", fallback="").strip():
            facts.pytest_python_files = facts.pytest_python_files or f"{name} [{section}]"
        addopts_quiet(facts, ini.get(section, "addopts", fallback=""))
        addopts_xdist(facts, ini.get(section, "addopts", fallback=""), f"{name} [{section}]")
        addopts_checkers(facts, ini.get(section, "addopts", fallback=""), f"{name} [{section}]")
    if tool == "pytest" and "--cov" in ini.get(section, "addopts", fallback=""):
        facts.saw("pytest-cov", f"{name} [{section}] addopts")
        addopts_cov_targets(facts, ini.get(section, "addopts"), f"{name} [{section}]")


def coverage_plugins(facts: Facts, modules: list[str], where: str) -> None:
    """The plugins coverage.py's configuration loads (``plugins = covdefaults``): the checks'
    environment needs them, or coverage stops with ``No module named 'covdefaults'``."""
    for module in modules:
        if re.fullmatch(r"[A-Za-z_][\w.]*", module):
            facts.coverage_plugins.setdefault(module, f"{where} plugins")


_CODECOV_FILES = ("codecov.yml", ".codecov.yml", "codecov.yaml", ".codecov.yaml", ".github/codecov.yml")


def codecov_target(facts: Facts) -> None:
    """codecov's project status target (``coverage.status.project.default.target``), if numeric."""
    for name in _CODECOV_FILES:
        target = nested(read_yaml(facts.repo / name), "coverage", "status", "project", "default", "target")
        value = str(target).strip().rstrip("%") if isinstance(target, str | int | float) else ""
        if re.fullmatch(r"\d+(\.\d+)?", value):
            facts.codecov_target = (value, f"{name} coverage.status.project target")
            return


def coverage_defaults(facts: Facts) -> None:
    """What covdefaults configures when the project does not (after every other reader): a
    ``fail_under`` of 100, branch coverage and the current directory as the source."""
    where = facts.coverage_plugins.get("covdefaults")
    if where is None:
        return
    if facts.fail_under is None:
        facts.fail_under = (100.0, f"{where}: covdefaults' default fail_under")
    facts.coverage_branch = facts.coverage_source = True


def runners(facts: Facts) -> None:
    tox(facts)
    _hatch_scripts(facts)
    _poe_tasks(facts)
    _pixi_tasks(facts)
    _nox(facts)
    _pre_commit(facts)
    ci(facts)
    makefile(facts)
    justfile(facts)
    invoke_tasks(facts)


def _hatch_scripts(facts: Facts) -> None:
    """``[tool.hatch.envs.NAME.scripts]``: ``test = "pytest {args:tests}"`` or a list of commands,
    each line's commands (bracex's ``"python -m zensical build --strict; pyspelling"``: its
    pyspelling had gone unnamed)."""
    envs = nested(facts.config, "tool", "hatch", "envs")
    for env, table in envs.items() if isinstance(envs, dict) else []:
        scripts = table.get("scripts") if isinstance(table, dict) else None
        for name, value in scripts.items() if isinstance(scripts, dict) else []:
            for line in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
                for part in ci_commands(line) if isinstance(line, str) else []:
                    command_line(facts, part, f"{_hatch_table(facts, env)}.scripts] {name}")
                    if re.search(r"\b(?:pytest|py\.test)\b", part):
                        _hatch_env_vars(facts, envs, env)


def _poe_tasks(facts: Facts) -> None:
    """``[tool.poe.tasks]`` (poethepoet; tenacity's CI runs ``uv run poe lint``, whose task runs
    ``ruff check .`` and ``ruff format --check .``): the commands of every task."""
    tasks = nested(facts.config, "tool", "poe", "tasks")
    for name, task in tasks.items() if isinstance(tasks, dict) else []:
        for line in _task_lines(task):
            for part in ci_commands(line):
                command_line(facts, part, f"pyproject.toml [tool.poe.tasks] {name}")


def _pixi_tasks(facts: Facts) -> None:
    """``[tool.pixi.tasks]`` and each feature's (sqlparse's CI runs ``pixi run lint``, whose task
    is ``pixi run -e py311 flake8 sqlparse/``: its flake8 had read "only configured", linting
    ``tests`` too, which its ``.flake8`` excludes): a task's ``cmd``, a string or its words."""
    pixi = nested(facts.config, "tool", "pixi")
    features = pixi.get("feature") if isinstance(pixi, dict) else None
    features = features if isinstance(features, dict) else {}
    tables = [("", pixi)] + [(f"feature.{k}.", v) for k, v in features.items() if isinstance(v, dict)]
    for prefix, table in tables:
        tasks = table.get("tasks") if isinstance(table, dict) else None
        for name, task in tasks.items() if isinstance(tasks, dict) else []:
            for part in (p for line in _task_lines(task) for p in ci_commands(line)):
                command_line(facts, part, f"pyproject.toml [tool.pixi.{prefix}tasks] {name}")


def _task_lines(task: object, in_sequence: bool = False) -> list[str]:
    """A poe task's command lines: a string (a ``cmd`` task, but a reference to another task
    inside a sequence), a table's ``cmd`` (a string or its words) or ``shell`` script, or the
    items of a ``sequence`` (an array); ``ref``, ``script`` and ``expr`` tasks name none of their own.
    A pixi task has the same shapes: a string, or a table's ``cmd`` (a string or its words)."""
    if isinstance(task, str):
        return [] if in_sequence else [task]
    if isinstance(task, list):
        return [line for item in task for line in _task_lines(item, True)]
    if not isinstance(task, dict):
        return []
    cmd, shell = task.get("cmd"), task.get("shell")
    if isinstance(cmd, list) and all(isinstance(w, str) for w in cmd):
        cmd = " ".join(cmd)
    if isinstance(cmd, str):
        return [cmd]
    if isinstance(shell, str):
        return [line for line in shell.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return _task_lines(task.get("sequence"), True) if isinstance(task.get("sequence"), list) else []


def _hatch_table(facts: Facts, env: str) -> str:
    """Where a Hatch environment's table is, without its closing bracket."""
    return (
        f"hatch.toml [envs.{env}"
        if env in facts.hatch_toml_envs
        else f"pyproject.toml [tool.hatch.envs.{env}"
    )


def _hatch_env_vars(facts: Facts, envs: dict[str, object], env: str) -> None:
    """The ``env-vars`` of the Hatch environment whose script runs the tests (and of ``default``,
    which it inherits), as tox's ``setenv`` is read; a value with a context field is left out."""
    for name in dict.fromkeys((env, "default")):
        table = envs.get(name)
        variables = table.get("env-vars") if isinstance(table, dict) else None
        for key, value in variables.items() if isinstance(variables, dict) else []:
            named = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) and key not in ("PATH", "VIRTUAL_ENV")
            if isinstance(value, str) and "{" not in value and named:
                where = f"{_hatch_table(facts, name)}.env-vars]"
                facts.test_variables.setdefault(key, (value, where))


def _nox(facts: Facts) -> None:
    text = read_text(facts.repo / "noxfile.py")
    for command in nox_commands(text):
        command_line(facts, command, "noxfile.py")
    for extra in nox_test_extras(text):  # as tox's extras of the tests' env (deepdiff's)
        facts.test_extras.setdefault(extra, "noxfile.py session.install")
    for key, value in nox_test_variables(text).items():  # as tox's setenv of the tests' env
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) and key not in ("PATH", "VIRTUAL_ENV"):
            facts.test_variables.setdefault(key, (value, "noxfile.py session.run(env=…)"))
    for word in ("pytest", "mypy", "ruff", "flake8", "black", "coverage"):
        if re.search(rf"""["']{word}["']""", text):
            facts.saw(word, "noxfile.py")
    installs = nox_installs(text)
    plugins = "\n".join(r for r in installs if is_flake8_plugin(normalise(re.split(r"[\s<>=!~;\[]", r)[0])))
    if plugins:  # webcolors' lint session: flake8-bugbear, flake8-pytest-style
        declared(facts, requirement_names(plugins), "noxfile.py session.install")
        pins(facts, plugins, "noxfile.py session.install")


def _pre_commit(facts: Facts) -> None:
    """The hooks of pre-commit's ``.pre-commit-config.yaml``, or prek's ``prek.toml`` (the same
    repos and hooks in TOML: chardet pins its ruff there, and runs ty)."""
    name, data = hooks_config(facts.repo)
    facts.hooks_file = name
    repos = data.get("repos")
    top_exclude = data.get("exclude")
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        if isinstance(hooks, list):
            ids = [hook.get("id") for hook in hooks if isinstance(hook, dict)]
            _unrun_hooks(facts, name, str(repo.get("repo", "")), ids)
        for hook in hooks if isinstance(hooks, list) else []:
            tool = _HOOKS.get(str(hook.get("id", ""))) if isinstance(hook, dict) else None
            if tool:
                facts.saw(tool, f"{name} hook '{hook['id']}'")
                _hook_versions(facts, tool, repo, hook, name)
                excluded = _excluded(top_exclude, hook.get("exclude"))
                # (a hook given no file names runs what its command names: pydantic-settings'
                # ``entry: make mypy`` with ``pass_filenames: false``, its recipe's targets)
                if excluded is not None and hook.get("pass_filenames") is not False:
                    _hook_targets(facts, tool, hook_paths(hook), excluded, every="files" not in hook)
                _hook_options(facts, tool, hook.get("args", _hook_default_args(repo, tool)))


#: hook repositories whose hooks are not the project's checkers by name: pre-commit's own
#: (``meta``: whether each hook applies) and the project's (``local``: any command, a test run
#: among them)
_HOOK_REPOS_UNNAMED = ("meta", "local")


def _unrun_hooks(facts: Facts, name: str, url: str, ids: list[object]) -> None:
    """The hooks of one repository no check runs: a checker prp init knows by its name (``isort``,
    ``codespell`` …: their hooks' ids are the tools' names), every other hook of a published
    repository by the repository's name when it has several (humanize: pre-commit-hooks'
    check-yaml, end-of-file-fixer …; prettier, actionlint, zizmor, pyproject-fmt: its G3 passed
    and said nothing of them)."""
    others = []
    for hook_id in (str(i) for i in ids if isinstance(i, str) and i):
        if hook_id in UNRUN_TOOLS:
            facts.ran_unchecked(hook_id, f"{name} hook '{hook_id}'")
        elif hook_id not in _HOOKS and url not in _HOOK_REPOS_UNNAMED:
            others.append(hook_id)
    if len(others) == 1:
        facts.ran_unchecked(others[0], f"{name} hook '{others[0]}'")
    elif others:
        repo = url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1] or url
        facts.ran_unchecked(repo, f"{name} hooks {', '.join(others)}")


def _excluded(*patterns: object) -> list[str] | None:
    """The folders the config's and the hook's ``exclude`` leave out; None when one is a pattern
    of another kind than folder prefixes."""
    folders: list[str] = []
    for pattern in (p for p in patterns if p is not None):
        found = prefix_folders(pattern)
        if found is None:
            return None
        folders += found
    return folders


#: the ``args`` a hook runs with when the project gives none (its ``.pre-commit-hooks.yaml``)
_HOOK_DEFAULT_ARGS = {("mirrors-mypy", "mypy"): ["--ignore-missing-imports", "--scripts-are-modules"]}


def _hook_default_args(repo: dict[str, object], tool: str) -> list[str]:
    """mirrors-mypy's hook runs mypy with ``--ignore-missing-imports`` (shortuuid: 2 errors for
    django imports, where the project's hook reports none)."""
    url = str(repo.get("repo", "")).rstrip("/")
    return next((a for (name, t), a in _HOOK_DEFAULT_ARGS.items() if url.endswith(name) and t == tool), [])


def _hook_options(facts: Facts, tool: str, args: object) -> None:
    """A hook's ``args`` that change what its tool reports (referencing's black hook:
    ``["--line-length", "79"]``), unless a command of the project said first."""
    words = [a for a in args if isinstance(a, str)] if isinstance(args, list) else []
    if tool not in ("ruff", "flake8", "black", "mypy"):
        return
    options = tool_options(tool, words, lambda word: (facts.repo / word).is_file())[0]
    if options:
        facts.lint_options.setdefault(tool, options)


def _hook_targets(facts: Facts, tool: str, paths: list[str] | None, excluded: list[str], every: bool) -> None:
    """A hook runs its tool on the files its ``files`` filter names, else (``every``) on every
    file: for ruff, black and flake8 that is everything; mypy is given every Python file, which
    it reads as the modules they are (termcolor's hook checks its tests too), so its targets are
    the top-level folders and files holding them."""
    if tool in ("ruff", "ruff-format", "black", "flake8"):  # PyJWT's flake8 hook lints every file
        add_targets(facts.lint_targets.setdefault(tool, []), paths or ["."])
        if excluded and not paths:
            facts.hook_excludes.setdefault(tool, excluded)
    elif tool == "mypy" and paths:
        mypy_targets(facts, paths)
    elif tool == "mypy" and every:
        entries, deeper = top_entries(python_files(facts.repo), excluded)
        mypy_targets(facts, entries)
        if deeper:
            facts.hook_excludes.setdefault(tool, deeper)


def _hook_versions(
    facts: Facts, tool: str, repo: dict[str, object], hook: dict[str, object], name: str
) -> None:
    """The tool's version (the hook repository's ``rev``) and plugins (``additional_dependencies``)."""
    package = "ruff" if tool == "ruff-format" else tool
    rev = str(repo.get("rev") or "").removeprefix("v")
    if re.fullmatch(r"[0-9a-f]{40}", rev):  # a frozen rev: `rev: <sha>  # frozen: v0.17.1` (pyproject-api)
        frozen = re.search(rf"{rev}['\"]?\s*#\s*frozen:\s*v?([\d.]+)", read_text(facts.repo / name))
        rev = frozen[1] if frozen else rev
    if re.fullmatch(r"\d+(\.\d+)*", rev) and package in str(repo.get("repo", "")).lower():
        facts.pin(package, f"{package}=={rev}", f"{name} rev {repo.get('rev')}")
    extra = hook.get("additional_dependencies")
    for dep in extra if isinstance(extra, list) else []:
        if isinstance(dep, str) and dep not in facts.plugins.setdefault(package, []):
            facts.plugins[package].append(dep)


def _lint_plugin_skips(facts: Facts, ini: RawConfigParser, name: str, section: str) -> None:
    """Files the project's pytest lint plugins leave out whole (``PATTERN ALL`` in pytest-flakes'
    ``flakes-ignore``, pytest-pep8's ``pep8ignore``, pytest-flake8's ``flake8-ignore``): six lints
    six.py, never test_six.py."""
    for key in ("flakes-ignore", "pep8ignore", "flake8-ignore"):
        for line in ini.get(section, key, fallback="").splitlines():
            words = line.split()
            if len(words) == 2 and words[1] == "ALL":
                facts.lint_skipped.setdefault(words[0], f"{name} [{section}] {key}")
