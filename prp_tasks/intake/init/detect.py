"""What ``prp init`` finds in a repository: metadata, languages, layout, and the tools it uses.

A tool counts as used when the project configures it (a ``[tool.X]`` table, an ini section, its
own config file), declares it (a dependency, extra, dependency group or requirements file), or
runs it (tox, nox, pre-commit, CI workflows). Every finding keeps where it was seen, so the
written ``initial.md`` can say so.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from prp_tasks.environments.hatch import HATCH_TOML, hatch_groups, with_hatch_toml
from prp_tasks.environments.layout import package_dir
from prp_tasks.environments.poetry import poetry_groups
from prp_tasks.intake.init.commandline import (
    addopts_checkers,
    addopts_cov_targets,
    addopts_quiet,
    addopts_xdist,
)
from prp_tasks.intake.init.config_folder import config_folder
from prp_tasks.intake.init.declared import beside_mypy, declared, locked_versions, pins, requirements
from prp_tasks.intake.init.facts import PYTEST_FILES, UNRUN_TOOLS, Facts
from prp_tasks.intake.init.licences import licence_file
from prp_tasks.intake.init.pytest_plugins import option_plugins
from prp_tasks.intake.init.readme import first_paragraph
from prp_tasks.intake.init.setupfiles import addresses, setup_files, tests_required, whole_summary
from prp_tasks.intake.init.sources import (
    nested,
    normalise,
    read_ini,
    read_text,
    read_toml,
    requirement_names,
    walk_files,
)
from prp_tasks.intake.init.targets import widened_to_tests
from prp_tasks.intake.init.testmodules import imported_extras, test_imports
from prp_tasks.intake.init.tools import (
    codecov_target,
    coverage_defaults,
    coverage_plugins,
    ini_files,
    installed_only,
    runners,
)

LANGUAGES = {
    ".py": "Python", ".js": "JavaScript", ".ts": "TypeScript", ".go": "Go", ".rs": "Rust",
    ".java": "Java", ".rb": "Ruby", ".c": "C", ".cpp": "C++", ".cs": "C#", ".php": "PHP",
}  # fmt: skip
CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
WEB_DEPENDENCIES = frozenset({"django", "flask", "fastapi", "starlette", "aiohttp", "tornado", "pyramid"})


def detect(repo: Path) -> Facts:
    """Inspect ``repo`` (read only) and return what was found."""
    facts = Facts(repo=repo)
    files = walk_files(repo)
    facts.languages = Counter(LANGUAGES[p.suffix] for p in files if p.suffix in LANGUAGES)
    _pyproject(facts)
    setup_files(facts)
    ini_files(facts)
    requirements(facts)
    runners(facts)
    config_folder(facts)  # after the project's own commands: their options say first
    tests_required(facts)  # after tox's: the env that runs the tests says first
    locked_versions(facts)  # after every exact pin: those win
    coverage_defaults(facts)  # after every threshold the project sets: those win
    codecov_target(facts)
    _layout(facts, files)
    widened_to_tests(facts)  # after the layout: the tests folder
    whole_summary(facts)  # after the layout: it reads the packages' docstrings
    test_imports(facts)  # after the layout: it reads the tests directory
    imported_extras(facts)
    _readme(facts)
    licence_file(facts)
    facts.codeowners = next((c for c in CODEOWNERS if (repo / c).is_file()), None)
    return facts


def _pyproject(facts: Facts) -> None:
    data = facts.config = _read_pyproject(facts)
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    if project:
        facts.metadata_file = "pyproject.toml [project]"
        facts.name = str(project.get("name") or "")
        facts.description = str(project.get("description") or "")
        _project_licence(facts, project)
        people = _people(project.get("maintainers")) + _people(project.get("authors"))
        facts.authors = list(dict.fromkeys(people))
        facts.scripts = bool(project.get("scripts") or project.get("gui-scripts"))
        deps = requirement_names([str(d) for d in project.get("dependencies") or []])
        facts.dependencies |= deps
        for extra, reqs in (project.get("optional-dependencies") or {}).items():
            facts.extras.append(extra)
            _note_pytest(facts, extra, requirement_names([str(r) for r in reqs]))
            declared(facts, requirement_names([str(r) for r in reqs]), f"pyproject.toml extra '{extra}'")
            pins(facts, "\n".join(str(r) for r in reqs), f"pyproject.toml extra '{extra}'")
            beside_mypy(facts, [str(r) for r in reqs], f"pyproject.toml extra '{extra}'")
    elif isinstance(nested(data, "tool", "poetry"), dict):
        _poetry(facts, data["tool"]["poetry"])
    pdm = nested(data, "tool", "pdm", "dev-dependencies")
    poetry = poetry_groups(data) if not data.get("dependency-groups") and not pdm else None
    hatch = hatch_groups(data) if not data.get("dependency-groups") and not pdm and not poetry else None
    uv_dev = nested(data, "tool", "uv", "dev-dependencies")
    uv = {"dev": uv_dev} if isinstance(uv_dev, list) and not data.get("dependency-groups") else None
    for table, groups in (("dependency group", data.get("dependency-groups")), ("PDM dev group", pdm),
                          ("Poetry group", poetry), ("Hatch environment", hatch),
                          ("[tool.uv] dev-dependencies", uv)):  # fmt: skip
        for group, reqs in (groups if isinstance(groups, dict) else {}).items():
            lines = [r for r in reqs if isinstance(r, str)] if isinstance(reqs, list) else []
            facts.groups.append(group)
            _note_pytest(facts, group, requirement_names(lines))
            where = f"{_file_of(facts, table, group)} {table} '{group}'"
            declared(facts, requirement_names(lines), where)
            pins(facts, "\n".join(lines), where)
            beside_mypy(facts, lines, where)
    _tool_tables(facts, data.get("tool") or {})


def _note_pytest(facts: Facts, name: str, requirements: set[str]) -> None:
    if "pytest" in requirements:
        facts.declares_pytest.add(normalise(name))


def _poetry(facts: Facts, poetry: dict[str, Any]) -> None:
    """``[tool.poetry]`` metadata (tomlkit): authors as ``Name <email>``, owners by their email."""
    facts.metadata_file = "pyproject.toml [tool.poetry]"
    facts.name = str(poetry.get("name") or "")
    facts.description = str(poetry.get("description") or "")
    lic = poetry.get("license")
    facts.license = (lic, "pyproject.toml [tool.poetry] license") if isinstance(lic, str) and lic else None
    people = [
        str(p) for key in ("maintainers", "authors") for p in poetry.get(key) or [] if isinstance(p, str)
    ]
    facts.authors = addresses(people)
    facts.scripts = bool(poetry.get("scripts"))
    deps = poetry.get("dependencies")
    facts.dependencies |= {
        n.lower() for n in (deps if isinstance(deps, dict) else {}) if n.lower() != "python"
    }


def _project_licence(facts: Facts, project: dict[str, Any]) -> None:
    """``[project]``'s licence, the file it names (``license = {file = "MIT-LICENSE"}``) and its
    classifiers."""
    facts.license = _license_value(project.get("license"), project.get("license-expression"))
    named = project.get("license")
    if isinstance(named, dict) and isinstance(named.get("file"), str):
        facts.license_file = named["file"]
    classifiers = [c for c in project.get("classifiers") or [] if isinstance(c, str)]
    facts.license_classifiers = (classifiers, "pyproject.toml classifiers")


def _license_value(value: Any, expression: Any) -> tuple[str, str] | None:
    if isinstance(expression, str) and expression.strip():
        return expression.strip(), "pyproject.toml license-expression"
    if isinstance(value, str) and value.strip():
        return value.strip(), "pyproject.toml license"
    if isinstance(value, dict) and isinstance(value.get("text"), str) and len(value["text"]) < 80:
        return value["text"].strip(), "pyproject.toml license.text"
    return None


def _people(value: Any) -> list[str]:
    out = []
    for person in value if isinstance(value, list) else []:
        if isinstance(person, dict):
            email, name = person.get("email"), person.get("name")
            if email or name:
                out.append(str(email or name))
    return out


def _read_pyproject(facts: Facts) -> dict[str, Any]:
    """pyproject.toml as Hatch sees it: hatch.toml's environments in ``[tool.hatch.envs]`` (those
    are noted: what they declare is said to be hatch.toml's)."""
    hatch_toml = read_toml(facts.repo / HATCH_TOML)
    envs = hatch_toml.get("envs")
    facts.hatch_toml_envs = set(envs) if isinstance(envs, dict) else set()
    return with_hatch_toml(read_toml(facts.repo / "pyproject.toml"), hatch_toml)


def _file_of(facts: Facts, table: str, group: str) -> str:
    """Where a group is declared: pyproject.toml, or hatch.toml for its Hatch environments."""
    return HATCH_TOML if table == "Hatch environment" and group in facts.hatch_toml_envs else "pyproject.toml"


def _tool_tables(facts: Facts, tool: dict[str, Any]) -> None:
    for name, table in (("pytest", "pytest"), ("ruff", "ruff"), ("mypy", "mypy"), ("black", "black"),
                        ("coverage", "coverage"), ("pyright", "pyright"), ("ty", "ty"),
                        ("pyrefly", "pyrefly"), ("zuban", "zuban"), ("pylint", "pylint"),
                        ("flake8", "flake8")):  # fmt: skip
        if table in tool:  # pytest's ini_options table, or pytest 9's own [tool.pytest]
            legacy = (
                table == "pytest" and isinstance(tool[table], dict) and set(tool[table]) == {"ini_options"}
            )
            facts.configured(name, f"pyproject.toml [tool.{table}{'.ini_options' if legacy else ''}]")
    if nested(tool, "ruff", "format") is not None:
        facts.configured("ruff-format", "pyproject.toml [tool.ruff.format]")
    for name in sorted(UNRUN_TOOLS & set(tool)):  # [tool.isort], [tool.codespell] …: no check runs them
        facts.ran_unchecked(name, f"pyproject.toml [tool.{name}]")
    if nested(tool, "mypy", "files") or nested(tool, "mypy", "packages"):
        facts.mypy_configured(nested(tool, "mypy", "files"), nested(tool, "mypy", "packages"))
    if isinstance(nested(tool, "mypy", "python_version"), str):  # (a TOML float 3.10 would be 3.1)
        facts.mypy_python = (str(tool["mypy"]["python_version"]), "pyproject.toml [tool.mypy]")
    _coverage_tables(facts, tool)
    _pytest_addopts(facts, tool)
    _enabler(facts, tool)
    _sdist_excludes(facts, tool)


#: where a build backend lists what its source distribution leaves out
_SDIST_EXCLUDES = (("flit", "sdist", "exclude"), ("hatch", "build", "targets", "sdist", "exclude"))


def _sdist_excludes(facts: Facts, tool: dict[str, Any]) -> None:
    """Whether the source distribution leaves the pre-commit hooks file out (exceptiongroup's flit
    ``exclude = [".github/*", ".gitignore", ".pre-commit-config.yaml"]``; setuptools' MANIFEST.in)."""
    for keys in _SDIST_EXCLUDES:
        listed = nested(tool, *keys)
        if isinstance(listed, list) and any(".pre-commit-config.yaml" in str(e) for e in listed):
            facts.hooks_left_out = f"pyproject.toml [tool.{'.'.join(keys[:-1])}] exclude"
    manifest = read_text(facts.repo / "MANIFEST.in")
    if re.search(r"^\s*(?:global-)?exclude\b.*\.pre-commit-config\.yaml", manifest, re.M):
        facts.hooks_left_out = facts.hooks_left_out or "MANIFEST.in"


#: pytest-enabler's tables -> the plugin each turns on with its default ``addopts``
_ENABLED = {"mypy": "pytest-mypy", "ruff": "pytest-ruff", "black": "pytest-black", "flake8": "pytest-flake8"}


def _enabler(facts: Facts, tool: dict[str, Any]) -> None:
    """pytest-enabler's tables: one without ``addopts`` replaces the plugin's default options
    with none, turning it off (jaraco's skeleton: ``[tool.pytest-enabler.mypy]`` "Disabled due to
    jaraco/skeleton#143", in cssutils, whose tests then run no mypy)."""
    tables = nested(tool, "pytest-enabler")
    for key, plugin in _ENABLED.items():
        table = tables.get(key) if isinstance(tables, dict) else None
        if isinstance(table, dict) and not table.get("addopts"):
            facts.plugins_off[plugin] = f"pyproject.toml [tool.pytest-enabler.{key}]"


def _coverage_tables(facts: Facts, tool: dict[str, Any]) -> None:
    """``[tool.coverage.run]`` and ``[tool.coverage.report]``: what is measured, and its threshold."""
    run = nested(tool, "coverage", "run") or {}
    for key in ("source", "source_pkgs", "include"):
        entries = run.get(key)
        entries = [entries] if isinstance(entries, str) else entries if isinstance(entries, list) else []
        facts.coverage_measures([str(e) for e in entries], "pyproject.toml [tool.coverage.run]")
    facts.coverage_branch = facts.coverage_branch or bool(run.get("branch"))
    if isinstance(run.get("plugins"), list):
        coverage_plugins(facts, [str(m) for m in run["plugins"]], "pyproject.toml [tool.coverage.run]")
    include = nested(tool, "coverage", "report", "include")
    if isinstance(include, list):
        installed_only(facts, [str(p) for p in include], "pyproject.toml [tool.coverage.report] include")
    under = nested(tool, "coverage", "report", "fail_under")
    if isinstance(under, int | float):
        facts.fail_under = (float(under), "pyproject.toml [tool.coverage.report] fail_under")
        precision = nested(tool, "coverage", "report", "precision")
        facts.coverage_precision = precision if isinstance(precision, int) and precision >= 0 else 0


def _pytest_addopts(facts: Facts, tool: dict[str, Any]) -> None:
    """pytest's ``addopts``: quiet, pytest-xdist's workers, what pytest-cov measures."""
    table = "ini_options" if nested(tool, "pytest", "ini_options") else ""  # else pytest 9's own: bidict's
    where = f"pyproject.toml [tool.pytest{f'.{table}' if table else ''}]"
    addopts = nested(tool, "pytest", *([table] if table else []), "addopts")
    options = nested(tool, "pytest", *([table] if table else []))
    option_plugins(facts, list(options) if isinstance(options, dict) else [], where)
    if nested(tool, "pytest", *([table] if table else []), "python_files"):
        facts.pytest_python_files = facts.pytest_python_files or where
    addopts_quiet(facts, addopts)
    addopts_xdist(facts, addopts, where)
    addopts_checkers(facts, addopts, where)
    if addopts and "--cov" in str(addopts):
        facts.saw("pytest-cov", f"{where} addopts")
        addopts_cov_targets(facts, addopts, where)


#: a test module's name (unittest's ``test*.py``, pytest's ``test_*.py`` and ``*_test.py``)
_TEST_MODULE = re.compile(r"test.*|.*_test")
#: top-level folders that hold a project's benchmarks, docs or examples, not its code
_NOT_SHIPPED = frozenset({"bench", "benchmark", "benchmarks", "docs", "doc", "examples", "example"})


def _layout(facts: Facts, files: list[Path]) -> None:
    """Top-level Python packages (``src/pkg`` or ``pkg``) and the tests directory."""
    facts.test_files = sum(1 for p in files if p.suffix == ".py" and _TEST_MODULE.fullmatch(p.stem))
    roots = {"src", package_dir(facts.repo) or "src"}
    inits = {p.parent for p in files if p.name == "__init__.py"}
    packages = sorted(
        str(p) for p in inits if (len(p.parts) == 2 and p.parts[0] in roots) or (len(p.parts) == 1)
    )
    tests = {"tests", "test", "testing"}
    packages = [p for p in packages if Path(p).name not in tests and not Path(p).name.startswith("_")]
    if any(Path(p).parts[0] in roots for p in packages if "/" in p):  # cattrs' top-level bench/ is none
        packages = [p for p in packages if "/" in p]
    declared = _declared_packages(facts.repo)  # Markdown's list leaves its mkdocs helpers' tools/ out
    packages = [p for p in packages if Path(p).name in declared] or packages if declared else packages
    aside = [p for p in packages if p in _NOT_SHIPPED]  # benchmarks, docs, examples beside the code
    facts.packages = [p for p in packages if p not in aside] or aside
    if shipped := _declared_modules(facts.repo, roots):  # peewee's peewee.py beside playhouse/
        facts.packages = sorted({*facts.packages, *shipped})
    if not facts.packages:  # single-module projects: src/mod.py or mod.py next to pyproject.toml
        modules = [p for p in files if p.suffix == ".py" and len(p.parts) <= 2 and _is_module(p)]
        facts.packages = sorted(str(p) for p in modules if str(p.parent) in {".", *roots})[:3]
    _tests_place(facts, files)


def _tests_place(facts: Facts, files: list[Path]) -> None:
    """The tests directory, else the test modules at the top or in a package."""
    # a folder that holds no file is none (cachecontrol's sdist has an empty tests/: git keeps no
    # empty folder, so the run's workspace has none and G1 failed on "'tests' does not exist")
    top = [t for t in ("tests", "test", "testing", "src/tests", "src/test") if _holds_files(facts.repo / t)]
    inside = [
        f"{p}/{t}" for p in facts.packages for t in ("tests", "test") if _holds_files(facts.repo / p / t)
    ]
    facts.tests_dir = next(iter(top + inside), None)  # toolz: toolz/tests, inside the package
    if facts.tests_dir is None:  # jsonpointer: tests.py beside jsonpointer.py
        facts.tests_modules = sorted(p.name for p in facts.repo.glob("test*.py") if _test_module(p))
    if facts.tests_dir is None and not facts.tests_modules:  # shortuuid/test_shortuuid.py
        found = [m for pkg in facts.packages for m in sorted((facts.repo / pkg).glob("test*.py"))]
        facts.tests_modules = [str(m.relative_to(facts.repo)) for m in found if _test_module(m)]
    if facts.tests_dir is None and not facts.tests_modules:  # pony: pony/orm/tests, deeper
        facts.tests_dir = _deeper_tests_dir(facts, files)
    facts.tests_package = (
        facts.tests_dir is not None and (facts.repo / facts.tests_dir / "__init__.py").is_file()
    )


def _deeper_tests_dir(facts: Facts, files: list[Path]) -> str | None:
    """The ``tests``/``test`` folder deeper in a package holding the most test modules (pony's 90
    in ``pony/orm/tests``: "no test runner found", and its 3,931 tests never ran), or None."""
    counts: dict[str, int] = {}
    for path in files:
        parent = path.parent
        if parent.name not in ("tests", "test") or len(parent.parts) < 3:
            continue
        if _test_module(facts.repo / path) and any(parent.is_relative_to(p) for p in facts.packages):
            counts[str(parent)] = counts.get(str(parent), 0) + 1
    return max(sorted(counts), key=counts.__getitem__) if counts else None


def _test_module(path: Path) -> bool:
    """A test module by its name (``test_x.py``, ``x_test.py``, ``tests.py``); not a helper's:
    dictdiffer's ``testing.py`` and fire's ``testutils.py``, named to pytest, left out what the
    project runs (fire: its 256 tests in ``*_test.py`` files; dictdiffer: its doctests)."""
    named = PYTEST_FILES.fullmatch(path.name) is not None or path.name in ("tests.py", "test.py")
    return named and path.is_file()


def _declared_packages(repo: Path) -> set[str]:
    """The top-level packages setuptools is told to ship by a list (pyproject's
    ``[tool.setuptools] packages = ['markdown', 'markdown.extensions']``, setup.cfg's
    ``[options] packages = a, a.b``); none when it finds them itself (``find:``, a table)."""
    listed = nested(read_toml(repo / "pyproject.toml"), "tool", "setuptools", "packages")
    if not isinstance(listed, list):
        text = read_ini(repo / "setup.cfg").get("options", "packages", fallback="").strip()
        listed = [] if text.startswith(("find", "attr:")) else re.split(r"[\s,]+", text)
    return {str(name).split(".")[0] for name in listed if str(name).strip()}


def _declared_modules(repo: Path, roots: set[str]) -> list[str]:
    """The single modules setuptools is told to ship (pyproject's ``[tool.setuptools] py-modules``,
    setup.cfg's ``[options] py_modules``, a literal ``py_modules=[…]`` in setup.py), as the files
    the checkout has: ``peewee.py`` (or ``src/mod.py``)."""
    listed = nested(read_toml(repo / "pyproject.toml"), "tool", "setuptools", "py-modules")
    names = [str(n) for n in listed] if isinstance(listed, list) else []
    names += re.split(r"[\s,]+", read_ini(repo / "setup.cfg").get("options", "py_modules", fallback=""))
    found = re.search(r"\bpy_modules\s*=\s*\[([^\]]*)\]", read_text(repo / "setup.py"))
    names += re.findall(r"""["']([\w.]+)["']""", found[1]) if found else []
    files = [f"{root}/{n}.py" for n in names if n for root in sorted(roots)] + [f"{n}.py" for n in names if n]
    return sorted({f for f in files if (repo / f).is_file()})


def _holds_files(folder: Path) -> bool:
    """A folder with a file somewhere below it."""
    return folder.is_dir() and any(names for _, _, names in os.walk(folder))


def _is_module(path: Path) -> bool:
    name = path.stem  # not a test script (jsonpatch's ext_tests.py) or a project tool
    return not (
        name.startswith(("test", "_"))
        or name.endswith(("_test", "_tests"))
        or name in ("setup", "conftest", "noxfile", "manage")
    )


def _readme(facts: Facts) -> None:
    for name in ("README.md", "README.rst", "README.txt", "README"):
        text = read_text(facts.repo / name)
        if text:
            paragraph = first_paragraph(text, facts.description, facts.name)
            if paragraph:
                facts.readme = (name, paragraph)
            return


def project_kind(facts: Facts) -> tuple[str, str]:
    """(kind, why): web-app, service, cli or library."""
    web = sorted(facts.dependencies & WEB_DEPENDENCIES)
    if (facts.repo / "package.json").is_file() and not facts.languages.get("Python"):
        return "web-app", "package.json and no Python code"
    if web:
        return "service", f"depends on {', '.join(web)}"
    if facts.scripts and not facts.packages:
        return "cli", "declares console scripts"
    return "library", "a package without a web framework dependency"
