"""``prp init`` runs the project's own test runner where it has one: a test script its tox env,
a make target, CI or setup runs, in the folder it runs it from, under ``coverage run`` as the
project does; a runner in a tests folder discovery finds nothing in; a tests package that runs
its suite; a test module run with ``python -m``."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.core.builtin_workflow import command_checks
from tests.unit.test_init import parsed, write

MARKDOWN2_MAKEFILE = """\
SHELL=/bin/bash

.PHONY: test
test:
\tcd test && python testall.py

.PHONY: testone
testone:
\tcd test && python test.py -- -knownfailure

testredos:
\tpython test/test_redos.py
"""


def test_the_projects_own_test_runner_runs_where_its_tox_env_runs_it(tmp_path: Path) -> None:
    """markdown2's tox runs ``make testone``, whose recipe is ``cd test && python test.py --
    -knownfailure``: unittest discovery of ``test/`` ran 8 modules and none of its 260 tests."""
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='markdown2', package_dir={'': 'lib'})\n",
        "lib/markdown2.py": "",
        "tox.ini": "[tox]\nenvlist = py{310,311}\n\n[testenv]\nallowlist_externals = make\n"
        "commands = make testone\n",
        "Makefile": MARKDOWN2_MAKEFILE,
        "test/test.py": "import sys\n",
        "test/testall.py": "import sys\n",
        "test/test_redos.py": "import unittest\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    governance = result.profile.governance
    assert governance.commands["test"] == ("python", "test.py", "--", "-knownfailure")
    assert governance.workdirs == {"test": "test"}
    assert "as Makefile recipe testone runs it in test/ (tox.ini [testenv] runs make testone)" in text
    check = next(c for c in command_checks(result.profile) if c.name == "run-test")
    assert check.workdir == "test" and "(in test/)" in check.description


def test_without_tox_the_makefiles_test_recipe_names_the_runner(tmp_path: Path) -> None:
    """No tox env says which target: the ``test`` recipe's script; a ``cd`` out of the checkout
    is not followed, and a script that is no test runner (``setup.py``) is not one."""
    makefile = "test:\n\tcd tests && python runtests.py -v\nbuild:\n\tpython setup.py build\n"
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='x')\n",
        "x/__init__.py": "",
        "Makefile": makefile,
        "tests/runtests.py": "",
        "tests/test_x.py": "import unittest\n",
    }
    write(tmp_path, files)
    _, result = parsed(tmp_path)
    governance = result.profile.governance
    assert governance.commands["test"] == ("python", "runtests.py", "-v")
    assert governance.workdirs == {"test": "tests"}
    (tmp_path / "Makefile").write_text("test:\n\tcd .. && python x/runtests.py\n")
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:4] == ("python", "-m", "unittest", "discover")
    assert result.profile.governance.workdirs == {}


def test_a_test_script_the_tox_env_runs_wins_over_pytest_guessed_from_modules(tmp_path: Path) -> None:
    """dill's tox runs ``{envpython} dill/tests/__main__.py``, which runs each ``test_*.py`` as a
    script (30 pass); its modules of plain ``def test_…`` made prp init guess pytest, whose
    collection failed with 6 errors. A pytest the project configures still wins."""
    tox = "[tox]\nenvlist = py311\n\n[testenv]\ncommands =\n    {envpython} -m pip install .\n"
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='dill')\n",
        "dill/__init__.py": "",
        "dill/tests/__init__.py": "",
        "dill/tests/__main__.py": "import glob\n",
        "dill/tests/test_abc.py": "def test_abc():\n    pass\n",
        "tox.ini": tox + "    {envpython} dill/tests/__main__.py\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "dill/tests/__main__.py")
    assert "the project's own test runner, as tox.ini [testenv] runs it" in text
    assert result.profile.governance.workdirs == {}
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\naddopts = -ra\n")
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:3] == ("python", "-m", "pytest")


def test_a_runner_script_in_a_tests_folder_without_test_modules_runs_the_tests(tmp_path: Path) -> None:
    """feedparser's ``tests/runtests.py`` builds its 4335 cases from the data files beside it (its
    sdist has no tox.ini): unittest discovery of ``tests/`` ran none and failed the suite."""
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='feedparser')\n",
        "feedparser/__init__.py": "",
        "tests/runtests.py": "import unittest\n",
        "tests/wellformed/a.xml": "<feed/>",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "tests/runtests.py")
    assert "the project's own test runner: tests/runtests.py, no test module beside it" in text
    write(tmp_path, {"tests/test_a.py": "import unittest\n"})  # discovery finds modules: they run
    assert parsed(tmp_path)[1].profile.governance.commands["test"][2:4] == ("unittest", "discover")


def test_a_test_script_the_project_runs_under_coverage_is_run_so(tmp_path: Path) -> None:
    """argcomplete's CI runs ``make test``: ``coverage run --source=argcomplete --omit=… ./test/test.py
    -v`` (191 tests); unittest discovery of ``test/`` ran 232, a fixture package's module among them."""
    makefile = (
        "test:\n\tcoverage run --source=argcomplete --omit=argcomplete/packages/_shlex.py ./test/test.py -v\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "argcomplete"\n[project.optional-dependencies]\n'
        'test = ["coverage"]\n',
        "argcomplete/__init__.py": "",
        "test/__init__.py": "",
        "test/test.py": "import unittest\n",
        "test/test_contrib_shells.py": "import unittest\n",
        "Makefile": makefile,
        ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: make test\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == (
        "python", "-m", "coverage", "run", "--source=argcomplete", "--omit=argcomplete/packages/_shlex.py",
        "./test/test.py", "-v",
    )  # fmt: skip
    assert "as Makefile recipe test runs it (.github/workflows/ci.yml runs make test)" in text
    assert result.profile.reports.coverage == (".prp/reports/coverage.xml",)


def test_a_tests_package_that_runs_its_own_suite_is_the_test_runner(tmp_path: Path) -> None:
    """simplejson's ``simplejson/tests/__init__.py`` runs its suite as a script (setup.py's test
    command does): 570 tests, the C speedups off as well as on, and its doctests; discovery of the
    package ran 283 and passed with half the suite unrun."""
    main = "import unittest\n\ndef main():\n    pass\n\nif __name__ == '__main__':\n    main()\n"
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='simplejson')\n",
        "simplejson/__init__.py": "",
        "simplejson/tests/__init__.py": main,
        "simplejson/tests/test_a.py": "import unittest\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "simplejson/tests/__init__.py")
    assert "the project's own test runner: simplejson/tests/__init__.py runs its suite" in text
    write(tmp_path, {"simplejson/tests/__init__.py": ""})  # a plain package: discovery
    assert parsed(tmp_path)[1].profile.governance.commands["test"][2:4] == ("unittest", "discover")


def test_a_test_module_the_project_runs_with_python_m_is_its_runner(tmp_path: Path) -> None:
    """toposort's Makefile: ``PYTHONPATH=src:test python3 -m test.test_toposort``; its module ends
    in a bare ``unittest.main()``, which under discovery read discover's arguments and exited 2:
    "1 test ran: 1 errors" for a suite of 11 that passes."""
    makefile = "test:\tunittest doctest\n\nunittest:\n\tPYTHONPATH=src:test python3 -m test.test_toposort\n"
    files = {
        "setup.cfg": "[metadata]\nname = toposort\n",
        "src/toposort.py": "",
        "test/__init__.py": "",
        "test/test_toposort.py": "import unittest\nunittest.main()\n",
        "Makefile": makefile,
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "-m", "test.test_toposort")
    assert "the project's own test runner, as Makefile recipe unittest runs it" in text


WEBSOCKETS_TOX = """\
[tox]
env_list = py311, maxi_cov

[testenv]
commands = python -W error::DeprecationWarning -m unittest {posargs}
set_env = WEBSOCKETS_TESTS_TIMEOUT_FACTOR = 10

[testenv:maxi_cov]
commands =
    python tests/maxi_cov.py {envsitepackagesdir}
    python -m coverage report --show-missing --fail-under=100
deps = coverage
"""


def test_a_script_only_a_side_env_runs_is_not_the_test_command_of_a_unittest_project(tmp_path: Path) -> None:
    """websockets' tox: its tests env runs ``python -m unittest``; its maxi_cov env runs
    ``tests/maxi_cov.py {envsitepackagesdir}``, a per-module coverage script, which prp init took
    for the project's own runner, its tox substitution passed on as text (the check failed:
    "failed to locate Coverage.py")."""
    files = {
        "pyproject.toml": "[project]\nname = 'websockets'\n",
        "src/websockets/__init__.py": "",
        "tests/__init__.py": "",
        "tests/maxi_cov.py": "import sys\n",
        "tests/test_client.py": "import unittest\n\nclass T(unittest.TestCase):\n    pass\n",
        "tox.ini": WEBSOCKETS_TOX,
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    test = result.profile.governance.commands["test"]
    assert "tests/maxi_cov.py" not in test and test[-7:-3] == ("-m", "unittest", "discover", "-s"), test
    assert "unittest: tests/ and no pytest configuration" in text
    # the script the tests env runs is the runner, with its arguments; one with a substitution
    # tox alone can fill is not run
    files["tox.ini"] = WEBSOCKETS_TOX.replace("-m unittest {posargs}", "tests/maxi_cov.py {posargs}")
    write(tmp_path, files)
    runner = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert runner == ("python", "-W", "error::DeprecationWarning", "tests/maxi_cov.py"), runner
    substituted = "tests/maxi_cov.py {envsitepackagesdir}"
    files["tox.ini"] = WEBSOCKETS_TOX.replace("-m unittest {posargs}", substituted)
    write(tmp_path, files)
    assert "{envsitepackagesdir}" not in parsed(tmp_path)[1].profile.governance.commands["test"]
    # its coverage env measures the installed package, named where tox alone knows it is
    files["tox.ini"] = WEBSOCKETS_TOX + (
        "\n[testenv:coverage]\ncommands =\n"
        "    python -m coverage run --source {envsitepackagesdir}/websockets,tests -m unittest {posargs}\n"
    )
    write(tmp_path, files)
    measured = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert measured[:5] == ("python", "-m", "coverage", "run", "--source=websockets,tests"), measured


def test_the_other_test_scripts_the_runners_place_runs_are_named(tmp_path: Path) -> None:
    """autopep8's tox runs ``test/test_autopep8.py``, then ``test/acid.py`` twice; the check runs
    the first, and nothing said the other two were left out."""
    tox = (
        "[testenv]\ncommands=\n    python test/test_autopep8.py\n"
        "    python test/acid.py --aggressive test/example.py\n"
        "    python test/acid.py --compare-bytecode test/example.py\n"
    )
    write(tmp_path, {"tox.ini": tox, "setup.py": "setup(name='autopep8')\n", "autopep8.py": ""})
    write(tmp_path, {"test/test_autopep8.py": "import unittest\n", "test/acid.py": "", "test/example.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "test/test_autopep8.py")
    assert (
        "not run by this check: `python test/acid.py --aggressive test/example.py`, `python test/acid.py "
        "--compare-bytecode test/example.py`, which tox.ini [testenv] runs too" in text
    )


def test_the_tests_env_running_the_projects_own_script_beats_a_pytest_configuration_nothing_runs(
    tmp_path: Path,
) -> None:
    """defusedxml 0.7.1's tox runs ``coverage run --parallel-mode tests.py`` (a unittest suite its
    ``test_main()`` builds: 81 tests, none failing) beside a ``[pytest]`` section nothing runs:
    pytest collected its abstract base tests, "91 tests: 77 passed, 11 failed"."""
    tox = (
        "[tox]\nenvlist = py310\n[testenv]\ncommands =\n    coverage run --parallel-mode tests.py\n"
        "    coverage report -m\ndeps =\n    coverage\n[pytest]\npython_files = tests.py\n"
    )
    files = {"tox.ini": tox, "setup.py": "from setuptools import setup\nsetup(name='defusedxml')\n"}
    write(tmp_path, files | {"defusedxml/__init__.py": "", "tests.py": "import unittest\n"})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][:5] == ("python", "-m", "coverage", "run", "tests.py")
    assert "the project's own test runner, as tox.ini [testenv] runs it" in said
    tox += "[testenv:pytest]\ncommands = pytest\n"  # something runs pytest: pytest, as configured
    write(tmp_path, {"tox.ini": tox})
    assert "pytest" in parsed(tmp_path)[1].profile.governance.commands["test"]


def test_pytest_of_a_tests_folder_beside_a_unittest_discovery_of_the_rest_runs_them_all(
    tmp_path: Path,
) -> None:
    """requests-mock 1.12.1's tox runs ``pytest tests/pytest`` (5 tests) and ``python -m testtools.run
    {posargs:discover}`` (140): the check ran the 5 and passed a broken test of the 140."""
    tox = (
        "[testenv]\ncommands =\n    pytest tests/pytest\n    python -m testtools.run {posargs:discover}\n"
        "deps = -r{toxinidir}/test-requirements.txt\n"
    )
    files = {
        "tox.ini": tox,
        "test-requirements.txt": "pytest\ntesttools\n",
        "setup.py": "",
        "rm/__init__.py": "",
    }
    write(tmp_path, files | {"tests/__init__.py": "", "tests/test_a.py": "", "tests/pytest/test_b.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][-1] == "tests"
    assert (
        "tests as tox.ini [testenv] (its pytest of tests/pytest and its unittest discovery) runs it" in said
    )
    write(tmp_path, {"tox.ini": tox.replace("    python -m testtools.run {posargs:discover}\n", "")})
    assert parsed(tmp_path)[1].profile.governance.commands["test"][-1] == "tests/pytest"  # pytest alone


def test_a_doctest_run_of_another_env_the_test_command_does_not_make_is_named(tmp_path: Path) -> None:
    """everett 3.4.0's tox: ``pytest tests/`` and, in its doctest env, ``pytest --doctest-modules
    src/``: 9 doctests the check never ran, and nothing said so."""
    tox = "[testenv]\ncommands = pytest {posargs} tests/\n"
    tox += "[testenv:py39-doctest]\ncommands = pytest --doctest-modules src/\n"
    write(tmp_path, {"tox.ini": tox, "setup.py": "", "src/ev/__init__.py": "", "tests/test_a.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][-1] == "tests"
    assert (
        "not run by this check: `pytest --doctest-modules src`, which tox.ini [testenv:py39-doctest] runs"
        in said
    )
    write(tmp_path, {"tox.ini": "[testenv]\ncommands = pytest --doctest-modules src tests\n"})
    assert "not run by this check" not in parsed(tmp_path)[0]  # the test command runs them


def test_nose2_as_the_project_runs_it_is_its_test_runner(tmp_path: Path) -> None:
    """semantic-version 2.10.0's Makefile ``test`` recipe (which its tox runs): ``python -Wdefault -m
    nose2``, 68 tests OK; prp init knew no nose2 and chose ``unittest discover -s tests -t .``, which
    crashed on its Django-dependent modules ("the tool crashed: … ImproperlyConfigured")."""
    files = {
        "Makefile": "test:\n\tpython -Wdefault -m nose2\n",
        "tox.ini": "[testenv]\ncommands = make test\n",
        "setup.cfg": "[metadata]\nname = semantic_version\n[options.extras_require]\ndev = nose2\n",
        "semantic_version/__init__.py": "",
        "tests/__init__.py": "",
        "tests/test_base.py": "import unittest\n",
    }
    write(tmp_path, files)
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "-m", "nose2")
    assert "the project's own test runner, as Makefile recipe test runs it" in said


def test_a_lone_test_module_that_runs_unittest_when_imported_is_run_as_a_script(tmp_path: Path) -> None:
    """crcmod 1.7's ``test/test_crcmod.py`` calls ``unittest.main(module=crcmod.test)`` as it is
    imported: discovery's ``-s test`` were its arguments, it exited 2, "1 test ran: 1 error"
    where the script runs 12 tests, all passing."""
    files = {
        "setup.py": "from distutils.core import setup\nsetup(name='crcmod', packages=['crcmod'])\n",
        "crcmod/__init__.py": "",
        "crcmod/test.py": "import unittest\n",
        "test/examples.py": "import crcmod\n",
        "test/test_crcmod.py": "import unittest\n\nimport crcmod.test\n\nunittest.main(module=crcmod.test)\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"] == ("python", "test/test_crcmod.py")
    assert "the project's own test runner: test/test_crcmod.py runs unittest" in text
    guarded = "import unittest\n\nif __name__ == '__main__':\n    unittest.main()\n"
    write(tmp_path, {"test/test_crcmod.py": guarded})  # a guarded call: discovery imports it well
    assert parsed(tmp_path)[1].profile.governance.commands["test"][2:4] == ("unittest", "discover")
