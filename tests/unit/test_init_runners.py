"""``prp init`` runs the project's linters, formatters and type checker as the project does: what
its hooks and tox envs lint and exclude, their plugins, and what only its type check needs (an
environment of its own). (Tools only declared or only configured: ``test_init_leftovers.py``; what
the project's automation runs: ``test_init_automation.py``; how it measures coverage:
``test_init_coverage.py``.)"""

from __future__ import annotations

from pathlib import Path

from prp_tasks.core.builtin_workflow import builtin_workflow
from tests.unit.test_init import parsed, write


def test_pylint_lints_what_the_project_names_else_its_packages(tmp_path: Path) -> None:
    """python-json-logger declares and configures pylint (its tox runs ``pylint src``): the run
    passed with "no lint tool found" and the required lint check ran nowhere."""
    files = {
        "pyproject.toml": '[project]\nname = "pjl"\n[project.optional-dependencies]\n'
        'dev = ["pylint", "pytest"]\n[tool.pylint.main]\nload-plugins = []\n',
        "src/pjl/__init__.py": "",
        "tests/test_a.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    lint = result.profile.governance.commands["lint"]
    assert lint[:5] == (  # --persistent=n: nothing saved in ~/.cache/pylint (dacite)
        "python", "-m", "pylint", "--output-format=json:.prp/reports/pylint.json,text", "--persistent=n",
    )  # fmt: skip
    assert lint[-1] == "src/pjl" and "(its packages: no command of the project names paths)" in text
    assert "only configured" not in text  # its dev extra names it
    write(tmp_path, {"tox.ini": "[testenv:lint]\ncommands = pylint --disable=C0114 src\n"})
    lint = parsed(tmp_path)[1].profile.governance.commands["lint"]
    assert lint[-2:] == ("--disable=C0114", "src")


def test_the_stub_packages_declared_beside_mypy_are_the_type_checks(tmp_path: Path) -> None:
    """pydantic-settings: its ``linting`` group declares mypy, types-pyyaml and types-boto3; its
    type check ran without them: 'Library stubs not installed for "yaml"' where the project's own
    run is clean."""
    pyproject = (
        '[project]\nname = "pkg"\ndependencies = ["pyyaml"]\n[dependency-groups]\n'
        'linting = ["mypy", "ruff", "types-pyyaml", "types-boto3[secretsmanager]", "django-stubs>=5"]\n'
        'testing = ["pytest"]\n[tool.mypy]\nstrict = true\n'
    )
    write(tmp_path, {"pyproject.toml": pyproject, "pkg/__init__.py": "", "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    own = result.profile.environments["type-check"].packages
    assert {"types-pyyaml", "types-boto3[secretsmanager]", "django-stubs>=5"} <= set(own)
    assert "ruff" not in own[-3:]
    assert "its type check installs it (pyproject.toml dependency group 'linting', beside mypy)" in text


def test_what_only_the_type_check_needs_gets_an_environment_of_its_own(tmp_path: Path) -> None:
    """natsort: tox's mypy env installs fastnumbers, which its tests run without (installed for
    them, natsort takes another code path); without it mypy reported 10 errors for the project's 6."""
    tox = (
        "[testenv]\ndeps =\n    pytest\n    hypothesis\ncommands = pytest\n"
        "[testenv:mypy]\ndeps =\n    mypy\n    hypothesis\n    fastnumbers>=5.0.1\n"
        "commands = mypy --strict natsort tests\n"
    )
    write(tmp_path, {"tox.ini": tox, "setup.cfg": "[metadata]\nname = natsort\n", "natsort/__init__.py": ""})
    (tmp_path / "tests").mkdir()
    text, result = parsed(tmp_path)
    profile = result.profile
    shared = profile.environment.packages if profile.environment else ()
    assert "hypothesis" in shared and not any(p.startswith("fastnumbers") for p in shared)
    own = profile.environments["type-check"].packages
    assert own[: len(shared)] == shared and own[len(shared) :] == ("fastnumbers>=5.0.1",)
    assert "its type check installs it (tox.ini [testenv:mypy] deps)" in text
    check = builtin_workflow(profile).gate("G3").check("run-type-check")
    assert check.environment is not None and "fastnumbers>=5.0.1" in check.environment.packages
    assert builtin_workflow(profile).gate("G3").check("run-test").environment is None


def test_a_mypy_hook_without_args_runs_with_the_hooks_own_defaults(tmp_path: Path) -> None:
    """shortuuid's mirrors-mypy hook gives no ``args``, so it runs with the hook's defaults
    (``--ignore-missing-imports``): prp's mypy reported 2 errors for django imports, the project's 0."""
    hook = (
        "repos:\n  - repo: https://github.com/pre-commit/mirrors-mypy\n    rev: v0.991\n"
        "    hooks:\n      - id: mypy\n"
    )
    write(
        tmp_path,
        {".pre-commit-config.yaml": hook, "pyproject.toml": '[project]\nname = "s"\n', "s/__init__.py": ""},
    )
    command = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert "--ignore-missing-imports" in command
    write(tmp_path, {".pre-commit-config.yaml": hook + "        args: [--strict]\n"})
    command = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert "--strict" in command and "--ignore-missing-imports" not in command


def test_flake8_plugins_the_project_declares_and_mypys_excludes_are_kept(tmp_path: Path) -> None:
    """annotated-types keeps flake8's settings in ``[tool.flake8]``, read only through the
    flake8-pyproject plugin it pins (67 violations without it, 0 with); prettytable's tox runs
    ``mypy . --exclude tests`` (52 errors without the exclude, 0 with)."""
    files = {
        "pyproject.toml": '[project]\nname = "at"\n[tool.flake8]\nmax_line_length = 120\n[tool.mypy]\n',
        "requirements/all.txt": "flake8==6.1.0\nflake8-pyproject==1.2.3\nmypy==1.5.1\n",
        "tox.ini": "[testenv:mypy]\ncommands = mypy . --exclude tests\n",
        "at/__init__.py": "",
        "tests/test_a.py": "",
    }
    write(tmp_path, files)
    profile = parsed(tmp_path)[1].profile
    assert profile.environment is not None and "flake8-pyproject==1.2.3" in profile.environment.packages
    assert profile.governance.commands["type-check"][-3:] == ("--exclude", "tests", ".")


def test_what_a_pre_commit_config_excludes_is_left_out_of_what_its_hooks_lint(tmp_path: Path) -> None:
    """pycodestyle: ``exclude: ^testing/data/`` (its deliberately bad fixtures) over a flake8 hook
    without a files filter: prp linted everything, 598 violations where the project has none."""
    config = (
        "exclude: ^testing/data/\nrepos:\n  - repo: https://github.com/pycqa/flake8\n    rev: 7.1.0\n"
        "    hooks:\n      - id: flake8\n  - repo: https://github.com/psf/black\n    rev: 24.8.0\n"
        "    hooks:\n      - id: black\n        exclude: ^(docs|build)/\n"
    )
    files = {".pre-commit-config.yaml": config, "setup.cfg": "[metadata]\nname = pcs\n", "pcs.py": ""}
    write(tmp_path, files)
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert commands["lint"][-2:] == ("--extend-exclude=testing/data", ".")
    assert commands["format"][-2:] == ("--extend-exclude=^/(testing/data|docs|build)(/|$)", ".")
    # an exclusion of another kind cannot be said to the tool: the hook's reach is not followed
    write(tmp_path, {".pre-commit-config.yaml": config.replace("^testing/data/", "\\.pyi$")})
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert commands["lint"][-1] == "pcs.py"


def test_a_flake8_plugin_only_an_unlisted_tox_env_installs_is_not_installed(tmp_path: Path) -> None:
    """mccabe: its ``docstrings`` env (not in envlist) adds flake8-docstrings; installed for the
    lint check, it reported 72 D-codes where the project's flake8 env reports none."""
    tox = (
        "[tox]\nenvlist = py311,flake8\n[testenv]\ndeps = pytest\ncommands = pytest\n"
        "[testenv:flake8]\ndeps = flake8\n    flake8-bugbear\ncommands = flake8\n"
        "[testenv:docstrings]\ndeps =\n    flake8\n    flake8-docstrings\ncommands = flake8\n"
    )
    write(tmp_path, {"tox.ini": tox, "setup.py": "setup(name='mccabe')\n", "mccabe.py": ""})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None
    assert "flake8-bugbear" in environment.packages and "flake8-docstrings" not in environment.packages
    # requests-toolbelt lists its docstrings env too, after the flake8 env whose command the lint
    # check runs: its plugin added 163 D-codes to a lint that is clean
    write(tmp_path, {"tox.ini": tox.replace("envlist = py311,flake8", "envlist = py311,flake8,docstrings")})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "flake8-docstrings" not in result.profile.environment.packages
    assert "# not run here: flake8-docstrings (tox.ini [testenv:docstrings])" in text  # but named


def test_pycodestyle_and_its_old_name_pep8_lint_as_the_project_runs_them(tmp_path: Path) -> None:
    """toolz's CI runs ``pep8 --ignore=… --exclude=… -r .`` (prp init had said "no lint tool
    found"); pep8 it stays: pycodestyle's newer checks found 8 W605 that pep8 never reported."""
    ci = (
        "jobs:\n  test:\n    steps:\n      - run: pip install pep8 pytest\n"
        '      - run: pep8 --ignore="E731,W503,E402" --exclude=conf.py,tests,examples,bench -r .\n'
    )
    write(tmp_path, {".github/workflows/test.yml": ci, "toolz/__init__.py": "", "toolz/tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"] == (
        "python", "-m", "pep8", "--ignore=E731,W503,E402", "--exclude=conf.py,tests,examples,bench",
        "-r", ".",
    )  # fmt: skip
    assert result.profile.environment is not None and "pep8" in result.profile.environment.packages
    assert "detected: pep8: .github/workflows/test.yml" in text
    write(tmp_path, {"setup.cfg": "[pycodestyle]\nmax-line-length = 100\n"})  # autopep8 reads it too
    assert parsed(tmp_path)[1].profile.governance.commands["lint"][2] == "pep8"
    write(tmp_path, {"tox.ini": "[testenv:style]\ncommands = pycodestyle --max-line-length=100 toolz\n"})
    _, result = parsed(tmp_path)  # the maintained name wins where the project runs both
    assert result.profile.governance.commands["lint"] == (
        "python", "-m", "pycodestyle", "--max-line-length=100", "toolz",
    )  # fmt: skip


def test_black_run_by_darker_on_changed_lines_is_no_format_check(tmp_path: Path) -> None:
    """python-dateutil: ``[tool.black]`` is darker's configuration (black on the lines a change
    touches); prp init checked the whole tree: 35 files "would be reformatted", a major finding
    the project's CI never raises."""
    hooks = (
        "repos:\n  - repo: https://github.com/akaihola/darker\n    rev: 1.7.1\n    hooks:\n    - id: darker\n"
    )
    files = {".pre-commit-config.yaml": hooks, "pyproject.toml": "[tool.black]\nline-length = 88\n"}
    write(tmp_path, {**files, "dateutil/__init__.py": "", "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert "format" not in result.profile.governance.commands
    assert "format: black runs through darker (.pre-commit-config.yaml hook 'darker')" in text
    more = "  - repo: https://github.com/psf/black\n    rev: 24.1.0\n    hooks:\n    - id: black\n"
    write(tmp_path, {".pre-commit-config.yaml": hooks + more})  # black's own hook: the whole tree
    assert parsed(tmp_path)[1].profile.governance.commands["format"][2] == "black"


def test_a_requirement_file_only_the_type_checks_env_installs_says_so(tmp_path: Path) -> None:
    """blinker: ``requirements/typing.txt`` was "its tests install it (tox.ini [testenv:typing] deps)"."""
    files = {
        "pyproject.toml": '[project]\nname = "blinker"\n[tool.mypy]\nfiles = ["src/blinker"]\n',
        "tox.ini": "[testenv]\ndeps = -r requirements/tests.txt\ncommands = pytest -v\n"
        "[testenv:typing]\ndeps = -r requirements/typing.txt\ncommands = mypy\n",
        "requirements/tests.txt": "pytest\n",
        "requirements/typing.txt": "mypy\n",
        "src/blinker/__init__.py": "",
        "tests/test_b.py": "import pytest\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert '"requirements/typing.txt"  # its type check installs it (tox.ini [testenv:typing] deps)' in text
    # in the type check's own environment only: the tests' does not install it (prettytable's mypy)
    profile = result.profile
    assert "requirements/typing.txt" not in (profile.environment.requirements or ())
    assert "requirements/typing.txt" in profile.environments["type-check"].requirements


def test_a_type_check_nothing_of_the_project_runs_says_so(tmp_path: Path) -> None:
    """cattrs configures mypy (strict) and declares it, but its CI and recipes run only ruff and
    the tests: the type check is still required, and its comment says nothing runs it."""
    files = {
        ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: ruff check src\n"
        "      - run: pytest tests\n",
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\nlint = ["ruff", "mypy"]\n'
        "[tool.mypy]\nstrict = true\n",
        "src/pkg/__init__.py": "",
        "tests/test_pkg.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert "type-check" in result.profile.governance.commands
    said = "none of the project's CI steps, hooks, envs or tasks seen runs mypy"
    assert said in text
    write(tmp_path, {".github/workflows/types.yml": "jobs:\n  t:\n    steps:\n      - run: mypy src\n"})
    assert said not in parsed(tmp_path)[0]


def test_a_pyright_the_project_runs_besides_mypy_is_named(tmp_path: Path) -> None:
    """exceptiongroup's typing env runs ``pyright --verifytypes`` and mypy: the comment said
    nothing of pyright, which prp init does not set up."""
    tox = "[testenv:typing]\ndeps =\n    mypy\n    pyright\ncommands =\n    mypy src\n"
    tox += "    pyright --verifytypes pkg\n"
    files = {"tox.ini": tox, "pyproject.toml": '[project]\nname = "pkg"\n', "src/pkg/__init__.py": ""}
    write(tmp_path, files)
    text = parsed(tmp_path)[0]
    assert "the project also runs pyright (tox.ini [testenv:typing]), which prp init does not set up" in text
    tox += "[testenv:typing-ty]\ndeps = ty\ncommands = ty check pkg\n"  # attrs': ty had gone unnamed
    write(tmp_path, {"tox.ini": tox})
    said = "the project also runs pyright (tox.ini [testenv:typing]) and ty (tox.ini [testenv:typing-ty])"
    assert said in parsed(tmp_path)[0]
    # werkzeug's sdist: its [tool.pyright], and nothing it ships runs pyright
    pyproject = '[project]\nname = "pkg"\n[tool.mypy]\n[tool.pyright]\npythonVersion = "3.9"\n'
    write(
        tmp_path,
        {"tox.ini": "[testenv:typing]\ndeps = mypy\ncommands = mypy src\n", "pyproject.toml": pyproject},
    )
    said = (
        "the project also configures pyright (pyproject.toml [tool.pyright]), which prp init does not set up"
    )
    assert said in parsed(tmp_path)[0]


def test_a_ruff_format_check_keeps_the_projects_excludes(tmp_path: Path) -> None:
    """bleach's tox: ``ruff format --check --target-version=py310 --exclude=_vendor setup.py bleach/
    tests/``; the check dropped every option and failed on the vendored html5lib (29 files)."""
    tox = (
        "[tox]\nenvlist = py310-lint\n[testenv:py310-lint]\ndeps = ruff\ncommands =\n"
        "    ruff check --exclude=_vendor bleach/ tests/\n"
        "    ruff format --check --target-version=py310 --exclude _vendor --diff setup.py bleach/ tests/\n"
    )
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='bleach')\n",
        "tox.ini": tox,
        "bleach/__init__.py": "",
        "bleach/_vendor/__init__.py": "",
        "tests/test_a.py": "def test_a(): pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["format"] == (
        "python", "-m", "ruff", "format", "--check", "--no-cache", "--output-format=concise",
        "--target-version=py310", "--exclude", "_vendor", "setup.py", "bleach", "tests",
    )  # fmt: skip
    assert "with --target-version=py310 --exclude _vendor, as the project does" in text


def test_a_package_named_build_is_the_projects_and_pyrefly_is_named(tmp_path: Path) -> None:
    """PyPA build (src/build/) was invisible: ``build`` folders were skipped as build output, so
    boundaries were empty (G1 then failed) and the kind was "cli"; its tox ``type`` env runs
    pyrefly, and the comment said no type checker was configured."""
    tox = (
        'env_list = ["py311", "type"]\n[env_run_base]\ncommands = [["pytest"]]\n'
        '[env.type]\ncommands = [["pyrefly", "check"]]\n'
    )
    pyproject = (
        '[project]\nname = "build"\nversion = "1"\n'
        '[project.scripts]\npyproject-build = "build.__main__:entrypoint"\n'
        "[tool.pyrefly]\nproject-includes = ['src']\n"
    )
    files = {
        "pyproject.toml": pyproject,
        "tox.toml": tox,
        "src/build/__init__.py": "",
        "src/build/__main__.py": "",
        "build/lib/build/__init__.py": "",  # build output beside it is still not the project's
        "tests/test_a.py": "def test_a(): pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.architecture.boundaries == ("build",)
    assert result.profile.architecture.layout[0] == "src/build"
    assert "languages: Python (3 files)" in text  # not build/lib/
    assert (
        "the project type-checks with pyrefly (pyproject.toml [tool.pyrefly], tox.toml [testenv:type])"
        in text
    )


def test_zuban_and_the_pins_of_setup_pys_extras_are_read(tmp_path: Path) -> None:
    """parso 0.8.7: ``[tool.zuban]`` and setup.py's ``extras_require={'qa': ['flake8==5.0.4',
    'zuban==0.5.1']}``; prp init said "no type checker (mypy) configured" and installed the latest
    flake8 (7.5.0), unpinned."""
    setup = "setup(name='parso', extras_require={'qa': ['flake8==5.0.4', 'zuban==0.5.1']})\n"
    files = {"setup.py": setup, "pyproject.toml": "[tool.zuban]\nstrict = true\n", "setup.cfg": "[flake8]\n"}
    write(tmp_path, {**files, "parso/__init__.py": "", "test/test_a.py": "def test_a(): pass\n"})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and "flake8==5.0.4" in result.profile.environment.packages
    assert "the project type-checks with zuban (pyproject.toml [tool.zuban], setup.py extra 'qa')" in text


def test_ty_among_the_tests_deps_is_named_as_the_projects_type_checker(tmp_path: Path) -> None:
    """vulture 2.16: its tox ``[testenv]`` installs ty, which its tests run on type annotations
    ("Use ty instead of pytype"); prp init said "no type checker (mypy) configured"."""
    tox = "[testenv]\ndeps =\n  pytest\n  ty\ncommands =\n  pytest {posargs}\n"
    write(tmp_path, {"tox.ini": tox, "setup.py": "setup(name='vulture')\n", "vulture/__init__.py": ""})
    write(tmp_path, {"tests/test_a.py": "def test_a(): pass\n"})
    assert "the project type-checks with ty (tox.ini [testenv] deps)" in parsed(tmp_path)[0]


def test_a_linter_the_code_depends_on_is_no_linter_only_declared(tmp_path: Path) -> None:
    """autopep8 depends on pycodestyle, its library, which its tox deps name too; the profile said
    "pycodestyle is only declared …: nothing … runs it, so nothing is linted", as if a linter had
    been left unused."""
    pyproject = '[project]\nname = "autopep8"\ndependencies = ["pycodestyle>=2.12"]\n'
    tox = "[testenv]\ndeps =\n  pycodestyle\ncommands =\n  python test/test_autopep8.py\n"
    write(tmp_path, {"pyproject.toml": pyproject, "tox.ini": tox, "autopep8.py": ""})
    write(tmp_path, {"test/test_autopep8.py": "import unittest\n"})
    text = parsed(tmp_path)[0]
    assert "pycodestyle is only declared" not in text
    assert "no lint tool found in the project's configuration" in text


def test_the_flake8_plugins_a_nox_session_installs_are_installed(tmp_path: Path) -> None:
    """webcolors' lint session: ``session.install("flake8", "flake8-bugbear", "flake8-pytest-style")``
    then flake8; the check ran flake8 without them (its B and PT codes never reported)."""
    noxfile = (
        "import nox\n\n@nox.session\ndef lint_flake8(session):\n"
        '    session.install("flake8", "flake8-bugbear==24.1.0", "flake8-pytest-style", "-e", ".")\n'
        '    session.run("python", "-Im", "flake8", "src/", "tests/")\n'
    )
    files = {
        "pyproject.toml": '[project]\nname = "webcolors"\nversion = "1"\n',
        "noxfile.py": noxfile,
        ".flake8": "[flake8]\nextend-select = B950\n",
        "src/webcolors/__init__.py": "",
        "tests/test_a.py": "def test_a(): pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    packages = result.profile.environment.packages
    assert "flake8-bugbear==24.1.0" in packages and "flake8-pytest-style" in packages
    assert "noxfile.py session.install" in text


def test_a_project_that_type_checks_with_pyright_and_never_runs_mypy_gets_no_mypy(tmp_path: Path) -> None:
    """pathvalidate: mypy is only among the deps of its lint env, which runs pyright (0 errors);
    prp required mypy anyway and failed G3 on an error the project never checks for."""
    tox = "[tox]\nenvlist = py311\n[testenv]\ncommands = pytest\n"
    tox += "[testenv:lint]\ndeps =\n    mypy\n    pyright\ncommands =\n    pyright pathvalidate\n"
    files = {
        "tox.ini": tox,
        "pyproject.toml": '[project]\nname = "pathvalidate"\n',
        "pathvalidate/__init__.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert "type-check" not in result.profile.governance.commands
    assert "type-check: the project type-checks with pyright (" in text


def test_a_flake8_configured_in_pyproject_reads_it_through_flake8_pyproject(tmp_path: Path) -> None:
    """linkify-it-py: ``[tool.flake8] max-line-length = 88``, read by the pyproject-flake8 wrapper
    it declares; plain flake8 ignores that table: 54 E501 where the project has none."""
    pyproject = (
        '[project]\nname = "linkify-it-py"\nversion = "1"\n'
        '[project.optional-dependencies]\ndev = ["flake8", "pyproject-flake8"]\n'
        "[tool.flake8]\nmax-line-length = 88\n"
    )
    write(tmp_path, {"pyproject.toml": pyproject, "linkify_it/__init__.py": "", "test/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "flake8-pyproject" in result.profile.environment.packages
    assert "flake8 reads [tool.flake8] only through it (the project declares pyproject-flake8" in text
    write(tmp_path, {".flake8": "[flake8]\nmax-line-length = 88\n"})  # flake8 reads that one itself
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is None or "flake8-pyproject" not in environment.packages


def test_a_file_the_projects_lint_command_names_that_the_checkout_lacks_is_said(tmp_path: Path) -> None:
    """sh 2.2.2: its tox lint env runs ``flake8 sh.py sh_test.py`` and ``black --check --diff sh.py
    sh_test.py``; its sdist has the test module in tests/, and the comments said "lints sh.py, as
    the project does" of a lint that leaves it out."""
    tox = (
        "[testenv:lint]\ncommands =\n    flake8 sh.py sh_test.py\n    black --check --diff sh.py sh_test.py\n"
    )
    write(tmp_path, {"tox.ini": tox, "sh.py": "", "tests/sh_test.py": "", "setup.py": "", "PKG-INFO": ""})
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["lint"][-1] == "sh.py" and commands["format"][-1] == "sh.py"
    said = "as the project does; the project's command also names sh_test.py, not in this checkout"
    assert text.count(said) == 2, text
