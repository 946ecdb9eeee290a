"""``prp init``'s detection and the initial.md it writes (``prp_tasks.intake.init``), on small repos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prp_tasks.core.profile import ParsedProfile
from prp_tasks.intake.init.detect import detect, first_paragraph, project_kind
from prp_tasks.intake.init.render import initial_md
from prp_tasks.intake.init.targets import ci_commands, hook_paths
from prp_tasks.intake.profiles.parser import parse_initial_md

PYPROJECT = """\
[project]
name = "slugs"
description = "Turn titles into URL slugs"
license = "MIT"
authors = [{name = "Ada", email = "ada@example.org"}]

[project.optional-dependencies]
test = ["pytest>=8", "pytest-cov"]

[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.coverage.run]
branch = true
source = ["slugs"]

[tool.coverage.report]
fail_under = 90

[tool.ruff]
line-length = 100

[tool.mypy]
strict = true
files = ["src/slugs"]
"""

README = """\
# slugs

[![CI](https://example.org/badge.svg)](https://example.org)

Slugs turns any title into a URL slug
and back again.

More text.
"""


def write(repo: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo


def parsed(repo: Path) -> tuple[str, ParsedProfile]:
    text, _, _ = initial_md(repo)
    return text, parse_initial_md(text)


def test_a_pyproject_project_gets_its_own_commands_budget_and_a_derived_blueprint(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"pyproject.toml": PYPROJECT, "README.md": README, "src/slugs/__init__.py": "", "tests/t.py": ""},
    )
    text, result = parsed(tmp_path)
    gov, budgets = result.profile.governance, result.profile.budgets
    assert gov.commands["test"] == (
        "python", "-m", "pytest", "-q", "-o", "cache_dir=.prp/cache/pytest",
        "--junitxml=.prp/reports/junit.xml", "--cov", "--cov-report=xml:.prp/reports/coverage.xml",
        "--cov-report=term",
    )  # fmt: skip
    assert gov.commands["lint"][:4] == ("python", "-m", "ruff", "check")
    assert "--output-format=json" in gov.commands["lint"] and "--no-fix" in gov.commands["lint"]
    assert gov.commands["type-check"] == (
        "python",
        "-m",
        "mypy",
        "--cache-dir=.prp/cache/mypy",
        "--junit-xml",
        ".prp/reports/mypy.xml",
    )  # fmt: skip  (mypy's config names the files)
    assert gov.checks == ("test", "lint", "type-check") and gov.license == "MIT"
    assert gov.owners == {"*": ("ada@example.org",)}
    assert budgets.coverage is not None and budgets.coverage.enforced() == {"total": 90.0}
    assert result.profile.reports.coverage == (".prp/reports/coverage.xml",)
    assert (result.profile.project.kind, budgets.performance, budgets.accessibility) == (
        "library",
        None,
        None,
    )
    assert result.profile.architecture.boundaries == ("slugs",)
    assert result.profile.architecture.layout == ("src/slugs", "tests", "pyproject.toml")
    assert result.doc.title == "slugs: Turn titles into URL slugs"
    assert (
        result.doc.context
        == "Turn titles into URL slugs.\nSlugs turns any title into a URL slug and back again."
    )
    assert result.doc.requirements[0] == "The test suite passes (`python -m pytest -q --cov`)"
    assert "DERIVED" in text and "from pyproject.toml [project] and README.md" in text
    assert "# detected: ruff: pyproject.toml [tool.ruff]" in text
    assert "fail_under" in text and "# default: PEP 8 names" in text


def test_setup_cfg_tox_and_flake8_without_pytest_cov_leave_coverage_unenforced(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = clicky\ndescription = CLI kit\nlicense = BSD-3-Clause\n"
            "[tool:pytest]\ntestpaths = tests\n[coverage:run]\nbranch = True\nsource = clicky\n"
            "[flake8]\nmax-line-length = 80\n",
            "tox.ini": "[testenv:typing]\ncommands =\n    mypy src/clicky tests/typing\n"
            "    mypy src/clicky/*.pyi tests/typing/more\n    mypy --strict examples/\n",
            "src/clicky/__init__.pyi": "",
            "tests/typing/more/t.py": "",
            "examples/e.py": "",
            "requirements/typing.txt": "mypy==1.4.1\n    # via -r typing.in\n",
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/pycqa/flake8\n    rev: 7.0.0\n"
            "    hooks:\n      - id: flake8\n        additional_dependencies: [flake8-bugbear]\n",
            "src/clicky/__init__.py": "",
            "tests/test_a.py": "",
            "CODEOWNERS": "* @team\n",
        },
    )
    text, result = parsed(tmp_path)
    gov = result.profile.governance
    assert gov.commands["lint"] == (
        "python", "-m", "flake8", "--output-file=.prp/reports/flake8.txt", "--tee", "src/clicky", "tests",
    )  # fmt: skip
    # as tox runs it: every command's targets, once (a stub inside src/clicky is covered by it)
    assert gov.commands["type-check"][-3:] == ("src/clicky", "tests/typing", "examples")
    assert "--cov" not in " ".join(gov.commands["test"])
    assert result.profile.budgets.coverage is None and result.profile.reports.coverage == ()
    assert gov.owners == {} and "CODEOWNERS names the code owners" in text
    assert "but pytest-cov is not" in text
    assert result.profile.environment is not None
    assert result.profile.environment.packages == ("pytest", "flake8==7.0.0", "flake8-bugbear", "mypy==1.4.1")


def test_pre_commit_hooks_and_ci_workflows_count_as_using_a_tool(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n',
            "x/__init__.py": "",
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
            "    rev: v0.15.6\n    hooks:\n      - id: ruff-check\n      - id: ruff-format\n",
            ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: python -m pytest -x\n",
        },
    )
    facts = detect(tmp_path)
    assert facts.pins["ruff"] == ("ruff==0.15.6", ".pre-commit-config.yaml rev v0.15.6")
    assert facts.tools["ruff"] == [".pre-commit-config.yaml hook 'ruff-check'"]
    assert facts.tools["ruff-format"] == [".pre-commit-config.yaml hook 'ruff-format'"]
    assert facts.tools["pytest"] == [".github/workflows/ci.yml"]
    _, result = parsed(tmp_path)
    assert set(result.profile.governance.commands) == {"test", "lint", "format"}
    assert result.profile.environment is not None
    assert result.profile.environment.packages == ("pytest", "ruff==0.15.6")  # the project's own pin
    assert result.profile.governance.checks == ("test", "lint", "type-check", "format")


def test_a_repository_with_nothing_configured_gets_a_valid_profile_saying_so(tmp_path: Path) -> None:
    write(tmp_path, {"notes.txt": "hello\n"})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands == {}
    assert "no test tool found" in text and "no type checker (mypy) configured" in text
    assert "(Apache-2.0 OR Commercial)" in text and "default: no license found" in text
    assert "owners: none found" in text
    assert result.doc.title == tmp_path.name


def test_the_project_kind_decides_the_browser_budgets(tmp_path: Path) -> None:
    service = write(
        tmp_path / "svc", {"pyproject.toml": '[project]\nname = "s"\ndependencies = ["Django>=5"]\n'}
    )
    assert project_kind(detect(service)) == ("service", "depends on django")
    web = write(tmp_path / "web", {"package.json": "{}", "app.js": ""})
    _, result = parsed(web)
    assert result.profile.project.kind == "web-app"
    assert result.profile.budgets.performance is not None and result.profile.budgets.accessibility is not None


def test_the_first_paragraph_skips_headings_badges_and_html() -> None:
    assert first_paragraph(README) == "Slugs turns any title into a URL slug and back again."
    rst = "Click\n=====\n\n.. image:: x.png\n\nClick is a package.\nIt composes.\n"
    assert first_paragraph(rst) == "Click is a package. It composes."
    assert first_paragraph("# Only a title\n") == ""


def test_the_first_paragraph_skips_code_comments_and_notices_and_keeps_link_text() -> None:
    xmltodict = "# xmltodict\n\n`xmltodict` is a Python module that makes XML feel like JSON.\n"
    assert first_paragraph(xmltodict) == "`xmltodict` is a Python module that makes XML feel like JSON."
    bidict = ".. (Sphinx comment: the docs\n   are often used to show this doc.)\n\nbidict: the mapping.\n"
    assert first_paragraph(bidict) == "bidict: the mapping."
    fenced = "```python\nimport x\n\nx.y()\n```\n\nX does y.\n"
    assert first_paragraph(fenced) == "X does y."
    tenacity = (
        "**Please refer to the** `docs`_ **for a better experience.**\n\nTenacity retries. It forks `a fork\n"
        "<https://github.com/x/y>`_ which is no longer `maintained <https://j.info/>`_. So.\n"
    )
    assert first_paragraph(tenacity) == "Tenacity retries. It forks a fork which is no longer maintained. So."
    pluggy = (
        "This is the framework used by the `pytest`_, `tox <https://tox.wiki>`_ and [devpi](https://d.io).\n"
    )
    assert first_paragraph(pluggy) == "This is the framework used by the pytest, tox and devpi."
    mdit = "> Markdown parser done right.\n\nFollows the [CommonMark spec][spec] and [markdown-it].\n"
    assert first_paragraph(mdit) == "Follows the CommonMark spec and markdown-it."


def test_setup_py_and_pkg_info_say_the_description_and_licence(tmp_path: Path) -> None:
    """simplejson: ``license="MIT OR AFL-2.1"`` (its LICENSE.txt alone reads as MIT); jmespath:
    ``description='JSON Matching Expressions'``; an sdist's PKG-INFO fills the rest."""
    write(
        tmp_path,
        {
            "setup.py": "setup(name='simplejson', long_description=x, license=\"MIT OR AFL-2.1\")\n",
            "LICENSE.txt": "MIT License\n\nPermission is hereby granted, free of charge\n",
            "PKG-INFO": "Metadata-Version: 2.1\nName: simplejson\nSummary: Simple, fast JSON\n\nBody\n",
        },
    )
    facts = detect(tmp_path)
    assert facts.license == ("MIT OR AFL-2.1", "setup.py license")
    assert facts.description == "Simple, fast JSON"
    write(tmp_path, {"setup.py": "setup(name='jmespath', description='JSON Matching Expressions')\n"})
    assert detect(tmp_path).description == "JSON Matching Expressions"
    # the layout names the file that holds the metadata (schema's pyproject.toml has only [tool.ruff])
    write(tmp_path, {"pyproject.toml": "[tool.ruff]\n"})
    assert parsed(tmp_path)[1].profile.architecture.layout == ("setup.py",)


def test_a_paragraph_that_starts_with_emphasis_is_prose_and_a_list_is_not() -> None:
    attrs = '<p align="center">logo</p>\n\n*attrs* is the Python package that will bring back the **joy**.\n'
    assert first_paragraph(attrs) == "*attrs* is the Python package that will bring back the **joy**."
    assert first_paragraph("**Bold** opening line.\n") == "**Bold** opening line."
    assert first_paragraph("* a list item\n- another\n+ third\n\nThe prose.\n") == "The prose."


def test_broken_configuration_files_are_ignored_not_fatal(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[project\nname=",
            "setup.cfg": "no section header\n",
            "tox.ini": "[testenv]\ncommands = pytest 'unclosed\n",
            ".pre-commit-config.yaml": "repos: [\n",
            "pkg/__init__.py": "",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.architecture.boundaries == ("pkg",)


def test_a_suite_written_for_pytest_is_run_with_pytest_without_pytest_configuration(tmp_path: Path) -> None:
    """packaging 24: no pytest configuration, pytest only in tests/requirements.txt, and test
    modules importing it. unittest discovery cannot run such a suite."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'pkg'\n",
            "src/pkg/__init__.py": "",
            "tests/__init__.py": "",
            "tests/test_a.py": "import pytest\n\n\ndef test_a():\n    assert True\n",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:3] == ("python", "-m", "pytest")
    assert detect(tmp_path).tools["pytest"] == ["tests/test_a.py imports pytest"]
    write(
        tmp_path,
        {"tests/requirements.txt": "pytest>=7\npretend\n", "tests/test_a.py": "def test_a(): pass\n"},
    )
    assert detect(tmp_path).tools["pytest"] == ["tests/requirements.txt"]
    (tmp_path / "tests" / "requirements.txt").unlink()
    # plain test functions: only pytest runs them (unittest would run none, and say OK)
    assert detect(tmp_path).tools["pytest"] == ["tests/test_a.py: plain test functions, no unittest cases"]
    case = "import unittest\n\nclass A(unittest.TestCase):\n    def test_a(self): pass\n"
    write(tmp_path, {"tests/test_a.py": case})
    assert detect(tmp_path).tools.get("pytest") is None  # unittest cases: unittest


def test_unittest_discovery_imports_a_tests_package_from_the_top(tmp_path: Path) -> None:
    """idna 3.7: tests/ is a package whose modules import each other relatively; discovery from
    tests/ alone imports them as top-level modules ("attempted relative import with no known
    parent package"), so the command names the top-level directory."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'pkg'\n",
            "pkg/__init__.py": "",
            "tests/__init__.py": "",
            "tests/test_a.py": "import unittest\n\nclass A(unittest.TestCase):\n    def test_a(self): pass\n",
            "tests/test_b.py": "import unittest\n\nfrom . import test_a\n\n\nclass B(test_a.A):\n    pass\n",
        },
    )
    _, result = parsed(tmp_path)
    command = result.profile.governance.commands["test"]
    assert command == ("python", "-m", "unittest", "discover", "-s", "tests", "-t", ".")
    done = subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (tmp_path / "tests" / "__init__.py").unlink()  # plain modules: discovered from tests/ itself
    (tmp_path / "tests" / "test_b.py").unlink()
    command = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert command == ("python", "-m", "unittest", "discover", "-s", "tests")
    done = subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_test_modules_at_the_top_run_with_unittest_discovery(tmp_path: Path) -> None:
    """jsonpointer: ``tests.py`` beside ``jsonpointer.py``, no tests directory, no pytest."""
    write(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\nsetup(name='jsonpointer')\n",
            "jsonpointer.py": "X = 1\n",
            "tests.py": "import unittest\n\nclass T(unittest.TestCase):\n    def test_x(self): pass\n",
        },
    )
    text, result = parsed(tmp_path)
    argv = result.profile.governance.commands["test"]
    assert argv == ("python", "-m", "unittest", "discover", "-s", ".", "-p", "test*.py")
    assert "unittest: tests.py and no pytest configuration" in text
    done = subprocess.run(
        [sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and "Ran 1 test" in done.stderr, done.stderr


def test_a_tool_pinned_in_tox_deps_is_installed_at_that_version(tmp_path: Path) -> None:
    """cachetools: ``black==22.12.0; implementation_name == "cpython"`` in tox.ini's deps."""
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = cachy\n",
            "tox.ini": "[testenv:check-format]\ndeps =\n"
            '    black==22.12.0; implementation_name == "cpython"\ncommands =\n    black --check --diff .\n',
            "src/cachy/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "black==22.12.0" in result.profile.environment.packages
    assert "tox.ini [testenv:check-format] deps" in text


def test_the_extras_and_deps_tox_installs_for_the_tests_are_installed(tmp_path: Path) -> None:
    """pyparsing: ``[testenv] extras = diagrams``; its diagram tests import what that extra
    installs, which the default choice (a ``test`` extra …) leaves out."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "parsy"\n[project.optional-dependencies]\n'
            'diagrams = ["jinja2"]\ntest = ["pytest"]\nspeedups = ["cython"]\ndocs = ["sphinx"]\n',
            "tox.ini": "[testenv]\nextras = diagrams\n    py312: speedups\ndeps =\n    pytest\n"
            "    matplotlib; implementation_name != 'pypy'\n    -r requirements.txt\n    py38: mock\n"
            "    parsy[test]\n    tox\ncommands = pytest\n"
            "[testenv:docs]\nextras = docs\ncommands = sphinx-build docs out\n"
            "[testenv:missing]\nextras = nosuch\ncommands = pytest\n",
            "parsy/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    # named extras replace the default choice, so the default one comes first; a factor's extra,
    # the docs env's and one the project does not declare are left out
    assert result.profile.environment.extras == ("test", "diagrams")
    assert "its tests install it (tox.ini [testenv] extras)" in text
    # and what the tests' tox env installs, but not options, factor lines, the project or tox
    assert result.profile.environment.packages == ("pytest", "matplotlib; implementation_name != 'pypy'")


def test_the_tox_env_that_runs_the_tests_is_the_one_read_with_what_it_inherits(tmp_path: Path) -> None:
    """markdown-it-py: ``[testenv]`` runs nothing; ``[testenv:py{310,311}]`` runs pytest with
    ``extras = testing, linkify`` (32 tests skipped without linkify) and inherits the deps."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "mdi"\n[project.optional-dependencies]\n'
            'testing = ["pytest"]\nlinkify = ["linkify-it-py"]\n',
            "tox.ini": "[testenv]\ndeps = pytest-timeout\n[testenv:py{310,311}]\nextras = testing, linkify\n"
            "commands = pytest {posargs:tests/}\n[testenv:py38-extra]\ndeps = numpy==1.24.4\n"
            "commands = pytest\n",
            "mdi/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.extras == ("testing", "linkify")
    assert result.profile.environment.packages == ("pytest", "pytest-timeout")


def test_tox_toml_and_pyproject_tox_tables_are_read_as_tox_ini_is(tmp_path: Path) -> None:
    """pathspec keeps its tox configuration in tox.toml (tox 4's own format)."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "spec"\n[project.optional-dependencies]\n'
            're2 = ["google-re2"]\n[tool.ruff]\n',
            "tox.toml": '[env_run_base]\nextras = ["re2"]\ndeps = ["pytest", "hypothesis"]\n'
            'commands = [["pytest", "--doctest-modules", {replace = "posargs", default = ["tests"]}]]\n'
            '[env.lint]\ncommands = [["ruff", "check", "spec"]]\n',
            "spec/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    env, commands = result.profile.environment, result.profile.governance.commands
    assert env is not None and env.extras == ("re2",) and "hypothesis" in env.packages
    assert commands["test"][7:] == ("--doctest-modules", "tests")
    assert commands["lint"][-1] == "spec" and "tox.toml [testenv] extras" in text
    legacy = '[project]\nname = "spec"\n[tool.tox]\nlegacy_tox_ini = """\n[testenv]\n'
    legacy += 'commands = pytest -x tests\n"""\n'
    (tmp_path / "tox.toml").unlink()
    write(tmp_path, {"pyproject.toml": legacy})
    assert parsed(tmp_path)[1].profile.governance.commands["test"][7:] == ("tests",)


def test_the_groups_the_type_check_and_the_tests_need_are_installed(tmp_path: Path) -> None:
    """cachelib: mypy ran without its ``typing`` group (boto3-stubs): 4 errors where the project
    has none; tox's ``dependency_groups`` of the tests' env are installed too."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "cachy"\n[dependency-groups]\ntests = ["pytest"]\n'
            'typing = ["boto3-stubs"]\nservices = ["redis"]\ndocs = ["sphinx"]\n[tool.mypy]\nstrict = true\n',
            "tox.ini": "[testenv]\ndependency_groups = tests\n    services\ncommands = pytest\n",
            "cachy/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    env = result.profile.environment
    assert env is not None and env.groups == ("tests", "typing", "services")
    assert "mypy runs: what its type check needs" in text
    # attrs: its mypy group brings pytest-mypy-plugins, which would add 86 tests to the test check
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "cachy"\n[dependency-groups]\ntests = ["pytest"]\n'
            'mypy = ["mypy", "pytest-mypy-plugins"]\ntypes = ["types-six"]\n[tool.mypy]\n',
            "tox.ini": "[testenv:mypy]\ndependency_groups = mypy\ncommands = mypy src\n",
        },
    )
    env = parsed(tmp_path)[1].profile.environment
    assert env is not None and env.groups == ("tests", "types")
    write(tmp_path, {"pyproject.toml": '[project]\nname = "cachy"\n[tool.pyright]\n', "tox.ini": ""})
    assert "type-checks with pyright" in parsed(tmp_path)[0]


def test_the_variables_the_tests_tox_env_sets_are_set_for_the_checks(tmp_path: Path) -> None:
    """zipp: ``setenv = PYTHONWARNDEFAULTENCODING = 1``; one test skipped without it."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "zipp"\n',
            "tox.ini": "[testenv]\nsetenv =\n\tPYTHONWARNDEFAULTENCODING = 1\n\tHOME = {envtmpdir}\n"
            "\tpy38: OLD = 1\n\tPATH = /x\ncommands_pre =\n    pybabel --quiet compile -d src/zipp/locale\n"
            "    {envpython} scripts/gen.py\n    py38: skipped\ncommands = pytest\n",
            "zipp/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.variables == {"PYTHONWARNDEFAULTENCODING": "1"}
    assert result.profile.environment.prepare == (
        ("pybabel", "--quiet", "compile", "-d", "src/zipp/locale"), ("python", "scripts/gen.py"),
    )  # fmt: skip
    assert "its tests set it (tox.ini [testenv] setenv)" in text


def test_the_projects_tool_options_and_tox_substitutions_are_read(tmp_path: Path) -> None:
    """referencing's black hook ``--line-length 79``; wcwidth's ``mypy --strict`` and ``-r
    requirements-tests39.txt``; humanize's ``{envpython} -m pytest``; dateutil's posargs default
    holding ``{toxinidir}``; platformdirs' tox.toml ``{env_site_packages_dir}``."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "wc"\n[tool.black]\n',
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/psf/black\n    rev: 25.9.0\n"
            '    hooks:\n      - id: black\n        args: ["--line-length", "79", "--quiet"]\n',
            "tox.ini": "[testenv]\ndeps = -r {toxinidir}/requirements-tests39.txt\n"
            '  pytest-cov\ncommands = {envpython} -m pytest {posargs: "{toxinidir}/tests" '
            "--cov {env_site_packages_dir}{/}wc --cov {toxinidir}{/}tests --pythonwarnings=error}\n"
            "[testenv:types]\ncommands = mypy --strict --python-version 3.9 wc\n",
            "requirements-tests39.txt": "pytest==8.4.2\n",
            "wc/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    commands, env = result.profile.governance.commands, result.profile.environment
    assert commands["format"] == ("python", "-m", "black", "--check", "--line-length", "79", ".")
    assert commands["type-check"][-4:] == ("--strict", "--python-version", "3.9", "wc")
    assert commands["test"][7:11] == ("tests", "--pythonwarnings=error", "--cov=wc", "--cov=tests")
    assert env is not None and env.requirements == ("requirements-tests39.txt",)
    assert "its tests install it (tox.ini [testenv] deps)" in text


def test_the_extra_that_declares_the_test_tools_is_installed_when_no_test_one_exists(tmp_path: Path) -> None:
    """idna: pytest and hypothesis are in its ``all`` extra; only test/tests/testing/dev were
    installed, and its property tests failed to collect."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "idna"\n[project.optional-dependencies]\n'
            'all = ["pytest", "hypothesis"]\ndocs = ["sphinx"]\n',
            "idna/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and result.profile.environment.extras == ("all",)
    assert "it declares the test tools (pytest)" in text


def test_extras_are_left_to_the_default_when_tox_installs_no_other(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = cachy\n[options.extras_require]\ntests = pytest\n",
            "tox.ini": "[testenv]\nextras = tests\ncommands = pytest\n",
            "cachy/__init__.py": "",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.environment is None or result.profile.environment.extras is None


def test_a_hooks_pinned_dependency_the_project_declares_does_not_replace_its_version(tmp_path: Path) -> None:
    """iniconfig: its mypy hook installs ``pytest==7.2.0`` (to type-check the tests) while its
    ``dev`` group needs ``pytest>=8.4.2``; pinned, the tests ran under pytest 7.2.0."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "ini"\n[dependency-groups]\ndev = ["pytest>=8.4.2"]\n'
            "[tool.mypy]\nstrict = true\n",
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/pre-commit/mirrors-mypy\n"
            "    rev: v1.13.0\n    hooks:\n      - id: mypy\n"
            '        additional_dependencies: ["pytest==7.2.0", "types-docutils==0.21", tomli]\n',
            "src/ini/__init__.py": "",
            "testing/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.packages == ("pytest", "mypy==1.13.0", "types-docutils==0.21", "tomli")
    assert "pytest==7.2.0" not in text


def test_lint_covers_what_the_projects_own_commands_lint(tmp_path: Path) -> None:
    """sqlparse: CI runs ``uv run --group dev ruff check sqlparse/``; ``ruff check .`` also
    linted its examples and failed G3 on code the project never lints."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "sqlp"\n[tool.ruff]\nline-length = 88\n',
            ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n"
            "      - run: uv run --group dev ruff check sqlp/ && uv run pytest\n"
            "      - run: |\n          python -m flake8 --max-line-length 100 x\n",
            "sqlp/__init__.py": "",
            "examples/e.py": "",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-1:] == ("sqlp",)
    # a pre-commit ruff hook runs on every file, so then everything is linted
    write(tmp_path, {".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
                     "    rev: v0.15.6\n    hooks:\n      - id: ruff\n"})  # fmt: skip
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-1:] == (".",)


def test_lint_keeps_the_options_of_the_projects_own_command(tmp_path: Path) -> None:
    """python-slugify's tox: ``flake8 --ignore=E501,F403 --exclude=legacy.py slugify setup.py``;
    without the options its lint failed on 268 violations the project has chosen to ignore."""
    write(
        tmp_path,
        {
            "setup.py": "setup(name='slugify')\n",
            "tox.ini": "[testenv:flake8]\ncommands = flake8 --ignore=E501,F403 --exclude=legacy.py"
            " --max-line-length 100 --output-file out.txt --count slugify setup.py\n",
            "slugify/__init__.py": "",
            "out.txt": "",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][5:] == (
        "--ignore=E501,F403", "--exclude=legacy.py", "--max-line-length", "100", "slugify", "setup.py",
    )  # fmt: skip


def test_mypy_targets_come_from_a_hooks_folders_and_toxs_default_arguments(tmp_path: Path) -> None:
    """pluggy's mypy hook: ``files: ^(src/|testing/)``; semver's tox: ``mypy {posargs:src}``."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "plug"\n[tool.mypy]\nstrict = true\n',
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/pre-commit/mirrors-mypy\n"
            "    rev: v1.13.0\n    hooks:\n      - id: mypy\n        files: ^(src/|testing/)\n",
            "tox.ini": "[testenv:mypy]\ncommands = mypy {posargs:bench}\n",
            "src/plug/__init__.py": "",
            "testing/test_a.py": "",
            "bench/b.py": "",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-3:] == ("bench", "src", "testing")


def test_the_commands_inside_ci_run_lines_and_hook_filters_are_read() -> None:
    assert ci_commands("- run: uv run --group dev --frozen ruff check a/ && mypy b; pytest") == [
        "ruff check a/", "mypy b", "pytest",
    ]  # fmt: skip
    assert ci_commands("      run: poetry run flake8 x || true") == ["flake8 x", "true"]
    assert hook_paths({"files": "^(src/|testing/)"}) == ["src", "testing"]
    assert hook_paths({"files": r"^src/pkg\.d/"}) == ["src/pkg.d"]
    assert hook_paths({"files": r"\.py$"}) is None and hook_paths({}) is None


def test_a_tool_the_tests_run_through_a_pytest_plugin_is_not_pinned(tmp_path: Path) -> None:
    """zipp: its pre-commit pins ruff 0.12.0, its tests run ruff (pytest-ruff) at the version
    their dependencies install; pinned, its tests failed a format check they pass in its CI."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "zipp"\n[project.optional-dependencies]\n'
            'test = ["pytest", "pytest-ruff>=0.2.1"]\n[tool.ruff]\n',
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
            "    rev: v0.12.0\n    hooks:\n      - id: ruff\n",
            "zipp/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "ruff" in result.profile.environment.packages and "ruff==0.12.0" not in text


def test_tool_versions_come_from_the_lock_file_else_the_declared_bounds(tmp_path: Path) -> None:
    """semver: ``formatting = ["ruff<=0.16"]``, ``typing = ["mypy<=2.1.0"]`` and a uv.lock
    holding ruff 0.15.20; unpinned, the checks ran ruff 0.17 and mypy 2.4."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "semv"\n[dependency-groups]\nformatting = ["ruff<=0.16"]\n'
            'typing = ["mypy<=2.1.0"]\nlint = ["flake8==7.1.0"]\n[tool.ruff]\n[tool.mypy]\n',
            "uv.lock": 'version = 1\n[[package]]\nname = "ruff"\nversion = "0.15.20"\n'
            '[[package]]\nname = "Flake8"\nversion = "7.2.0"\n',
            "semv/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.packages == ("ruff==0.15.20", "mypy<=2.1.0")
    assert "# uv.lock: 0.15.20" in text and "# pyproject.toml dependency group 'typing'" in text
    assert detect(tmp_path).pins["flake8"] == ("flake8==7.1.0", "pyproject.toml dependency group 'lint'")


def test_a_coverage_threshold_set_on_a_command_is_the_projects(tmp_path: Path) -> None:
    """structlog's CI: ``coverage report --fail-under=100``; its configuration sets none."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "sl"\n[tool.coverage.run]\nsource = ["sl"]\n',
            ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n"
            "      - run: coverage report --fail-under=100\n",
            "sl/__init__.py": "",
        },
    )
    assert detect(tmp_path).fail_under == (100.0, ".github/workflows/ci.yml: --fail-under")


def test_a_frozen_pre_commit_rev_gives_the_version_its_comment_names(tmp_path: Path) -> None:
    """pyproject-api: ``rev: "38bfb07c…"  # frozen: v0.17.1``."""
    sha = "38bfb07c" * 5
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "api"\n',
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
            f'    rev: "{sha}" # frozen: v0.17.1\n    hooks:\n      - id: ruff\n',
            "api/__init__.py": "",
        },
    )
    assert detect(tmp_path).pins["ruff"][0] == "ruff==0.17.1"


def test_tox_toml_paths_with_separators_are_read(tmp_path: Path) -> None:
    """filelock's tox.toml: ``mypy src{/}filelock`` and ``mypy tests``; the first was dropped."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "filelock"\n[tool.mypy]\n',
            "tox.toml": '[env.type]\ncommands = [["mypy", "src{/}filelock"], ["mypy", "tests"]]\n',
            "src/filelock/__init__.py": "",
            "tests/test_a.py": "",
        },
    )
    assert parsed(tmp_path)[1].profile.governance.commands["type-check"][-2:] == ("src/filelock", "tests")


def test_a_threshold_set_for_what_runs_is_measured_on_what_runs(tmp_path: Path) -> None:
    """python-multipart: ``fail_under = 100``, ``omit = ["tests/*"]`` and no source: the project
    measures what runs (100%); ``--cov`` per package counted never-imported shims (97.15%)."""
    files = {
        "pyproject.toml": '[project]\nname = "mp"\n[dependency-groups]\ndev = ["pytest-cov"]\n'
        '[tool.coverage.run]\nomit = ["tests/*"]\n[tool.coverage.report]\nfail_under = 100\n',
        "mp/__init__.py": "",
        "multipart/__init__.py": "",
    }
    write(tmp_path, files)
    assert parsed(tmp_path)[1].profile.governance.commands["test"][7] == "--cov"
    files["pyproject.toml"] = files["pyproject.toml"].replace("fail_under = 100", "skip_covered = true")
    write(tmp_path, files)  # no threshold: the packages
    assert parsed(tmp_path)[1].profile.governance.commands["test"][7:9] == ("--cov=mp", "--cov=multipart")


def test_the_projects_branch_measurement_is_kept_with_its_coverage(tmp_path: Path) -> None:
    """cachetools' tox: ``py.test --cov=cachetools --cov-branch``."""
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = cachetools\n[options.extras_require]\n"
            "test = pytest\n  pytest-cov\n",
            "tox.ini": "[testenv]\ncommands = py.test --basetemp={envtmpdir} --cov=cachetools --cov-branch\n",
            "src/cachetools/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    argv = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert argv[7:10] == ("--cov=cachetools", "--cov-branch", "--cov-report=xml:.prp/reports/coverage.xml")


def test_the_projects_pytest_paths_and_selection_options_are_kept(tmp_path: Path) -> None:
    """tabulate's tox runs ``pytest -v --doctest-modules --ignore benchmark``: without those, 16
    doctests never ran. Verbosity, output and reports are the product's own."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "tab"\n',
            "tox.ini": "[testenv]\ndeps = pytest\ncommands = pytest -v --doctest-modules --ignore benchmark"
            " -x --tb=short -m 'not slow' -n auto --cov tab --junitxml=j.xml {posargs:test}\n"
            "[testenv:bench]\ncommands = pytest --benchmark-only benchmark\n",
            ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pytest benchmark/b.py\n",
            "tab/__init__.py": "",
            "test/test_a.py": "import pytest\n",
            "benchmark/b.py": "",
        },
    )
    _, result = parsed(tmp_path)
    argv = result.profile.governance.commands["test"]
    assert argv[7:] == ("--doctest-modules", "--ignore", "benchmark", "-m", "not slow", "test")
    # pluggy: its benchmark env comes first and runs a file; the main test env runs no path
    write(
        tmp_path,
        {"tox.ini": "[testenv:benchmark]\ncommands = pytest benchmark/b.py\n[testenv]\ncommands = pytest\n"},
    )
    assert parsed(tmp_path)[1].profile.governance.commands["test"][7:] == ()


def test_a_tox_envs_changedir_is_where_its_mypy_targets_are(tmp_path: Path) -> None:
    """pyparsing: ``changedir = tests`` and ``mypy mypy-ignore-cases/``: the target is tests/…"""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'parsy'\n",
            "tox.ini": "[testenv:mypy-check]\nchangedir = {toxinidir}/tests\ncommands =\n"
            "    mypy --show-error-codes mypy-ignore-cases/\n",
            "parsy/__init__.py": "",
            "tests/mypy-ignore-cases/case.py": "",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-1] == "tests/mypy-ignore-cases"


def test_plain_test_functions_inside_the_package_run_with_pytest(tmp_path: Path) -> None:
    """toolz: toolz/tests/test_*.py, plain functions, no pytest configuration or import: unittest
    would run none of them (and call that OK on 3.11), so pytest runs them."""
    write(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\nsetup(name='toolz')\n",
            "tox.ini": "[testenv:lint]\ncommands =\n    flake8 toolz\n",
            "toolz/__init__.py": "",
            "toolz/tests/__init__.py": "",
            "toolz/tests/test_curry.py": "from toolz import curry\n\ndef test_curry():\n    assert True\n",
        },
    )
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["test"][:3] == ("python", "-m", "pytest")
    assert "toolz/tests/test_curry.py: plain test functions, no unittest cases" in text
    assert commands["lint"][-1] == "toolz"  # its tests are linted with it, not twice


def test_setup_py_authors_become_the_derived_owners(tmp_path: Path) -> None:
    """six: only a setup.py, with ``author_email``; the owners said "no authors"."""
    write(
        tmp_path,
        {
            "setup.py": 'from setuptools import setup\nsetup(\n    name="six",\n'
            '    author="Benjamin Peterson",\n    author_email="benjamin@python.org",\n)\n',
            "six.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.owners == {"*": ("benjamin@python.org",)}
    assert "derived from setup.py maintainers/authors" in text


def test_coverage_measures_what_the_projects_own_pytest_command_measures(tmp_path: Path) -> None:
    """platformdirs: tox runs ``--cov {envsitepackagesdir}{/}platformdirs --cov {toxinidir}{/}tests``
    over continued lines, and its fail_under (76) is for that total, not the package's alone."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'platformdirs'\n[project.optional-dependencies]\n"
            "test = ['pytest', 'pytest-cov', 'covdefaults']\n[tool.coverage]\nreport.fail_under = 76\n",
            "tox.ini": "[testenv]\ncommands =\n    pytest {tty:--color=yes} {posargs: \\\n"
            "      --junitxml {toxworkdir}{/}junit.xml --cov {envsitepackagesdir}{/}platformdirs \\\n"
            "      --cov {toxinidir}{/}tests \\\n"
            "      --cov-report term-missing:skip-covered \\\n      tests}\n",
            "src/platformdirs/__init__.py": "",
            "tests/test_api.py": "def test_x():\n    pass\n",
        },
    )
    _, result = parsed(tmp_path)
    argv = result.profile.governance.commands["test"]
    assert [a for a in argv if a.startswith("--cov=")] == [
        "--cov=src/platformdirs",
        "--cov=tests",
    ]  # (by path: subprocesses too)


def test_tools_in_pdm_dev_groups_are_found(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'cattrs'\n[tool.pdm.dev-dependencies]\n"
            "test = ['pytest>=7.4.0', 'hypothesis']\nlint = ['ruff>=0.0.277']\n",
            "src/cattrs/__init__.py": "",
            "tests/test_x.py": "def test_x():\n    pass\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:3] == ("python", "-m", "pytest")
    assert "pyproject.toml PDM dev group 'test'" in text
