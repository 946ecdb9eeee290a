"""``prp init`` names the checkers a project runs that no check of its runs (isort, codespell,
bandit …): a passing G3 must not read as "everything the project checks passed"."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from prp_tasks.cli import app
from prp_tasks.intake.init.detect import detect
from tests.unit.test_init import parsed, write

PRE_COMMIT = """repos:
  - repo: https://github.com/pycqa/isort
    rev: 5.13.2
    hooks:
      - id: isort
  - repo: https://github.com/codespell-project/codespell
    rev: v2.3.0
    hooks:
      - id: codespell
        args: [--ignore-words-list=nd]
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.6.0
    hooks:
      - id: ruff
"""
TOX = "[testenv]\ncommands = pytest tests\n[testenv:security]\ncommands = bandit -r spec\n"


def project(repo: Path) -> Path:
    return write(
        repo,
        {
            "pyproject.toml": '[project]\nname = "spec"\n',
            ".pre-commit-config.yaml": PRE_COMMIT,
            "tox.ini": TOX,
            "spec/__init__.py": "",
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )


def test_checkers_the_project_runs_and_no_check_runs_are_named_with_where(tmp_path: Path) -> None:
    facts = detect(project(tmp_path))
    assert facts.unrun == {
        "isort": [".pre-commit-config.yaml hook 'isort'"],
        "codespell": [".pre-commit-config.yaml hook 'codespell'"],
        "bandit": ["tox.ini [testenv:security]"],
    }
    text, result = parsed(tmp_path)
    assert set(result.profile.governance.commands) == {"test", "lint"}  # none for them
    [note] = [line for line in text.splitlines() if "not run here" in line]
    assert note.startswith("  # not run here: bandit (tox.ini [testenv:security]); codespell (")
    assert "isort (.pre-commit-config.yaml hook 'isort')" in note and "a passing G3 says nothing" in note


def test_prp_init_says_what_it_does_not_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(project(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "not run here: bandit (tox.ini [testenv:security]); codespell" in result.output


def test_a_project_running_only_what_prp_init_runs_gets_no_note(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "spec"\n', "tox.ini": TOX.split("[testenv:")[0]})
    assert detect(tmp_path).unrun == {}
    assert "not run here" not in parsed(tmp_path)[0]


def test_checkers_pytest_runs_as_test_items_are_run_by_the_test_check(tmp_path: Path) -> None:
    """dictdiffer: ``addopts = '--isort --pydocstyle …'`` beside ``[tool.isort]`` and
    ``[tool.pydocstyle]``: "not run here: isort; pydocstyle", while 16 of its 30 tests were theirs."""
    conf = "[tool.isort]\nprofile = 'black'\n[tool.pydocstyle]\nadd_ignore = ['D401']\n"
    pytest = "[tool.pytest.ini_options]\naddopts = '--isort --pydocstyle --doctest-modules'\n"
    pyproject = "[project]\nname = 'dd'\n[project.optional-dependencies]\ntests = ['pytest-isort']\n"
    write(
        tmp_path, {"pyproject.toml": pyproject + conf + pytest, "dd/__init__.py": "", "tests/test_a.py": ""}
    )
    text, _ = parsed(tmp_path)
    assert "not run here" not in text
    write(tmp_path, {"pyproject.toml": pyproject + conf})  # not run by the tests: named
    assert "not run here: isort (pyproject.toml [tool.isort]); pydocstyle" in parsed(tmp_path)[0]
    ini = "[pytest]\naddopts = --isort\n"  # pytest.ini's addopts alike; pydocstyle left
    write(tmp_path, {"pytest.ini": ini})
    assert "not run here: pydocstyle (pyproject.toml [tool.pydocstyle])" in parsed(tmp_path)[0]


def test_prp_init_says_when_the_requirements_are_only_a_placeholder(tmp_path: Path) -> None:
    """docopt's sdist: no test, lint or type command, so no requirement is derived and the
    placeholder written fails G0 until it is replaced; prp init says so."""
    write(tmp_path, {"setup.py": "setup(name='docopt')\n", "docopt.py": ""})
    result = CliRunner().invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "requirements: only the placeholder 'Describe the outcome here'" in result.output
    assert "G0's blueprint validation fails" in result.output
    done = CliRunner().invoke(app, ["init", str(project(tmp_path / "other"))])
    assert "placeholder" not in done.output


def test_checkers_the_project_only_configures_are_named_too(tmp_path: Path) -> None:
    """oauthlib configures isort in ``setup.cfg [isort]`` (15 files it would re-sort) and runs no
    lint tool prp init knows: "no lint tool found" alone hid it."""
    write(
        tmp_path,
        {
            "setup.py": "setup(name='oauthlib')\n",
            "setup.cfg": "[isort]\nknown_first_party = oauthlib\n",
            "pyproject.toml": "[tool.codespell]\nskip = '*.po'\n",
            "oauthlib/__init__.py": "",
        },
    )
    facts = detect(tmp_path)
    assert facts.unrun == {"codespell": ["pyproject.toml [tool.codespell]"], "isort": ["setup.cfg [isort]"]}
    assert (
        "not run here: codespell (pyproject.toml [tool.codespell]); isort (setup.cfg [isort])"
        in (parsed(tmp_path)[0])
    )


def test_a_docs_build_that_checks_something_is_named_not_run_here(tmp_path: Path) -> None:
    """cachetools' tox envlist runs ``sphinx-build -W -b html`` and ``-b doctest`` (58 doctests, and
    a warning that fails the build today); nothing said no check ran them. A plain build checks
    nothing and is not named."""
    tox = (
        "[tox]\nenvlist = py,docs,doctest\n\n[testenv]\ncommands = pytest\n\n[testenv:docs]\n"
        "commands = sphinx-build -W -b html docs {envtmpdir}/html\n\n[testenv:doctest]\n"
        "commands = sphinx-build -b doctest docs {envtmpdir}/doctest\n\n[testenv:plain]\n"
        "commands = sphinx-build -b html docs out\n"
    )
    write(tmp_path, {"setup.cfg": "[metadata]\nname = ct\n", "ct/__init__.py": "", "tox.ini": tox})
    text = parsed(tmp_path)[0]
    assert "not run here: sphinx-build (tox.ini [testenv:docs], tox.ini [testenv:doctest])" in text


def test_stubtest_is_named_not_run_here(tmp_path: Path) -> None:
    """more-itertools' Makefile checks its stubs with ``stubtest``, which fails on a module that
    does not import; the type check (mypy on the stubs) passed such a copy, and nothing said that
    stubtest was not run (pkginfo's tox runs it as ``python -m mypy.stubtest``)."""
    makefile = "check:\n\tstubtest mi.more mi.recipes\n\tmypy mi\n"
    write(tmp_path, {"setup.cfg": "[metadata]\nname = mi\n", "mi/__init__.py": "", "Makefile": makefile})
    assert "not run here: stubtest (Makefile recipe check)" in parsed(tmp_path)[0]
    tox = "[testenv:mypy]\ncommands = mypy mi\n    python -m mypy.stubtest mi\n"
    write(tmp_path, {"Makefile": "all:\n\ttrue\n", "tox.ini": tox})
    assert "not run here: stubtest (tox.ini [testenv:mypy])" in parsed(tmp_path)[0]
    # the docs' linters likewise (arrow's doc8, Python-Markdown's pyspelling)
    tox = "[testenv:docs]\ncommands = doc8 index.rst\n    {envpython} -m pyspelling -j 4\n"
    write(tmp_path, {"tox.ini": tox})
    said = "not run here: doc8 (tox.ini [testenv:docs]); pyspelling (tox.ini [testenv:docs])"
    assert said in parsed(tmp_path)[0]
    # pygments' regexlint env, run by its CI's lint job
    write(tmp_path, {"tox.ini": "[testenv:regexlint]\ncommands = regexlint pygments.lexers\n"})
    assert "not run here: regexlint (tox.ini [testenv:regexlint])" in parsed(tmp_path)[0]


def test_a_checker_a_flake8_plugin_of_the_lint_check_runs_is_not_named_not_run_here(tmp_path: Path) -> None:
    """tqdm's flake8 hook brings flake8-isort: the lint check enforces its isort order, and
    "not run here: isort" was false."""
    hooks = (
        "repos:\n- repo: https://github.com/PyCQA/flake8\n  rev: 7.3.0\n  hooks:\n  - id: flake8\n"
        "    additional_dependencies: [flake8-isort]\n- repo: https://github.com/PyCQA/isort\n"
        "  rev: 6.0.1\n  hooks:\n  - id: isort\n"
    )
    files = {
        "setup.cfg": "[metadata]\nname = t\n[flake8]\n",
        "t/__init__.py": "",
        ".pre-commit-config.yaml": hooks,
    }
    write(tmp_path, files)
    text = parsed(tmp_path)[0]
    assert '"flake8-isort"' in text and "not run here: isort" not in text


def test_a_linter_the_project_runs_besides_the_checks_one_is_named_not_run_here(tmp_path: Path) -> None:
    """plumbum's CI runs pylint through nox and its pre-commit runs ruff; the lint check runs ruff,
    and nothing said that pylint, which the project runs, was not run here."""
    hooks = "repos:\n- repo: x\n  rev: v1\n  hooks:\n  - id: ruff-check\n"
    ci = "jobs:\n  t:\n    steps:\n      - run: pylint plumbum\n"
    files = {
        "pyproject.toml": '[project]\nname = "plumbum"\n[tool.ruff]\n[tool.pylint]\n',
        "plumbum/__init__.py": "",
        ".pre-commit-config.yaml": hooks,
        ".github/workflows/ci.yml": ci,
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][2] == "ruff"
    assert "not run here: pylint (.github/workflows/ci.yml)" in text
    tox = (
        "[tox]\nenvlist = py, flake8, pycodestyle\n\n"
        "[testenv:flake8]\ncommands = flake8 --ignore=E241 slug\n\n"
        "[testenv:pycodestyle]\ncommands = pycodestyle --ignore=E128 slug\n"
    )  # python-slugify: an E241 flake8 ignores and its pycodestyle reports passed the run unsaid
    write(tmp_path / "s", {"setup.py": "", "slug/__init__.py": "", "tox.ini": tox})
    text, result = parsed(tmp_path / "s")
    assert result.profile.governance.commands["lint"][2] == "flake8"
    assert "not run here: pycodestyle (tox.ini [testenv:pycodestyle])" in text


def test_preks_toml_hooks_are_read_as_pre_commits(tmp_path: Path) -> None:
    """chardet pins ruff in prek's ``prek.toml`` (``rev = "v0.15.2"``) and runs ty there; unread,
    ruff 0.17.6 ran (118 violations of rules newer than its pin) and ty went unnamed."""
    prek = (
        '[[repos]]\nrepo = "https://github.com/astral-sh/ruff-pre-commit"\nrev = "v0.15.2"\n'
        'hooks = [{ id = "ruff-check", args = ["--fix"] }, { id = "ruff-format" }]\n\n'
        '[[repos]]\nrepo = "local"\nhooks = [{ id = "ty", entry = "uvx ty check src/" }]\n'
    )
    files = {"pyproject.toml": '[project]\nname = "chardet"\n[tool.ruff]\n', "src/chardet/__init__.py": ""}
    write(tmp_path, files | {"prek.toml": prek})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and "ruff==0.15.2" in result.profile.environment.packages
    assert (
        "# prek.toml rev v0.15.2" in text and "the project type-checks with ty (prek.toml hook 'ty')" in text
    )
    assert result.profile.governance.commands["format"][:4] == ("python", "-m", "ruff", "format")
    write(tmp_path, {"prek.toml": prek + '[[repos]]\nrepo = "local"\nhooks = [{ id = "sphinx-lint" }]\n'})
    assert "not run here: sphinx-lint (prek.toml hook 'sphinx-lint')" in parsed(tmp_path)[0]


HOOKS_OF_OTHER_CHECKERS = """repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.17.4
    hooks:
      - id: ruff-check
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v6.0.0
    hooks:
      - id: check-yaml
      - id: end-of-file-fixer
  - repo: https://github.com/rbubley/mirrors-prettier
    rev: v3.10.1
    hooks:
      - id: prettier
  - repo: https://github.com/pycqa/isort
    rev: 5.13.2
    hooks:
      - id: isort
  - repo: local
    hooks:
      - id: unit-tests
        entry: pytest
        language: system
  - repo: meta
    hooks:
      - id: check-hooks-apply
"""


def test_every_hook_no_check_runs_is_named_by_its_repository_when_it_has_several(tmp_path: Path) -> None:
    """humanize's hooks file runs pre-commit-hooks' checks, prettier, actionlint, zizmor and
    pyproject-fmt besides ruff and black: its G3 passed and no comment said that it had not run
    them. A local hook (any command: a test run among them) and pre-commit's own meta hooks are
    not named; a known checker keeps its own name."""
    hooks = {".pre-commit-config.yaml": HOOKS_OF_OTHER_CHECKERS}
    write(tmp_path, {"pyproject.toml": '[project]\nname = "spec"\n', **hooks})
    assert detect(tmp_path).unrun == {
        "pre-commit-hooks": [".pre-commit-config.yaml hooks check-yaml, end-of-file-fixer"],
        "prettier": [".pre-commit-config.yaml hook 'prettier'"],
        "isort": [".pre-commit-config.yaml hook 'isort'"],
    }
    text = parsed(tmp_path)[0]
    assert "# not run here: isort (.pre-commit-config.yaml hook 'isort'); pre-commit-hooks (" in text
