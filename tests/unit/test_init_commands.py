"""``prp init`` writes what the project itself runs: its tox envs (``tox.ini``, ``tox.toml``,
``[tool.tox]``), pre-commit hooks and CI ``run`` lines give the test paths and options, the lint
targets and options, the tools' versions, the extras, groups and variables the tests need."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.init.detect import detect
from prp_tasks.intake.init.targets import ci_commands, hook_paths
from tests.unit.test_init import parsed, write


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
            "    parsy[test]\n    tox\n    poetry\ncommands = pytest\n"
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
    # and what the tests' tox env installs, but not options, factor lines, the project or what runs
    # it (rsa's tox deps: poetry, whose dependencies brought a pytest plugin its pytest could not load)
    assert result.profile.environment.packages == ("pytest", "matplotlib; implementation_name != 'pypy'")
    # validators: ``.[crypto-eth-addresses]`` among the deps is the project with that extra (its 17
    # eth address tests failed without it)
    write(tmp_path, {"tox.ini": "[testenv]\ndeps =\n    pytest\n    .[speedups,docs]\ncommands = pytest\n"})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and environment.extras == ("test", "speedups", "docs")


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
    assert env is not None and env.groups == ("tests", "services")
    # what the type check needs, in an environment of its own: the tests run as their tox env does
    # (structlog's typing group un-skipped 44 of its tests)
    assert result.profile.environments["type-check"].groups == ("tests", "typing", "services")
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
    profile = parsed(tmp_path)[1].profile
    assert profile.environment is None or profile.environment.groups is None  # the tests' default
    assert profile.environments["type-check"].groups == ("tests", "mypy", "types")
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


def test_requirement_files_the_tests_tox_env_does_not_install_are_left_out(tmp_path: Path) -> None:
    """sortedcontainers: requirements.txt lists its developers' tools (blist, which does not build on
    Python 3.11); its tox tests install pytest only. The built environment failed, and with it every
    check, where the project's own tests pass (367)."""
    files = {
        "setup.py": "setup(name='sc')\n",
        "requirements.txt": "blist==1.3.6\npytest\n",
        "tox.ini": "[testenv]\ndeps = pytest\ncommands = python -m pytest\n",
        "sc/__init__.py": "",
        "tests/test_a.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and result.profile.environment.requirements == ()
    assert (
        "requirements: []  # the tests' tox env (tox.ini [testenv]) installs none of requirements.txt" in text
    )
    write(
        tmp_path,
        {
            ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n"
            "      - run: pip install -r requirements.txt\n"
        },
    )
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and environment.requirements is None  # a CI step installs it
