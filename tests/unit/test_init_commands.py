"""``prp init`` writes the commands the project itself runs: its tox envs (``tox.ini``, ``tox.toml``,
``[tool.tox]``), pre-commit hooks and CI ``run`` lines give the test paths and options, the coverage
it measures, the format and type-check targets and options (the lint check's in
``test_init_lint.py``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from prp_tasks.intake.init.detect import detect
from prp_tasks.intake.init.targets import ci_commands, hook_paths
from tests.unit.test_init import parsed, write


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


MYPY_EVERY_FILE = (  # termcolor's hook: no ``files`` filter, so pre-commit gives it every Python file
    "exclude: ^docs/\nrepos:\n  - repo: https://github.com/pre-commit/mirrors-mypy\n    rev: v1.18.2\n"
    "    hooks:\n      - id: mypy\n        args: [--strict]\n        exclude: ^tests/fixtures/\n"
)


def test_a_mypy_hook_without_a_files_filter_checks_every_python_file_the_project_has(tmp_path: Path) -> None:
    """termcolor: its hook checks the tests too; prp checked only ``src/termcolor``, and a type
    error in a test passed. Git's files (not what it ignores), less the hook's exclusions."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "termcolor"\n',
            ".pre-commit-config.yaml": MYPY_EVERY_FILE,
            ".gitignore": "scratch/\n",
            "src/termcolor/__init__.py": "",
            "tests/test_termcolor.py": "",
            "tests/fixtures/bad.py": "",
            "docs/conf.py": "",
            "scratch/notes.py": "",
            "setup.py": "",
            "README.md": "",
        },
    )
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    command = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert command[-5:] == ("--strict", "--exclude=^(tests/fixtures)/", "setup.py", "src", "tests")
    (tmp_path / "setup.py").unlink()  # outside git: the files found, build output and caches left out
    write(tmp_path, {"build/lib/termcolor/__init__.py": ""})
    subprocess.run(["rm", "-rf", str(tmp_path / ".git")], check=True)
    command = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert command[-3:] == ("scratch", "src", "tests") and "build" not in command


def test_a_hook_given_no_file_names_checks_what_its_command_names(tmp_path: Path) -> None:
    """pydantic-settings: a local hook ``id: mypy``, ``entry: make mypy``, ``pass_filenames: false``,
    whose recipe runs ``mypy pydantic_settings``; read as mypy given every Python file, the check
    ran on its tests too: 1596 errors where the project's own run has none."""
    hook = (
        "repos:\n  - repo: local\n    hooks:\n      - id: mypy\n        name: Mypy\n"
        "        entry: make mypy\n        types: [python]\n        language: system\n"
        "        pass_filenames: false\n"
    )
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\n[tool.mypy]\nstrict = true\n',
            ".pre-commit-config.yaml": hook,
            "Makefile": ".PHONY: mypy\nmypy:\n\tuv run mypy pkg\n",
            "pkg/__init__.py": "",
            "tests/test_a.py": "",
        },
    )
    command = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert command[-1] == "pkg" and "tests" not in command


def test_the_commands_inside_ci_run_lines_and_hook_filters_are_read() -> None:
    assert ci_commands("- run: uv run --group dev --frozen ruff check a/ && mypy b; pytest") == [
        "ruff check a/", "mypy b", "pytest",
    ]  # fmt: skip
    assert ci_commands("      run: poetry run flake8 x || true") == ["flake8 x", "true"]
    assert hook_paths({"files": "^(src/|testing/)"}) == ["src", "testing"]
    assert hook_paths({"files": r"^src/pkg\.d/"}) == ["src/pkg.d"]
    assert hook_paths({"files": r"\.py$"}) is None and hook_paths({}) is None


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
    assert argv[7:13] == ("--doctest-modules", "--ignore", "benchmark", "-m", "not slow", "test")
    assert argv[13] == "--continue-on-collection-errors"  # its -n auto: xdist's workers go on
    assert argv[14:15] == ("--cov=tab",)  # its --cov: pytest-cov is used (hyperlink's: behind factors)
    # readme_renderer's tox: ``pytest -Wall --strict-markers``; the joined -W filter had been left out
    write(tmp_path, {"tox.ini": "[testenv]\ndeps = pytest\ncommands = pytest -Werror --strict-markers\n"})
    assert parsed(tmp_path)[1].profile.governance.commands["test"][7:9] == ("-Werror", "--strict-markers")
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


def test_tests_tox_runs_with_unittest_are_not_taken_for_a_side_envs_pytest(tmp_path: Path) -> None:
    """tomli 2.0.1: its tests' env (``[testenv:py{37,38,39,310}]``, the envlist) runs ``python -m
    unittest``; a profiler env outside the envlist, listed first here, runs pytest. The tests are
    run as the project runs them, and with no test module in the checkout (its sdist) the check
    still runs the project's own command, which then says that no test ran."""
    tox = (
        "[tox]\nenvlist = py{37,38,39,310}\n"
        "[testenv:profile]\ncommands = pytest profiler/test_for_profiler.py --profile-svg\n"
        "[testenv:py{37,38,39,310}]\ncommands = python -m unittest {posargs}\n"
    )
    write(
        tmp_path,
        {"pyproject.toml": '[project]\nname = "tomlx"\n', "tox.ini": tox, "src/tomlx/__init__.py": ""},
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "-m", "unittest")
    assert "unittest: as tox.ini [testenv:py{37,38,39,310}] runs it" in text
    write(tmp_path, {"tests/__init__.py": "", "tests/test_a.py": "import unittest\n"})
    assert parsed(tmp_path)[1].profile.governance.commands["test"][:5] == (
        "python",
        "-m",
        "unittest",
        "discover",
        "-s",
    )


def test_mypys_targets_say_whether_a_config_names_none_or_there_is_none(tmp_path: Path) -> None:
    """idna: mypy only in its ``all`` extra, no config: the comment said "mypy's config names no
    files" of a config it does not have."""
    write(tmp_path, {"pyproject.toml": '[project]\nname = "idna"\n[project.optional-dependencies]\n'
                     'all = ["mypy"]\n', "idna/__init__.py": ""})  # fmt: skip
    text = parsed(tmp_path)[0]
    assert "checks idna: the package (no mypy config or command of the project names files)" in text
    write(tmp_path, {"mypy.ini": "[mypy]\nstrict = true\n"})
    assert "checks idna: the package (mypy's config names no files)" in parsed(tmp_path)[0]


def test_a_folded_ci_step_is_read_as_the_one_command_yaml_makes_of_it(tmp_path: Path) -> None:
    """ftfy's publish workflow: ``run: >-`` over the lines ``python3 -m`` / ``pip install`` /
    ``build``; prp init read ``python3 -m`` as a command and ended in a traceback (IndexError)."""
    step = "      - run: >-\n          python3 -m\n          pytest --doctest-modules\n          tests\n"
    step += "      - run: echo done\n"
    workflow = "jobs:\n  b:\n    steps:\n" + step
    write(tmp_path, {"pyproject.toml": '[project]\nname = "ft"\n', "ft/__init__.py": "",
                     "tests/test_a.py": "def test_a():\n    pass\n",
                     ".github/workflows/ci.yml": workflow})  # fmt: skip
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][7:] == ("--doctest-modules", "tests"), text
    write(tmp_path, {".github/workflows/ci.yml": "jobs:\n  b:\n    steps:\n      - run: python3 -m\n"})
    parsed(tmp_path)  # a lone ``python -m`` is no command, and no crash
