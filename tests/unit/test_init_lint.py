"""The lint check ``prp init`` writes: ruff or flake8 on what the project's own commands and hooks
lint, with their options; a later command with options of its own kept apart; no ruff lint check
where ruff only formats the project."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.init.detect import detect
from tests.unit.test_init import parsed, write


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


def test_tox_paths_under_toxinidir_are_linted_and_formatted_as_the_project_does(tmp_path: Path) -> None:
    """portalocker's tox: ``ruff check {toxinidir}/portalocker {toxinidir}/portalocker_tests`` and
    ``black portalocker portalocker_tests``: prp linted ``.`` and black-checked ``.``, its docs too
    (3 files to reformat where the project's own command finds 1)."""
    tox = (
        "[testenv:lint]\ncommands =\n    ruff check {toxinidir}/lock {toxinidir}/lock_tests\n"
        "[testenv:fmt]\nchangedir = lock_tests\ncommands = black --check {toxinidir}/lock .\n"
    )
    files = {"lock/__init__.py": "", "lock_tests/t.py": "", "docs/conf.py": "", "tox.ini": tox}
    write(tmp_path, {**files, "pyproject.toml": '[project]\nname = "lock"\n[tool.ruff]\n[tool.black]\n'})
    text, result = parsed(tmp_path)
    commands = result.profile.governance.commands
    assert commands["lint"][-2:] == ("lock", "lock_tests")
    assert commands["format"][-2:] == ("lock", "lock_tests")
    assert "lints lock, lock_tests, as the project does" in text
    assert "formats lock, lock_tests, as the project does" in text  # a formatter (h11's said "lints")
    # a coverage path of an env run elsewhere is the repository's; a package name stays one
    write(
        tmp_path,
        {
            "tox.ini": "[testenv]\nchangedir = lock_tests\n"
            "commands = pytest --cov={toxinidir}/lock --cov=lock .\n"
        },
    )
    assert detect(tmp_path).cov_targets == ["lock"]


def test_the_lint_comment_says_when_the_paths_are_prps_choice(tmp_path: Path) -> None:
    """tomli_w, backoff: flake8 on the package and tests (no command of the project names paths)
    was commented "as the project does"."""
    write(
        tmp_path, {"setup.cfg": "[flake8]\nmax-line-length = 100\n", "pkg/__init__.py": "", "tests/t.py": ""}
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-2:] == ("pkg", "tests")
    assert "lints pkg, tests (its packages and tests: no command of the project names paths)" in text
    assert "as the project does" not in text


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
    # voluptuous' tox: ``flake8 --doctests setup.py voluptuous`` also lints the docstrings' examples
    write(tmp_path, {"tox.ini": "[testenv:flake8]\ncommands = flake8 --doctests slugify setup.py\n"})
    lint = parsed(tmp_path)[1].profile.governance.commands["lint"]
    assert lint[5:] == ("--doctests", "slugify", "setup.py")


def test_flake8_lints_the_test_modules_beside_the_package(tmp_path: Path) -> None:
    """inflection: ``flake8 .`` finds E275 in its test_inflection.py; prp linted ``inflection``
    alone and said "its packages and tests"."""
    files = {
        "setup.cfg": "[flake8]\nexclude = docs/*\n",
        "inflection/__init__.py": "",
        "test_inflection.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-2:] == ("inflection", "test_inflection.py")
    assert "lints inflection, test_inflection.py (its packages and tests" in text
    write(tmp_path, {"shortuuid/__init__.py": "", "shortuuid/test_shortuuid.py": ""})
    (tmp_path / "test_inflection.py").unlink()
    (tmp_path / "inflection" / "__init__.py").unlink()
    (tmp_path / "inflection").rmdir()
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-1:] == ("shortuuid",)  # its tests inside it


def test_flake8_with_a_configured_filename_lints_what_it_names(tmp_path: Path) -> None:
    """jsonpointer: ``filename = *.py,./bin/jsonpointer`` in setup.cfg's [flake8]; prp linted
    jsonpointer.py and tests.py, and an unused import in its ``bin/jsonpointer`` script went
    unreported, which the project's own ``flake8`` reports."""
    cfg = "[flake8]\nfilename = *.py,./bin/jsonpointer\nexclude = .git,doc\n"
    write(tmp_path, {"setup.cfg": cfg, "jsonpointer.py": "", "tests.py": "", "bin/jsonpointer": ""})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-1:] == (".",)
    assert "lints the files setup.cfg [flake8] filename names" in text


def test_flake8_leaves_out_what_the_projects_pytest_lint_plugins_leave_out_whole(tmp_path: Path) -> None:
    """six 1.16.0: its setup.cfg says ``flakes-ignore = test_six.py ALL`` (pytest-flakes) and the
    project lints six.py alone; prp linted test_six.py too (63 of 70 violations)."""
    cfg = "[flake8]\nmax-line-length = 100\n[tool:pytest]\nflakes-ignore =\n    documentation/*.py ALL\n"
    cfg += "    test_six.py ALL\n    six.py UndefinedName\n"
    write(tmp_path, {"setup.cfg": cfg, "setup.py": "setup(name='six')\n", "six.py": "", "test_six.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-1] == "six.py"
    assert "test_six.py left out, as setup.cfg [tool:pytest] flakes-ignore does" in text


def test_ruff_only_formatting_the_project_is_no_linter(tmp_path: Path) -> None:
    """netaddr: its Makefile's lint recipe is ``ruff format --check``, its ``[tool.ruff]`` a line
    length and a format table; a ``ruff check`` of the default rules failed the pristine release
    on 26 violations the project never checks."""
    pyproject = (
        '[project]\nname = "na"\n[tool.ruff]\nline-length = 100\n[tool.ruff.format]\nquote-style = "single"\n'
    )
    makefile = "lint:\n\truff format --check\n"
    write(tmp_path, {"pyproject.toml": pyproject, "Makefile": makefile, "na/__init__.py": "",
                     "requirements-dev.txt": "ruff==0.1.11\npytest\n", "tests/test_a.py": ""})  # fmt: skip
    text, result = parsed(tmp_path)
    assert "lint" not in result.profile.governance.commands
    assert result.profile.governance.commands["format"][:5] == ("python", "-m", "ruff", "format", "--check")
    assert (
        "no command for lint: ruff is the project's formatter (Makefile recipe lint runs ruff format)" in text
    )
    write(
        tmp_path, {"pyproject.toml": pyproject + "[tool.ruff.lint]\nselect = ['F']\n"}
    )  # lint rules: linted
    assert parsed(tmp_path)[1].profile.governance.commands["lint"][3] == "check"
    write(tmp_path, {"pyproject.toml": pyproject, "Makefile": makefile + "\truff check .\n"})  # run: linted
    assert parsed(tmp_path)[1].profile.governance.commands["lint"][3] == "check"


def test_a_second_lint_command_with_options_of_its_own_is_not_merged_into_the_first(tmp_path: Path) -> None:
    """blessed's tox: ``flake8 --exclude=tests,… docs/ blessed/ bin/`` and, in another env,
    ``flake8 --ignore=W504,F401 tests/``; merged, the check ran ``--exclude=tests … tests``: its
    tests linted by nothing while the comment said they were."""
    tox = (
        "[testenv:flake8]\ncommands = flake8 --exclude=tests bl/\n"
        "[testenv:flake8_tests]\ncommands = flake8 --ignore=W504,F401 tests/\n"
    )
    write(tmp_path, {"tox.ini": tox, "setup.py": "setup(name='bl')\n", "bl/__init__.py": "",
                     "tests/test_a.py": ""})  # fmt: skip
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-2:] == ("--exclude=tests", "bl")
    assert "not run here: tox.ini [testenv:flake8_tests] lints tests with options of its own" in text


def test_a_lint_command_selecting_some_rules_gives_way_to_one_running_them_all(tmp_path: Path) -> None:
    """uuid6's CI: ``flake8 . --select=E9,F63,F7,F82`` then ``flake8 . --max-complexity=10
    --max-line-length=127``, which fails its build on an unused import; the check ran the first
    alone and passed it. A command with ``--exit-zero`` fails nothing: it is no lint gate."""
    lint = "flake8 . --count --select=E9,F63,F7,F82 --show-source --statistics"
    every = "flake8 . --count --max-complexity=10 --max-line-length=127 --statistics"
    for first, second in ((lint, every), (every, lint)):
        steps = f"jobs:\n  t:\n    steps:\n      - run: |\n          {first}\n          {second}\n"
        write(
            tmp_path,
            {".github/workflows/main.yml": steps, "setup.py": "setup(name='u')\n", "u/__init__.py": ""},
        )
        text, result = parsed(tmp_path)
        assert result.profile.governance.commands["lint"][-3:] == (
            "--max-complexity=10", "--max-line-length=127", ".",
        ), first  # fmt: skip
        assert "not run here" not in text.split("lint:", 1)[1].splitlines()[0]
    template = every.replace("--count", "--count --exit-zero")  # GitHub's template: reports only
    steps = f"jobs:\n  t:\n    steps:\n      - run: |\n          {lint}\n          {template}\n"
    write(tmp_path, {".github/workflows/main.yml": steps})
    assert parsed(tmp_path)[1].profile.governance.commands["lint"][-2:] == ("--select=E9,F63,F7,F82", ".")


def test_flake8_pyprojects_flake8p_is_flake8(tmp_path: Path) -> None:
    """mako's tox lints with ``flake8p ./mako/ ./test/ ./examples/ setup.py`` (flake8-pyproject):
    the profile linted ``mako test``, "no command of the project names paths", and missed setup.py."""
    tox = "[testenv:pep8]\ndeps = flake8-pyproject\ncommands = flake8p ./mk/ ./test/ setup.py {posargs}\n"
    files = {"mk/__init__.py": "", "test/test_a.py": "", "setup.py": "", "tox.ini": tox}
    write(
        tmp_path, {**files, "pyproject.toml": '[project]\nname = "mk"\n[tool.flake8]\nmax-line-length = 99\n'}
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-3:] == ("mk", "test", "setup.py")
    assert "lints mk, test, setup.py, as the project does" in text


def test_code_the_project_sets_apart_from_coverage_and_mypy_is_not_linted(tmp_path: Path) -> None:
    """jsonpath-ng 1.17.0: its vendored PLY (``_ply``, ``_ply_tables``) is omitted from coverage
    and mypy ignores its errors; its pre-commit hook, which the sdist lacks, excludes it from flake8.
    The lint check failed on 4242 violations, every one in that code."""
    pyproject = (
        '[project]\nname = "jsonpath-ng"\n[tool.flake8]\nmax-line-length = 80\n'
        '[tool.coverage.run]\nomit = ["*/jsonpath_ng/_ply/*", "*/tests/*"]\n'
        '[[tool.mypy.overrides]]\nmodule = ["jsonpath_ng._ply.*", "tests.*"]\nignore_errors = true\n'
    )
    files = {
        "pyproject.toml": pyproject,
        "src/jsonpath_ng/__init__.py": "",
        "src/jsonpath_ng/_ply/lex.py": "",
    }
    write(tmp_path, {**files, "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    lint = result.profile.governance.commands["lint"]
    assert "--extend-exclude=src/jsonpath_ng/_ply" in lint and "tests" in lint  # (the tests stay)
    assert "leaves out src/jsonpath_ng/_ply: the project's coverage omits them" in text
    write(tmp_path, {"setup.cfg": "[flake8]\nextend-exclude = build\n"})  # its own would be replaced
    assert not any(
        a.startswith("--extend-exclude") for a in parsed(tmp_path)[1].profile.governance.commands["lint"]
    )


def test_a_recipes_redirected_output_is_no_lint_target(tmp_path: Path) -> None:
    """parsedatetime's Makefile ``lint: pipenv run flake8 parsedatetime > violations.flake8.txt``:
    the file its output goes to was linted as a target ("lints parsedatetime, violations.flake8.txt,
    as the project does")."""
    makefile = "lint:\n\tpipenv run flake8 parsedatetime > violations.flake8.txt\n"
    files = {"setup.cfg": "[flake8]\nmax-line-length = 100\n", "Makefile": makefile, "setup.py": ""}
    write(tmp_path, files | {"parsedatetime/__init__.py": "", "violations.flake8.txt": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][-1] == "parsedatetime"
    assert "lints parsedatetime, as the project does" in said


def test_a_linter_only_configured_beside_the_one_the_check_runs_is_named(tmp_path: Path) -> None:
    """propcache 0.5.4: ruff (isort's rules) runs, its ``[flake8]`` in setup.cfg is for "general
    style": an unused import passed as "lint-clean", and nothing said flake8 was not run."""
    pyproject = '[project]\nname = "propcache"\n[tool.ruff.lint]\nselect = ["I"]\n'
    write(tmp_path, {"pyproject.toml": pyproject, "setup.cfg": "[flake8]\nmax-line-length = 88\n"})
    write(tmp_path, {"src/propcache/__init__.py": "", "tests/test_a.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][2] == "ruff"
    assert "the project also configures flake8 (setup.cfg [flake8]), which this check does not run" in said


def test_a_pre_commit_exclude_of_a_file_ending_in_slash_or_end_is_left_out_of_the_lint(
    tmp_path: Path,
) -> None:
    """tblib 3.2.2: ``exclude: '^(\\.tox|ci/templates|tests/badsyntax.py)(/|$)'`` leaves out its deliberately
    broken fixture; read as no folder pattern, its pristine release failed lint and format on it."""
    config = (
        "exclude: '^(\\.tox|ci/templates|tests/badsyntax.py)(/|$)'\nrepos:\n"
        "  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.14.3\n    hooks:\n"
        "      - id: ruff\n"
    )
    files = {".pre-commit-config.yaml": config, "pyproject.toml": '[project]\nname = "tblib"\n[tool.ruff]\n'}
    write(tmp_path, files | {"src/tblib/__init__.py": "", "tests/badsyntax.py": "def (:\n"})
    lint = parsed(tmp_path)[1].profile.governance.commands["lint"]
    assert "--extend-exclude=.tox,ci/templates,tests/badsyntax.py" in lint


def test_a_flake8_with_no_configuration_in_the_checkout_says_it_lints_with_its_defaults(
    tmp_path: Path,
) -> None:
    """inquirer 3.4.0's sdist lacks its ``.flake8`` (``max-line-length = 119``, its ``select``):
    flake8's defaults gave 167 violations where the project has none, the advice blaming an
    unpinned flake8, and nothing said flake8 had run unconfigured."""
    pyproject = '[tool.poetry]\nname = "inquirer"\n[tool.poetry.group.dev.dependencies]\nflake8 = "*"\n'
    write(tmp_path, {"pyproject.toml": pyproject, "src/inquirer/__init__.py": ""})
    text = parsed(tmp_path)[0]
    assert (
        "no flake8 configuration in this checkout (.flake8, setup.cfg, tox.ini): it lints with flake8's "
        "defaults" in text
    )
    write(tmp_path, {".flake8": "[flake8]\nmax-line-length = 119\n"})
    assert "no flake8 configuration" not in parsed(tmp_path)[0]


def test_a_pinned_ruff_older_than_its_output_format_option_gets_its_format_option(tmp_path: Path) -> None:
    """starlette-context 0.3.6 pins ``ruff>=0.0.241,<0.0.242``, which has no ``--output-format``
    (nor ``--output-file``, ``--no-fix``): the lint check failed on prp's own command, "unexpected
    argument '--output-format'", never on a violation."""
    pyproject = (
        '[tool.poetry]\nname = "sc"\n[tool.poetry.group.code-quality.dependencies]\nruff = "^0.0.241"\n'
        "[tool.ruff]\nline-length = 79\n"
    )
    write(tmp_path, {"pyproject.toml": pyproject, "sc/__init__.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"] == (
        "python",
        "-m",
        "ruff",
        "check",
        "--no-cache",
        "--format=json",
        ".",
    )
    assert "--format=json: the project pins ruff (ruff>=0.0.241,<0.0.242) older than 0.0.291" in said
    write(tmp_path, {"pyproject.toml": pyproject.replace("^0.0.241", "^0.5.0")})  # a newer one: as before
    assert "--output-format=json" in parsed(tmp_path)[1].profile.governance.commands["lint"]


def test_a_makefiles_commands_run_from_a_virtualenvs_bin_folder_are_read(tmp_path: Path) -> None:
    """asgi-lifespan 2.1.0's Makefile ``check`` recipe runs ``${bin}black --check --diff ${pysources}``,
    ``${bin}flake8 …`` and ``${bin}mypy …`` (``bin = ${venv}/bin/``, ``pysources = src/ tests/``):
    read as ``venv/bin/mypy``, none was, its tests never type-checked and black "only declared"."""
    makefile = (
        "venv = venv\nbin = ${venv}/bin/\npysources = src/ tests/\n\ncheck:\n"
        "\t${bin}black --check --diff ${pysources}\n\t${bin}flake8 ${pysources}\n\t${bin}mypy ${pysources}\n"
    )
    files = {"Makefile": makefile, "requirements.txt": "black\nflake8\nmypy\n", "setup.cfg": "[mypy]\n"}
    write(tmp_path, files | {"src/al/__init__.py": "", "tests/test_a.py": ""})
    commands = parsed(tmp_path)[1].profile.governance.commands
    assert commands["type-check"][-2:] == ("src", "tests")
    assert commands["format"][-3:] == ("--check", "src", "tests")
    assert commands["lint"][-2:] == ("src", "tests")


def test_a_pycodestyle_section_is_the_projects_linter_unless_autopep8_reads_it(tmp_path: Path) -> None:
    """kaitaistruct 0.11: setup.cfg's ``[pycodestyle] max-line-length = 140``, nothing else: "no
    lint tool found in the project's configuration", and its 3 E501 (and any new) never seen."""
    write(
        tmp_path, {"setup.cfg": "[metadata]\nname = ks\n[pycodestyle]\nmax-line-length = 140\n", "ks.py": ""}
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"] == ("python", "-m", "pycodestyle", "ks.py")
    assert "pycodestyle: setup.cfg [pycodestyle]" in text
    write(tmp_path, {"requirements-dev.txt": "autopep8\n"})  # autopep8 reads that section too
    assert "lint" not in parsed(tmp_path)[1].profile.governance.commands
