"""``prp init``'s detection and the initial.md it writes (``prp_tasks.intake.init``), on small repos."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.core.profile import ParsedProfile
from prp_tasks.intake.init.detect import detect, project_kind
from prp_tasks.intake.init.render import initial_md
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
    # (coverage.py checks its fail_under of 90 on the total rounded to a whole percent: 89.5 passes)
    assert budgets.coverage is not None and budgets.coverage.enforced() == {"total": 89.5}
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


def test_setup_cfg_tox_and_flake8_without_pytest_cov_measure_with_coverage_run(tmp_path: Path) -> None:
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
    # its flake8 hook has no files filter: pre-commit runs it on every file (PyJWT's docs/conf.py too)
    assert gov.commands["lint"] == (
        "python", "-m", "flake8", "--output-file=.prp/reports/flake8.txt", "--tee", ".",
    )  # fmt: skip
    # as tox runs it: every command's targets, once (a stub inside src/clicky is covered by it)
    assert gov.commands["type-check"][-3:] == ("src/clicky", "tests/typing", "examples")
    # coverage.py configured, pytest-cov not: `coverage run`, whose report the check writes after it
    assert gov.commands["test"][:6] == ("python", "-m", "coverage", "run", "-m", "pytest")
    assert "--cov" not in " ".join(gov.commands["test"])
    assert result.profile.budgets.coverage is None  # measured, but the project sets no threshold
    assert result.profile.reports.coverage == (".prp/reports/coverage.xml",)
    assert gov.owners == {} and "CODEOWNERS names the code owners" in text
    assert "measured with coverage.py (setup.cfg [coverage:run]); the check runs `coverage xml`" in text
    assert result.profile.environment is not None
    assert result.profile.environment.packages == (
        "coverage", "pytest", "flake8==7.0.0", "flake8-bugbear", "mypy==1.4.1",
    )  # fmt: skip


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
    # its release prints no diffs (0.16 began to): its output as it is (0.13 refused the option)
    assert not any(a.startswith("--output-format") for a in result.profile.governance.commands["format"])


def test_a_repository_with_nothing_configured_gets_a_valid_profile_saying_so(tmp_path: Path) -> None:
    write(tmp_path, {"notes.txt": "hello\n"})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands == {}
    assert "no test module (test*.py, *_test.py) in this checkout" in text
    assert "no type checker (mypy) configured" in text
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
    # appdirs: a concatenation of literals, whose first half alone was the description
    appdirs = "setup(name='appdirs', description='A small module for ' + \\\n    'platform-specific dirs.')\n"
    write(tmp_path, {"setup.py": appdirs})
    assert detect(tmp_path).description == "A small module for platform-specific dirs."
    # the layout names the file that holds the metadata (schema's pyproject.toml has only [tool.ruff])
    write(tmp_path, {"pyproject.toml": "[tool.ruff]\n"})
    assert parsed(tmp_path)[1].profile.architecture.layout == ("setup.py",)


def test_a_setup_py_naming_the_package_attribute_still_gives_its_literals(tmp_path: Path) -> None:
    """sortedcontainers: ``name=sortedcontainers.__title__``; its literal description and author
    were ignored, the title was the directory's name and the owners "none found"."""
    setup_py = (
        "import sortedcontainers\nfrom setuptools import setup\n"
        "setup(\n    name=sortedcontainers.__title__,\n"
        "    description='Sorted Containers -- Sorted List',\n    author_email='contact@grantjenks.com',\n)\n"
    )
    write(
        tmp_path, {"setup.py": setup_py, "sortedcontainers/__init__.py": "__title__ = 'sortedcontainers'\n"}
    )
    facts = detect(tmp_path)
    assert (facts.name, facts.description) == ("sortedcontainers", "Sorted Containers -- Sorted List")
    assert facts.authors == ["contact@grantjenks.com"] and facts.metadata_file == "setup.py"


def test_pkg_info_names_the_project_and_its_authors_a_setup_py_names_by_variable(tmp_path: Path) -> None:
    """jsonpatch 1.33: ``name=PACKAGE, author_email=EMAIL``; the title was the directory's name, the
    owners "none found" (G3 failed on it) and its ``ext_tests.py`` script a package boundary."""
    pkg_info = "Metadata-Version: 2.1\nName: jsonpatch\nAuthor: Stefan\nAuthor-email: stefan@skoegl.net\n\n"
    setup_py = "PACKAGE = 'jsonpatch'\nsetup(name=PACKAGE, author_email=EMAIL)\n"
    write(tmp_path, {"setup.py": setup_py, "PKG-INFO": pkg_info, "jsonpatch.py": "", "ext_tests.py": ""})
    facts = detect(tmp_path)
    assert (facts.name, facts.authors, facts.authors_file) == ("jsonpatch", ["stefan@skoegl.net"], "PKG-INFO")
    assert facts.packages == ["jsonpatch.py"]


def test_a_summary_cut_mid_sentence_is_completed_from_its_module_docstring(tmp_path: Path) -> None:
    """ordered-set 4.1.0 (flit): ``dynamic = ["description"]``, PKG-INFO's Summary the docstring's
    first line, "… remembers its order, so that every"; the description read "… so that every."."""
    doc = '"""\nAn OrderedSet is a custom MutableSet that remembers its order, so that every\n'
    doc += 'entry has an index. More.\n"""\n'
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "ordered-set"\ndynamic = ["version", "description"]\n',
            "PKG-INFO": "Metadata-Version: 2.1\nName: ordered-set\n"
            "Summary: An OrderedSet is a custom MutableSet that remembers its order, so that every\n\n",
            "ordered_set/__init__.py": doc,
        },
    )
    assert detect(tmp_path).description == (
        "An OrderedSet is a custom MutableSet that remembers its order, so that every entry has an index."
    )
    write(tmp_path, {"ordered_set/__init__.py": '"""Another text."""\n'})  # not cut from it: kept
    assert detect(tmp_path).description.endswith("so that every")


def test_a_setup_py_of_keyword_arguments_in_a_dict_gives_its_description_and_licence(tmp_path: Path) -> None:
    """flit's generated setup.py: ``setup_kwargs = {'description': '…', 'license': 'MIT'}``."""
    setup_py = "setup_kwargs = {\n    'name': 'x',\n    'description': 'A set that remembers its order.',\n"
    setup_py += "    'license': 'MIT',\n}\nsetup(**setup_kwargs)\n"
    write(tmp_path, {"setup.py": setup_py, "x.py": ""})
    facts = detect(tmp_path)
    assert (facts.description, facts.license) == (
        "A set that remembers its order.",
        ("MIT", "setup.py license"),
    )


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
    # alive-progress: ``author_email=alive_progress.__email__``, a literal of the package ("no authors")
    write(
        tmp_path,
        {
            "setup.py": "import six, setuptools\nsetuptools.setup(name='six', author_email=six.__email__)\n",
            "six.py": "__email__ = 'rs@example.org'\n",
        },
    )
    assert parsed(tmp_path)[1].profile.governance.owners == {"*": ("rs@example.org",)}
    # natsort: its authors in setup.cfg [metadata], its name only in setup.py
    write(tmp_path, {"setup.cfg": "[metadata]\nauthor_email = seth@example.org\n"})
    text, result = parsed(tmp_path)
    assert result.profile.governance.owners == {"*": ("seth@example.org",)}
    assert "derived from setup.cfg [metadata] maintainers/authors:" in text
    # platformdirs: four maintainers, three kept, and the comment says so
    four = ", ".join(f"{{email = 'm{i}@example.org'}}" for i in range(4))
    write(tmp_path, {"pyproject.toml": f"[project]\nname = 'pd'\nmaintainers = [{four}]\n"})
    text, result = parsed(tmp_path)
    assert result.profile.governance.owners == {"*": tuple(f"m{i}@example.org" for i in range(3))}
    assert "derived from pyproject.toml [project] maintainers/authors (the first 3 of 4)" in text


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


def test_the_title_does_not_name_the_project_twice_and_one_file_is_one(tmp_path: Path) -> None:
    """aiosignal's description opens with its name: the title read "aiosignal: aiosignal: a list of
    registered asynchronous callbacks"; its one JavaScript file was "(1 files)"."""
    summary = "aiosignal: a list of registered asynchronous callbacks"
    pyproject = f'[project]\nname = "aiosignal"\ndescription = "{summary}"\n'
    write(tmp_path, {"pyproject.toml": pyproject, "aiosignal/__init__.py": "", "docs/x.js": "var a;\n"})
    text = parsed(tmp_path)[0]
    assert text.splitlines()[0] == f"# {summary}"
    assert "JavaScript (1 file)" in text
    write(tmp_path, {"pyproject.toml": pyproject.replace(summary, "Signals for asyncio")})
    assert parsed(tmp_path)[0].splitlines()[0] == "# aiosignal: Signals for asyncio"
