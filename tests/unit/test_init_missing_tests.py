"""``prp init`` and a checkout whose tests are missing or not configured: no test module at all
(a source distribution without its tests), and a source distribution without the pytest
configuration that said where its tests are."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_init import parsed, write


def test_a_checkout_without_any_test_module_is_said_to_have_none(tmp_path: Path) -> None:
    """python-rsa's sdist leaves its tests out: prp init wrote a pytest command without a word, and
    the run found nothing (exit 5). Not said with a tests folder, whose modules a plugin may
    collect whatever their names (invoke's pytest-relaxed), nor with doctests configured."""
    files = {"pyproject.toml": '[project]\nname = "rsa"\n[project.optional-dependencies]\nt = ["pytest"]\n'}
    write(tmp_path, files | {"rsa/__init__.py": ""})
    said = "no test module (test*.py, *_test.py) in this checkout: the run will find no test"
    assert said in parsed(tmp_path)[0]
    write(tmp_path, {"tests/cli.py": "def test_a(): pass\n"})
    assert said not in parsed(tmp_path)[0]
    (tmp_path / "tests" / "cli.py").unlink()
    (tmp_path / "tests").rmdir()
    write(tmp_path, {"pytest.ini": "[pytest]\naddopts = --doctest-modules\n"})
    assert said not in parsed(tmp_path)[0]


def test_no_test_command_in_a_checkout_without_test_modules_says_so(tmp_path: Path) -> None:
    """python-benedict's sdist: "no test tool found in the project's configuration", as if the
    configuration were at fault; its tests are not in the source distribution. xlrd's too, whose
    setup.py declares pytest (its ``test`` extra): the missing test modules alone are said."""
    write(tmp_path, {"pyproject.toml": '[project]\nname = "benedict"\n', "benedict/__init__.py": ""})
    said = "no test module (test*.py, *_test.py) in this checkout"
    assert said in parsed(tmp_path)[0] and "source distribution" not in parsed(tmp_path)[0]
    write(tmp_path, {"PKG-INFO": "Metadata-Version: 2.1\nName: benedict\n"})
    assert f"{said} (a source distribution without its tests?)" in parsed(tmp_path)[0]
    assert "no test tool found" not in parsed(tmp_path)[0]  # xlrd's setup.py declares pytest
    write(tmp_path, {"tests/test_a.py": "import unittest\n"})
    assert said not in parsed(tmp_path)[0]


def test_a_source_distribution_without_pytest_configuration_runs_its_tests_folder(tmp_path: Path) -> None:
    """fabric 3.2.3's sdist leaves out its ``pytest.ini`` (``testpaths = tests``); run from the top,
    its pytest-relaxed collected setup.py, sites/www/conf.py and integration/: "0 tests … 5 errors
    (5 in collection)" where ``pytest tests`` passes 394. Not in a checkout of the repository (its
    own run is from the top) or with a configuration saying where the tests are."""
    files = {
        "PKG-INFO": "Metadata-Version: 2.1\nName: fab\nVersion: 1.0\n",
        "setup.py": "from setuptools import setup\nsetup(name='fab')\n",
        "dev-requirements.txt": "pytest\npytest-relaxed\n",
        "fab/__init__.py": "",
        "tests/conftest.py": "import pytest\n",
        "tests/connection.py": "def test_a():\n    pass\n",
        "integration/connection.py": "",
    }
    write(tmp_path, files)
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert test[-1] == "tests" and "integration" not in test
    assert (
        "tests: its tests folder (no pytest configuration in this source distribution" in parsed(tmp_path)[0]
    )
    (tmp_path / "PKG-INFO").unlink()  # the repository: its own run is pytest from the top
    assert parsed(tmp_path)[1].profile.governance.commands["test"][-1] != "tests"
    write(tmp_path, {"PKG-INFO": files["PKG-INFO"], "tox.ini": "[testenv]\ncommands = pytest {posargs}\n"})
    assert parsed(tmp_path)[1].profile.governance.commands["test"][-1] != "tests"  # its tox: the top
    (tmp_path / "tox.ini").unlink()
    write(tmp_path, {"pytest.ini": "[pytest]\npython_files = *.py\n"})
    assert parsed(tmp_path)[1].profile.governance.commands["test"][-1] != "tests"


def test_a_source_distributions_test_suite_inside_the_package_is_the_folder_run(tmp_path: Path) -> None:
    """Cerberus 1.3.4: setup.py's ``test_suite="cerberus.tests"``, no pytest configuration; run
    from the top, pytest stopped at its benchmarks (their schemas not in the sdist): "0 tests … 1
    error (1 in collection)", where ``pytest cerberus/tests`` passes 241, and a test broken in
    cerberus/tests was never seen. A folder inside the package no test_suite names: from the top."""
    files = {
        "PKG-INFO": "Metadata-Version: 2.1\nName: Cerberus\nVersion: 1.3.4\n",
        "setup.py": "from setuptools import setup\nsetup(name='Cerberus', tests_require=['pytest'], "
        "test_suite='cerberus.tests')\n",
        "cerberus/__init__.py": "",
        "cerberus/tests/__init__.py": "",
        "cerberus/tests/test_utils.py": "def test_a():\n    pass\n",
        "cerberus/benchmarks/test_overall_performance_2.py": "from cerberus.benchmarks.schemas import x\n",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["test"][-1] == "cerberus/tests"
    assert "cerberus/tests: its tests folder (no pytest configuration in this source distribution" in text
    write(
        tmp_path,
        {"setup.py": "from setuptools import setup\nsetup(name='Cerberus', tests_require=['pytest'])\n"},
    )
    assert parsed(tmp_path)[1].profile.governance.commands["test"][-1] != "cerberus/tests"
