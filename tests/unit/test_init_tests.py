"""``prp init`` finds the project's tests and the runner that runs them as the project does:
pytest when the suite is written for it, else unittest discovery of a tests directory (a package
imported from where it lives), of test modules at the top or inside the package, by their names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prp_tasks.intake.init.detect import detect
from tests.unit.test_init import parsed, write


def passing_run(repo: Path, argv: tuple[str, ...]) -> str:
    """The test command run in ``repo`` with this Python: its stderr, once it exited 0."""
    done = subprocess.run([sys.executable, *argv[1:]], cwd=repo, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stderr


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
    # dpath: 12 modules of plain functions (one importing unittest's mock), one of a case class;
    # unittest discovery ran 15 of its 79 tests
    plain = "from unittest import mock\n\n\ndef test_get():\n    assert mock\n"
    write(tmp_path, {"tests/test_b.py": plain, "tests/test_c.py": "def test_suite():\n    pass\n"})
    assert detect(tmp_path).tools["pytest"] == ["tests/test_b.py: plain test functions, no unittest cases"]
    (tmp_path / "tests" / "test_b.py").unlink()  # test_suite() hands unittest a suite: no test
    assert detect(tmp_path).tools.get("pytest") is None
    # uritemplate: pytest-style classes (unittest ran 39 of its 58 tests and said OK)
    fixtures = "class FixtureMixin:\n    pass\n\n\nclass TestSpecExamples(FixtureMixin):\n"
    fixtures += "    def test_a(self): pass\n"
    write(tmp_path, {"tests/test_d.py": fixtures})
    assert detect(tmp_path).tools["pytest"] == ["tests/test_d.py: test classes that are no unittest cases"]
    write(tmp_path, {"tests/test_d.py": "import unittest\n\n\nclass TestX(unittest.TestCase):\n    pass\n"})
    assert detect(tmp_path).tools.get("pytest") is None
    # distlib's test_util.py: a helper ``class TestContainer(object):`` beside cases of its own
    # ``DistlibTestCase`` base (pytest had taken over from its own runner, tests/test_all.py)
    helper = "class TestContainer(object):\n    def __init__(self):\n        pass\n\n\n"
    helper += "class UtilTestCase(DistlibTestCase):\n    def test_a(self):\n        pass\n"
    write(tmp_path, {"tests/test_d.py": helper})
    assert detect(tmp_path).tools.get("pytest") is None


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


def test_a_tests_package_under_src_is_found_and_imported_from_src(tmp_path: Path) -> None:
    """decorator 5.1.1: its 24 unittest tests are in src/tests; none was found, and the run
    passed ready-for-release with no test run at all."""
    write(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\nsetup(name='deco', package_dir={'': 'src'})\n",
            "src/deco.py": "def answer():\n    return 42\n",
            "src/tests/__init__.py": "",
            "src/tests/helper.py": "EXPECTED = 42\n",
            "src/tests/test.py": "import unittest\n\nfrom deco import answer\n\nfrom . import helper\n\n\n"
            "class T(unittest.TestCase):\n    def test_answer(self):\n"
            "        self.assertEqual(answer(), helper.EXPECTED)\n",
        },
    )
    _, result = parsed(tmp_path)
    command = result.profile.governance.commands["test"]
    assert command == ("python", "-m", "unittest", "discover", "-s", "src/tests", "-t", "src")
    done = subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "Ran 1 test" in done.stderr, done.stderr


def test_test_modules_inside_the_package_run_with_unittest_discovery(tmp_path: Path) -> None:
    """shortuuid: its 19 tests are in shortuuid/test_shortuuid.py; none was found."""
    test = "import unittest\n\nfrom su import f\n\n\nclass T(unittest.TestCase):\n    def test_f(self):\n"
    write(tmp_path, {"setup.py": "setup(name='su')\n", "su/__init__.py": "def f():\n    return 1\n",
                     "su/test_su.py": test + "        self.assertEqual(f(), 1)\n"})  # fmt: skip
    text, result = parsed(tmp_path)
    command = result.profile.governance.commands["test"]
    assert command == ("python", "-m", "unittest", "discover", "-s", ".", "-p", "test*.py")
    assert "unittest: su/test_su.py and no pytest configuration" in text
    assert "the run will find no test" not in text  # (its test module counted)
    done = subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "Ran 1 test" in done.stderr, done.stderr


def test_plain_test_functions_in_a_module_pytest_would_not_find_are_named_to_it(tmp_path: Path) -> None:
    """webencodings: its 8 tests are plain functions in ``webencodings/tests.py``, which pytest's
    default ``python_files`` (``test_*.py``, ``*_test.py``) never matches: exit 5, no test."""
    write(tmp_path, {"setup.py": "setup(name='we')\n", "we/__init__.py": "",
                     "we/tests.py": "def test_a():\n    assert 1\n"})  # fmt: skip
    text, result = parsed(tmp_path)
    command = result.profile.governance.commands["test"]
    assert command[:3] == ("python", "-m", "pytest") and command[-1] == "we/tests.py"
    assert "we/tests.py named on the command line (not test_*.py)" in text
    done = subprocess.run([sys.executable, *command[1:], "-p", "no:cacheprovider"], cwd=tmp_path,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout


def test_a_helper_module_named_like_a_test_is_not_named_to_pytest(tmp_path: Path) -> None:
    """fire: ``fire/testutils.py`` beside ``fire/test_components.py`` had the command name six
    modules, and pytest ran 5 of the 261 tests its ``*_test.py`` files hold; dictdiffer: its
    ``testing.py`` named, its doctests elsewhere in the package not run, one of them made to fail."""
    conf = "[tool.pytest.ini_options]\naddopts = '-ra'\n"
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'fi'\n" + conf, "fi/__init__.py": "",
                     "fi/testutils.py": "import unittest\n", "fi/test_components.py": "X = 1\n",
                     "fi/core_test.py": "def test_a():\n    assert 1\n"})  # fmt: skip
    text, result = parsed(tmp_path)
    command = result.profile.governance.commands["test"]
    assert command[:3] == ("python", "-m", "pytest") and not any(a.startswith("fi/") for a in command)
    assert "named on the command line" not in text
    done = subprocess.run([sys.executable, *command[1:], "-p", "no:cacheprovider"], cwd=tmp_path,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout
    (tmp_path / "fi" / "core_test.py").unlink()
    write(tmp_path, {"fi/tests.py": "def test_a():\n    assert 1\n"})
    text, result = parsed(tmp_path)  # only the module pytest would not find is said to be
    assert "fi/tests.py named on the command line (not test_*.py)" in text
    assert result.profile.governance.commands["test"][-2:] == ("fi/test_components.py", "fi/tests.py")


def test_a_suite_the_project_runs_in_xdist_workers_goes_on_past_a_module_it_cannot_collect(
    tmp_path: Path,
) -> None:
    """w3lib's tox: ``pytest --doctest-modules -n auto {posargs:w3lib tests}``, 650 passed, 2
    failed, 4 errors; its check, in one process: "Interrupted: 2 errors during collection", no test
    run and its 2 failing tests unseen."""
    tox = "[testenv]\ndeps =\n    pytest\n    pytest-xdist\ncommands =\n    pytest -n auto {posargs:tests}\n"
    write(tmp_path, {"tox.ini": tox, "setup.py": "setup(name='w3')\n", "w3/__init__.py": "",
                     "tests/test_a.py": "def test_a():\n    assert 1\n",
                     "tests/test_b.py": "import no_such_module\n"})  # fmt: skip
    text, result = parsed(tmp_path)
    command = result.profile.governance.commands["test"]
    assert "--continue-on-collection-errors" in command and "-n" not in command
    assert "pytest-xdist's workers (tox.ini [testenv] -n auto)" in text
    done = subprocess.run([sys.executable, *command[1:], "-p", "no:cacheprovider"], cwd=tmp_path,
                          capture_output=True, text=True)  # fmt: skip
    assert "1 passed" in done.stdout and "1 error in" in done.stdout, done.stdout


def test_test_modules_the_projects_python_files_names_are_left_to_pytest(tmp_path: Path) -> None:
    """jsonpatch: pytest.ini's ``python_files = tests.py property_tests.py``; the command named
    tests.py alone, and property_tests.py's 25 tests never ran."""
    case = "import unittest\n\n\nclass A(unittest.TestCase):\n    def test_a(self):\n        pass\n"
    ini = "[pytest]\npython_files = tests.py property_tests.py\n"
    files = {"setup.py": "setup(name='jp')\n", "jp.py": "", "tests.py": case, "property_tests.py": case}
    write(tmp_path, {**files, "pytest.ini": ini})
    text, result = parsed(tmp_path)
    command = result.profile.governance.commands["test"]
    assert command[:3] == ("python", "-m", "pytest") and "tests.py" not in command
    assert "named on the command line" not in text
    done = subprocess.run([sys.executable, *command[1:], "-p", "no:cacheprovider"], cwd=tmp_path,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout


def test_unittest_discovery_finds_test_modules_named_the_other_way(tmp_path: Path) -> None:
    """colorama: its 52 tests are in ``colorama/tests/*_test.py``; discovery's default pattern
    (``test*.py``) ran none of them."""
    case = "import unittest\n\n\nclass A(unittest.TestCase):\n    def test_a(self):\n        pass\n"
    files = {
        "setup.py": "setup(name='c')\n",
        "c/__init__.py": "",
        "c/tests/__init__.py": "",
        "c/tests/ansi_test.py": case,
    }
    write(tmp_path, files)
    command = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert command == ("python", "-m", "unittest", "discover", "-s", "c/tests", "-t", ".", "-p", "*_test.py")
    done = subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "Ran 1 test" in done.stderr, done.stderr


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
    assert "Ran 1 test" in passing_run(tmp_path, argv)


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


def test_a_unittest_suite_deeper_in_the_package_is_found_and_runs(tmp_path: Path) -> None:
    """pony: 90 unittest modules in pony/orm/tests (no pytest configuration, no tox, no CI files in
    its sdist): "no test runner found", and its 3,931 tests never ran."""
    case = "import unittest\nfrom pony.orm import x\n\nclass T(unittest.TestCase):\n    def test_x(self):\n"
    write(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\nsetup(name='pony')\n",
            "pony/__init__.py": "",
            "pony/orm/__init__.py": "x = 1\n",
            "pony/orm/tests/__init__.py": "",
            "pony/orm/tests/test_a.py": case + "        self.assertEqual(x, 1)\n",
            "pony/orm/tests/test_b.py": case + "        self.assertTrue(x)\n",
            "pony/utils/test/test_u.py": case + "        pass\n",  # (fewer test modules)
        },
    )
    text, result = parsed(tmp_path)
    argv = result.profile.governance.commands["test"]
    assert argv == ("python", "-m", "unittest", "discover", "-s", "pony/orm/tests", "-t", ".")
    assert "unittest: pony/orm/tests/ and no pytest configuration" in text
    assert "Ran 2 tests" in passing_run(tmp_path, argv)


def test_a_pytest_plugins_check_flag_is_kept(tmp_path: Path) -> None:
    """Unidecode's tox runs ``pytest --mypy --cov=unidecode tests``: 70 items, 5 of them mypy's;
    prp ran 65 and installed pytest-mypy for nothing."""
    tox = "[testenv]\ndeps =\n    pytest\n    pytest-cov\n    pytest-mypy\n"
    tox += "commands = pytest --mypy --cov=unidecode tests\n"
    write(tmp_path, {"tox.ini": tox, "unidecode/__init__.py": "", "tests/test_a.py": ""})
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert "--mypy" in test and test[test.index("--mypy") + 1] == "tests"


def test_the_hypothesis_profile_the_project_runs_its_tests_with_is_kept(tmp_path: Path) -> None:
    """natsort's tox: ``pytest --hypothesis-profile=slow-tests``, whose profile turns off the
    health check a slow machine trips."""
    tox = "[testenv]\ndeps =\n    pytest\n    hypothesis\n"
    tox += "commands = pytest --hypothesis-profile=slow-tests --tb=short tests\n"
    write(tmp_path, {"tox.ini": tox, "natsort/__init__.py": "", "tests/test_a.py": ""})
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert "--hypothesis-profile=slow-tests" in test and "--tb=short" not in test


def test_an_extra_whose_distribution_the_tests_import_is_installed(tmp_path: Path) -> None:
    """schedule 1.2.2: 41 of its 81 tests import pytz, which its ``timezone`` extra declares, and
    skipped "pytz unavailable"; nothing said why. Not when the project's test runs name extras."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "sched"\n'
            '[project.optional-dependencies]\ntimezone = ["pytz"]\n',
            "sched/__init__.py": "",
            "test_sched.py": "import unittest\n\nclass T(unittest.TestCase):\n    def test_tz(self):\n"
            "        try:\n            import pytz\n"
            "        except ImportError:\n            self.skipTest('no')\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and result.profile.environment.extras == ("timezone",)
    assert '"timezone"  # its tests import pytz: test_sched.py' in text
    # mmh3 (compiled, no Python package): its tests import mmh3, the project itself, not its
    # benchmark extra's pymmh3
    mmh3 = '[project]\nname = "mmh3"\n[project.optional-dependencies]\nbenchmark = ["pymmh3"]\n'
    write(tmp_path, {"pyproject.toml": mmh3, "test_sched.py": "import mmh3\n"})
    assert detect(tmp_path).test_extras == {}
    # tabulate: its tox tests install no extra (its "-extra" envs do): the project's run is followed
    write(tmp_path, {"tox.ini": "[tox]\nenvlist = py\n[testenv]\ncommands = python -m unittest\n"})
    assert detect(tmp_path).test_extras == {}


def test_no_second_quiet_flag_when_addopts_make_pytest_quiet(tmp_path: Path) -> None:
    """lark's ``addopts = "-ra -q"``: the command's own ``-q`` made it ``-qq``, which prints no
    closing line, where pytest counts subtests (18 passed, left out)."""
    pyproject = '[project]\nname = "pkg"\n[tool.pytest.ini_options]\naddopts = "-ra -q"\n'
    write(
        tmp_path, {"pyproject.toml": pyproject, "pkg/__init__.py": "", "tests/test_a.py": "import pytest\n"}
    )
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert test[:4] == ("python", "-m", "pytest", "-o") and "-q" not in test
    write(
        tmp_path, {"pyproject.toml": '[project]\nname = "pkg"\n[tool.pytest.ini_options]\naddopts = "-ra"\n'}
    )
    assert parsed(tmp_path)[1].profile.governance.commands["test"][3] == "-q"


def test_a_broken_pyproject_does_not_stop_tracing_the_tests_imports(tmp_path: Path) -> None:
    """The extras reader raises on a broken pyproject.toml; prp init ignores broken files."""
    cfg = "[metadata]\nname = x\n[options]\n[options.extras_require]\ntz = pytz\n"
    write(tmp_path, {"pyproject.toml": "[project\nname=", "setup.cfg": cfg, "pkg/__init__.py": ""})
    write(tmp_path, {"test_a.py": "import pytz\n\n\ndef test_a():\n    pass\n"})
    assert parsed(tmp_path)[1].profile.architecture.boundaries == ("pkg",)


def test_unittest_discovers_from_the_package_when_its_tests_are_in_more_folders(tmp_path: Path) -> None:
    """aniso8601: ``aniso8601/tests`` and ``aniso8601/builders/tests``; discovery of the first ran
    97 of its 144 tests (coverage 67.51% for 99.91%), where its own ``unittest discover aniso8601``
    runs them all."""
    case = "import unittest\n\n\nclass T(unittest.TestCase):\n    def test_a(self):\n        pass\n"
    files = {"setup.py": "", "pkg/__init__.py": "", "pkg/tests/__init__.py": "", "pkg/tests/test_a.py": case}
    files |= {"pkg/builders/__init__.py": "", "pkg/builders/tests/__init__.py": ""}
    write(tmp_path, files | {"pkg/builders/tests/test_b.py": case})
    command = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert command == ("python", "-m", "unittest", "discover", "-s", "pkg", "-t", ".")
    done = subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert "Ran 2 tests" in done.stderr, done.stderr


def test_the_tests_tox_env_running_unittest_wins_over_a_pytest_only_declared(tmp_path: Path) -> None:
    """pathspec: its tox.toml's tests run ``python -m unittest discover -t . -s tests/``; pytest
    (with pytest-benchmark) is only in its dev group, for its benchmarks. prp init ran pytest and
    its comment did not say that the project's tests run with unittest. When pytest is configured
    or run somewhere, pytest stays."""
    tox = '[env_run_base]\ncommands = [["python", "-m", "unittest", "discover", "-t", ".", "-s", "tests/"]]\n'
    pyproject = '[project]\nname = "spec"\n[dependency-groups]\ndev = ["pytest >=8", "pytest-benchmark"]\n'
    files = {"pyproject.toml": pyproject, "tox.toml": tox, "spec/__init__.py": ""}
    write(tmp_path, {**files, "tests/__init__.py": "", "tests/test_a.py": "import unittest\n"})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:4] == ("python", "-m", "unittest", "discover")
    assert "tox.toml [testenv] runs unittest, pytest is only declared (pyproject.toml dependency" in text
    write(tmp_path, {"pyproject.toml": pyproject + "[tool.pytest.ini_options]\ntestpaths = ['tests']\n"})
    assert parsed(tmp_path)[1].profile.governance.commands["test"][2] == "pytest"


def test_the_interpreter_options_the_projects_test_run_gives_are_kept(tmp_path: Path) -> None:
    """aiosignal's tox runs ``{envpython} {[python-cli-options]byte-errors} … -Werror -m pytest``
    (the options from another section): a test comparing bytes with str fails there and passed in
    prp's run. The options that change what the run reports are kept (not its isolation ones),
    also where a Makefile's bare ``pytest -q`` is read first."""
    tox = (
        "[python-cli-options]\nbyte-errors = -bb\nmax-isolation = -E -s -I\n"
        "[testenv]\ndeps = pytest\ncommands =\n  {envpython} \\\n    {[python-cli-options]byte-errors} \\\n"
        "    {[python-cli-options]max-isolation} -Werror -W 'ignore:Coverage failure::x' \\\n    -m pytest\n"
    )
    files = {"setup.py": "setup(name='sig')\n", "tox.ini": tox, "Makefile": "test:\n\t@pytest -q\n"}
    write(tmp_path, {**files, "sig/__init__.py": "", "tests/test_a.py": "import pytest\n"})
    text, result = parsed(tmp_path)
    test = result.profile.governance.commands["test"]
    assert test[:7] == ("python", "-bb", "-Werror", "-W", "ignore:Coverage failure::x", "-m", "pytest")
    assert "; -bb -Werror -W 'ignore:Coverage failure::x' as tox.ini [testenv] runs it" in text
