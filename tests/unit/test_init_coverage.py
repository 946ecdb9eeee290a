"""``prp init`` measures coverage as the project does: coverage.py's own ``coverage run`` and its
report threshold, pytest-cov (and its ``pytest-coverage`` shim), the plugins coverage.py loads
(covdefaults and its threshold), and a coverage the project only configures."""

from __future__ import annotations

from pathlib import Path

from coverage.results import should_fail_under

from prp_tasks.intake.init.render import passing_total
from tests.unit.test_init import parsed, write


def test_coverage_run_and_its_report_threshold_become_the_measured_test_command(tmp_path: Path) -> None:
    """more-itertools' Makefile: ``coverage run --include="more_itertools/*.py" -m unittest``, then
    ``coverage report --fail-under=99``; prp init had said "not measured: coverage.py needs two
    commands" and left its 99 unenforced."""
    makefile = (
        "coverage:\n"
        '\tcoverage run --include="more_itertools/*.py" --parallel-mode -m unittest\n'
        "\tcoverage report --show-missing --fail-under=99\n"
    )
    files = {
        "setup.cfg": "[metadata]\nname = more-itertools\n",
        "requirements/testing.txt": "coverage\n",
        "Makefile": makefile,
        "more_itertools/__init__.py": "",
        "tests/test_more.py": "import unittest\n\nclass T(unittest.TestCase):\n    pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    profile = result.profile
    assert profile.governance.commands["test"] == (
        "python",
        "-m",
        "coverage",
        "run",
        "--include=more_itertools/*.py",
        "-m",
        "unittest",
        "discover",
        "-s",
        "tests",
    )  # not --parallel-mode: where the data goes is the check's own choice
    assert profile.reports.coverage == (".prp/reports/coverage.xml",)
    # 99 on the total rounded to a whole percent, as coverage.py checks it: 98.5 passes
    assert profile.budgets.coverage is not None and profile.budgets.coverage.total == 98.5
    assert "from Makefile recipe coverage: --fail-under" in text
    assert profile.environment is not None and "coverage" in profile.environment.packages


def test_coverage_plugins_are_installed_and_covdefaults_brings_its_threshold(tmp_path: Path) -> None:
    """pyflakes' setup.cfg: ``[coverage:run] plugins = covdefaults``. The profile prp init wrote
    installed coverage alone, so the test check stopped with "no module 'covdefaults'", and said
    coverage was not enforced where covdefaults makes the project's own report fail under 100."""
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='pyflakes')\n",
        "setup.cfg": "[coverage:run]\nplugins = covdefaults\n",
        "pyflakes/__init__.py": "",
        "pyflakes/test/__init__.py": "",
        "pyflakes/test/test_api.py": "import unittest\n\nclass T(unittest.TestCase):\n    pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    profile = result.profile
    assert profile.environment is not None and "covdefaults" in profile.environment.packages
    assert "coverage.py loads it (setup.cfg [coverage:run] plugins)" in text
    assert profile.budgets.coverage is not None and profile.budgets.coverage.total == 100.0
    assert "setup.cfg [coverage:run] plugins: covdefaults' default fail_under" in text


def test_a_coverage_plugin_of_the_checkouts_own_is_no_package_to_install(tmp_path: Path) -> None:
    """filelock: ``plugins = ["covdefaults", "coverage_pragmas"]``, the second its own
    ``tasks/coverage_pragmas.py``; listed as a package, the environment could not be built (no such
    package on the index) and every command check failed before running."""
    pyproject = (
        '[project]\nname = "filelock"\n[project.optional-dependencies]\ntest = ["pytest", "pytest-cov"]\n'
        '[tool.coverage.run]\nplugins = ["covdefaults", "coverage_pragmas"]\n'
        '[tool.pytest.ini_options]\npythonpath = [".", "tasks"]\naddopts = "--cov=filelock"\n'
    )
    write(
        tmp_path,
        {"pyproject.toml": pyproject, "src/filelock/__init__.py": "", "tasks/coverage_pragmas.py": ""},
    )
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and "covdefaults" in environment.packages
    assert not any("pragmas" in p for p in environment.packages)


def test_a_threshold_the_project_sets_wins_over_covdefaults_and_plugins_come_from_pyproject(
    tmp_path: Path,
) -> None:
    """covdefaults sets ``fail_under = 100`` only when the project sets none; a plugin the
    project's test dependencies pin is installed at that pin."""
    pyproject = (
        '[project]\nname = "demo"\nversion = "1"\n'
        '[project.optional-dependencies]\ntests = ["pytest", "pytest-cov", "covdefaults==2.3.0"]\n'
        '[tool.coverage.run]\nplugins = ["covdefaults", "Cython.Coverage"]\n'
        "[tool.coverage.report]\nfail_under = 90\n"
        '[tool.pytest.ini_options]\naddopts = "--cov=demo"\n'
    )
    files = {"pyproject.toml": pyproject, "demo/__init__.py": "", "tests/test_a.py": "def test_a(): pass\n"}
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    profile = result.profile
    assert profile.budgets.coverage is not None and profile.budgets.coverage.total == 89.5
    assert profile.environment is not None
    assert "cython" in profile.environment.packages
    assert "coverage.py loads it (pyproject.toml [tool.coverage.run] plugins)\n" in text  # cython
    assert "plugins); the version the project declares" in text  # covdefaults, pinned in its extra


def test_a_coverage_only_configured_is_measured_saying_nothing_of_the_project_runs_it(tmp_path: Path) -> None:
    """ordered-set's and tinycss2's coverage configuration: no requirement names coverage.py and no
    command runs it; the comment said "measured with coverage.py" as if the project did."""
    files = {
        "pyproject.toml": '[project]\nname = "ordered-set"\nversion = "1"\n',
        ".coveragerc": "[run]\nsource = ordered_set.py\n",
        "ordered_set.py": "",
        "test/test_a.py": "import unittest\n\nclass T(unittest.TestCase):\n    pass\n",
    }
    write(tmp_path, files)
    text = parsed(tmp_path)[0]
    assert (
        "the project only configures coverage.py (no requirement names it, no command of its seen here "
        "runs it): run here for the test evidence"
    ) in text
    write(tmp_path, {"requirements-dev.txt": "coverage\n"})
    assert "the project only configures" not in parsed(tmp_path)[0]


def test_a_coverage_only_declared_measures_the_projects_packages_and_says_so(tmp_path: Path) -> None:
    """html5lib declares ``coverage>=5.1,<6`` in requirements-test.txt and nothing runs it: the
    check's bare ``coverage run`` measured pytest and pluggy in site-packages too (53% for 90%)."""
    files = {
        "setup.cfg": "[metadata]\nname = html5lib\n",
        "requirements-test.txt": "coverage>=5.1,<6\npytest\n",
        "html5lib/__init__.py": "",
        "html5lib/tests/test_a.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:5] == (
        "python",
        "-m",
        "coverage",
        "run",
        "--source=html5lib",
    )
    assert (
        "the project only declares coverage.py (no command of its seen here runs it, no configuration): "
        "run here for the test evidence"
    ) in text
    write(tmp_path, {".coveragerc": "[run]\nsource = html5lib\n"})  # its own choice of what to measure
    assert "--source=html5lib" not in parsed(tmp_path)[1].profile.governance.commands["test"]


def test_pytest_coverage_is_pytest_cov(tmp_path: Path) -> None:
    """editables' tests/requirements.txt names ``pytest-coverage`` (a shim that installs
    pytest-cov): a bare ``coverage run`` measured its tests and temporary files too."""
    files = {
        "pyproject.toml": '[project]\nname = "editables"\nversion = "1"\n',
        "tests/requirements.txt": "pytest\npytest-coverage\n",
        "src/editables/__init__.py": "",
        "tests/test_a.py": "def test_a(): pass\n",
    }
    write(tmp_path, files)
    result = parsed(tmp_path)[1]
    assert "--cov=editables" in result.profile.governance.commands["test"]


def test_codecovs_project_target_is_named_where_no_threshold_is_set(tmp_path: Path) -> None:
    """pytz-deprecation-shim sets no fail_under; its codecov.yml asks codecov for 100%: "the project
    sets no coverage threshold" alone read as if it had no coverage gate at all."""
    write(
        tmp_path,
        {
            "setup.py": "setup(name='shim')\n",
            "tox.ini": "[testenv]\ndeps = pytest\n    pytest-cov\ncommands = pytest --cov=shim\n",
            "codecov.yml": 'coverage:\n  status:\n    project:\n      default:\n        target: "100"\n',
            "shim/__init__.py": "",
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.budgets.coverage is None  # not enforced: codecov's gate is CI's
    assert "codecov.yml coverage.status.project target asks codecov for 100%" in text
    assert "To enforce it here: coverage: {total: 100}" in text


def test_no_threshold_in_a_source_distribution_without_its_ci_files_says_what_was_not_seen(
    tmp_path: Path,
) -> None:
    """tomli's sdist: "the project sets no coverage threshold", while its CI (not in the sdist)
    runs ``coverage report --fail-under=100``."""
    files = {
        "PKG-INFO": "Metadata-Version: 2.1\nName: pkg\n",
        "pyproject.toml": '[project]\nname = "pkg"\n[tool.coverage.run]\nbranch = true\n',
        "tox.ini": "[testenv]\ndeps = coverage\ncommands = coverage run -m pytest\n",
        "pkg/__init__.py": "",
        "tests/test_a.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    text = parsed(tmp_path)[0]
    said = "sets no coverage threshold (fail_under) in its configuration here, and its CI files are not in"
    assert said in text
    (tmp_path / ".github" / "workflows").mkdir(parents=True)  # a repository: what it says is all there is
    assert "sets no coverage threshold (fail_under); the test evidence" in parsed(tmp_path)[0]


def test_coverage_run_runs_the_tests_xdist_would_spread_in_one_process(tmp_path: Path) -> None:
    """bidict's pytest 9 ``[tool.pytest]`` addopts ``--numprocesses=auto``: under ``coverage
    run`` its tests ran in xdist's workers, which it does not measure: 0%, "No data was
    collected" (62% in one process)."""
    pyproject = (
        '[project]\nname = "bidict"\n\n[dependency-groups]\ntest = ["pytest", "pytest-xdist", "coverage"]\n\n'
        '[tool.pytest]\naddopts = ["-vv", "--numprocesses=auto", "-p", "no:benchmark"]\n'
    )
    write(tmp_path, {"pyproject.toml": pyproject, "bidict/__init__.py": "", "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    test = result.profile.governance.commands["test"]
    assert test[:4] == ("python", "-m", "coverage", "run") and test[-3:-1] == ("-n", "0")
    assert test[-1] == "--continue-on-collection-errors"  # as xdist's workers go on
    assert "(pyproject.toml [tool.pytest] addopts --numprocesses auto)" in text
    ini = "[pytest]\naddopts = -n 4 --dist loadscope\n"
    write(tmp_path, {"pyproject.toml": pyproject.split("\n\n[tool.pytest]")[0] + "\n", "pytest.ini": ini})
    assert parsed(tmp_path)[1].profile.governance.commands["test"][-3:-1] == ("-n", "0")
    write(tmp_path, {"pytest.ini": "[pytest]\naddopts = -n 0\n"})  # no workers: nothing added
    assert "-n" not in parsed(tmp_path)[1].profile.governance.commands["test"]


def test_a_threshold_on_coverage_appended_to_another_runs_is_not_enforced(tmp_path: Path) -> None:
    """tqdm's ``make testcoverage`` measures its notebook tests, then its tests with
    ``--cov-append --cov-fail-under=80``: the 80 is of both; its tests alone measured 78.7%, and
    G4 would have failed on a threshold the project never set for them."""
    makefile = (
        "testcoverage:\n\tpytest tests_notebook.ipynb --cov=tqdm --cov-report= --nbval\n"
        '\tpytest -k "not perf" --cov=tqdm --cov-report=xml --cov-append --cov-fail-under=80\n'
    )
    files = {"pyproject.toml": '[project]\nname = "tqdm"\n', "tqdm/__init__.py": "", "tests/test_a.py": ""}
    write(tmp_path, files | {"Makefile": makefile})
    text, result = parsed(tmp_path)
    assert result.profile.budgets.coverage is None
    assert "the project's 80 (Makefile recipe testcoverage: --cov-fail-under) applies with" in text
    write(tmp_path, {"Makefile": makefile.replace(" --cov-append", "")})
    coverage = parsed(tmp_path)[1].profile.budgets.coverage
    assert coverage is not None and coverage.total == 79.5  # (80 on its rounded total)


def test_the_packages_measured_for_a_project_naming_none_are_said(tmp_path: Path) -> None:
    """freezegun's tox runs a bare ``pytest --cov`` (its tests measured too: 93%); prp measures its
    package (90.55%), and the comment did not say so."""
    tox = "[testenv]\ndeps = pytest-cov\ncommands = pytest --cov\n"
    write(tmp_path, {"tox.ini": tox, "freezegun/__init__.py": "", "setup.py": "", "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert "--cov=freezegun" in result.profile.governance.commands["test"]
    assert "--cov=freezegun: its packages, as the project names none" in text


def test_a_bare_cov_in_pytests_addopts_measures_what_the_tests_run(tmp_path: Path) -> None:
    """rich-click's addopts hold a bare ``--cov``: the profile said "--cov=rich_click: its
    packages", which narrowed nothing (its total counted 11 test modules: 74.19% for 69%)."""
    pyproject = '[project]\nname = "rc"\n[tool.pytest.ini_options]\naddopts = "--cov -ra"\n'
    write(tmp_path, {"pyproject.toml": pyproject, "rc/__init__.py": "", "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert not [w for w in result.profile.governance.commands["test"] if w.startswith("--cov=")]
    assert "addopts hold a bare --cov: everything the tests run (the tests too) is measured" in text


def test_a_configured_source_naming_nothing_in_the_checkout_gives_way_to_its_packages(tmp_path: Path) -> None:
    """ordered-set's ``.coveragerc`` ``source = ordered_set.py``, its module long a package: coverage
    ran with it, "No data to report", and a threshold set as prp init suggested failed the tests."""
    files = {
        "setup.py": "",
        "ordered_set/__init__.py": "",
        "tests/test_a.py": "def test_a(): pass\n",
        "tox.ini": "[testenv]\ncommands = coverage run -m pytest\n",
        ".coveragerc": "[run]\nsource = ordered_set.py\nbranch = True\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:5] == (
        "python", "-m", "coverage", "run", "--source=ordered_set",
    )  # fmt: skip
    assert "its configured source, ordered_set.py (.coveragerc [run]), is nothing in the checkout" in text
    write(tmp_path, {".coveragerc": "[run]\nsource = ordered_set\n"})  # a source it has: as configured
    assert "--source=ordered_set" not in parsed(tmp_path)[1].profile.governance.commands["test"]
    stale = "[run]\nsource = ordered_set.py\n[report]\nfail_under = 90\n"  # pytest-cov: no bare --cov
    write(
        tmp_path, {".coveragerc": stale, "tox.ini": "[testenv]\ndeps = pytest-cov\ncommands = pytest --cov\n"}
    )
    assert "--cov=ordered_set" in parsed(tmp_path)[1].profile.governance.commands["test"]


def test_a_configured_source_of_modules_comma_separated_and_under_lib_is_the_checkouts(
    tmp_path: Path,
) -> None:
    """defopt 6.4.0: ``source = defopt,test_defopt`` (``lib/defopt.py``, ``test_defopt.py``) was read
    as one name, "nothing in the checkout", and replaced by ``--source=defopt``: 54.21% where its
    own run measures 95.01%, against its fail_under of 95."""
    cfg = "[coverage:run]\nbranch = True\nsource = defopt,test_defopt\n[coverage:report]\nfail_under = 95\n"
    files = {
        "setup.py": "setup(name='defopt', package_dir={'': 'lib'}, py_modules=['defopt'])\n",
        "lib/defopt.py": "",
        "test_defopt.py": "def test_a(): pass\n",
        "setup.cfg": cfg,
        "tox.ini": "[testenv]\ncommands = coverage run -m pytest\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert not any(a.startswith("--source") for a in result.profile.governance.commands["test"])
    assert "is nothing in the checkout" not in text


def test_a_threshold_in_a_coverage_configuration_nothing_runs_is_not_enforced(tmp_path: Path) -> None:
    """jsonschema-specifications: ``fail_under = 100`` in pyproject's coverage configuration, its
    CI and nox sessions run pytest alone; G4 enforced 100 on a total nothing of the project holds
    to it (99%), failing a run whose CI passes. When its CI runs coverage, the threshold is its."""
    files = {
        "pyproject.toml": (
            '[project]\nname = "pkg"\nversion = "1"\n[project.optional-dependencies]\ntests = ["pytest"]\n'
            '[tool.coverage.run]\nsource = ["pkg"]\n[tool.coverage.report]\nfail_under = 100\n'
        ),
        ".github/workflows/ci.yml": "jobs:\n  tests:\n    steps:\n      - run: python -m pytest\n",
        "pkg/__init__.py": "",
        "tests/test_a.py": "def test_a(): pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.budgets.coverage is None
    assert result.profile.governance.commands["test"][2:4] == ("coverage", "run")  # still measured
    assert (
        "coverage: null  # not enforced: the project's 100 "
        "(pyproject.toml [tool.coverage.report] fail_under) applies to a coverage run the project "
        "never starts" in text
    ), text
    ci = "jobs:\n  tests:\n    steps:\n      - run: python -m coverage run -m pytest\n"
    write(tmp_path, {".github/workflows/ci.yml": ci})
    enforced = parsed(tmp_path)[1].profile.budgets.coverage
    assert enforced is not None and enforced.total == 100.0


def test_a_coverage_run_of_the_projects_own_naming_nothing_and_bound_by_nothing_measures_its_packages(
    tmp_path: Path,
) -> None:
    """charset-normalizer's nox: ``coverage run --parallel-mode -m pytest tests/``, no coverage
    configuration, no threshold. Its installed package leaves its own run measuring the tests
    alone (99%); in the checkout, tests and package were measured together (90.61%, the package
    88.64%). With a threshold set on the project's own measure, its run stays as it is."""
    nox = (
        "import nox\n\n@nox.session\ndef test(session):\n"
        '    session.run("python", "-m", "coverage", "run", "--parallel-mode", "-m", "pytest", "tests/")\n'
    )
    files = {"pyproject.toml": '[project]\nname = "charset-normalizer"\n', "noxfile.py": nox}
    write(tmp_path, {**files, "src/charset_normalizer/__init__.py": "", "tests/test_a.py": "import pytest\n"})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:5] == (
        "python", "-m", "coverage", "run", "--source=charset_normalizer",
    )  # fmt: skip
    assert "--source=charset_normalizer: its packages, as its own run names none" in text
    write(tmp_path, {".coveragerc": "[report]\nfail_under = 99\n"})
    assert "--source=charset_normalizer" not in parsed(tmp_path)[1].profile.governance.commands["test"]


def test_a_fail_under_is_enforced_as_coverage_py_checks_it_on_its_rounded_total(tmp_path: Path) -> None:
    """parse with ``fail_under = 96``: its total of 95.625 passes coverage.py's check, which rounds
    the total to its report precision (0 decimals), and pytest-cov's exit status; G4 failed the
    run on "total coverage 95.6% < required 96%"."""
    files = {
        "pyproject.toml": '[project]\nname = "p"\n[tool.coverage.report]\nfail_under = 96\n',
        "tox.ini": "[testenv]\ndeps = coverage\ncommands = coverage run -m pytest\n",
        "p/__init__.py": "",
        "tests/test_a.py": "def test_a():\n    pass\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.budgets.coverage is not None and result.profile.budgets.coverage.total == 95.5
    assert "fail_under: 96, which coverage.py checks on its total rounded to a whole percent" in text
    for fail_under, precision in ((96.0, 0), (96.0, 2), (96.25, 0), (90.0, 1), (100.0, 0)):
        passing, digits = passing_total(fail_under, precision)
        above = min(passing + 1e-9, 100.0)
        assert not should_fail_under(above, fail_under, precision), (fail_under, precision)
        below = passing - 10 ** -(digits + 2)
        assert should_fail_under(below, fail_under, precision), (fail_under, precision)


def test_tests_inside_the_package_measured_with_it_are_said_so(tmp_path: Path) -> None:
    """radon: its tests are in ``radon/tests`` and ``--source=radon`` (chosen by prp init, the
    project naming nothing) measured them too: 88.17%, its library code alone 83%; nothing said."""
    pyproject = '[project]\nname = "radon"\n[project.optional-dependencies]\ndev = ["pytest", "coverage"]\n'
    write(tmp_path, {"pyproject.toml": pyproject, "radon/__init__.py": "", "radon/tests/test_a.py": ""})
    text = parsed(tmp_path)[0]
    assert "its tests, in radon/tests, are measured with it" in text
    (tmp_path / "radon" / "tests" / "test_a.py").rename(tmp_path / "radon" / "a.py")
    write(tmp_path, {"tests/test_a.py": ""})
    assert "are measured with it" not in parsed(tmp_path)[0]


LZ4_TOX = """\
[tox]
envlist = py, flake8
[testenv:bench]
commands = pytest --cov=lz4/bench tests/bench --benchmark-only
[testenv]
extras = tests
commands =
    pytest --cov=lz4/block --cov=lz4/frame --tb=long {posargs} tests/block tests/frame
[pytest]
addopts = -x --cov=lz4/common
[testenv:experimental]
commands =
    pytest --cov=lz4/stream --tb=long {posargs} tests/stream
"""


def test_the_test_run_measures_what_the_projects_main_run_measures_not_other_envs_too(tmp_path: Path) -> None:
    """lz4: its tox ``[testenv]`` runs ``--cov=lz4/block --cov=lz4/frame tests/block tests/frame``,
    its experimental env ``--cov=lz4/stream tests/stream``; the check ran the first's tests with
    the three measured: a total with lz4/stream's code, which those tests do not run, unlike the
    project's. pytest's addopts measure in every run: kept."""
    files = {"tox.ini": LZ4_TOX, "setup.py": "from setuptools import setup\nsetup(name='lz4')\n"}
    for folder in ("block", "frame", "stream", "bench", "common"):
        files[f"lz4/{folder}/__init__.py"] = ""
        files[f"tests/{folder}/test_{folder}.py"] = "def test_x():\n    pass\n"
    files["lz4/__init__.py"] = ""
    write(tmp_path, files)
    argv = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert [a for a in argv if a.startswith("--cov=")] == [
        "--cov=lz4/common",
        "--cov=lz4/block",
        "--cov=lz4/frame",
    ]
    assert argv[argv.index("tests/block") :][:2] == ("tests/block", "tests/frame")
