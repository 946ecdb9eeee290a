"""Test modules pytest does not collect by its default names (``prp_tasks.intake.init.pytest_files``):
the test command names theirs."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_init import parsed, write


def test_test_modules_named_Test_star_are_collected_by_their_names(tmp_path: Path) -> None:
    """parsedatetime 2.6: ``tests/TestUnits.py`` and 30 more, run by its ``setup.py test``:
    ``pytest tests`` found none ("no test was found to run"), and a failing test read the same."""
    files = {
        "setup.py": "setup(name='parsedatetime', tests_require=['pytest'], test_suite='tests')\n",
        "parsedatetime/__init__.py": "",
        "tests/__init__.py": "",
        "tests/TestUnits.py": "import unittest\n",
        "requirements.testing.txt": "pytest\n",
    }
    write(tmp_path, files)
    said, result = parsed(tmp_path)
    argv = result.profile.governance.commands["test"]
    assert argv[:5] == ("python", "-m", "pytest", "-o", "python_files=Test*.py")
    assert "its test modules are named Test*.py (tests/), which pytest does not collect by default" in said
    write(tmp_path, {"tests/test_more.py": ""})  # one pytest collects: its names are the project's
    assert "python_files" not in " ".join(parsed(tmp_path)[1].profile.governance.commands["test"])
    write(tmp_path, {"setup.cfg": "[tool:pytest]\npython_files = Test*.py\n"})
    (tmp_path / "tests/test_more.py").unlink()
    assert "python_files=Test*.py" not in parsed(tmp_path)[1].profile.governance.commands["test"]  # its own


def test_unittest_discovery_is_told_the_names_of_modules_it_would_not_find(tmp_path: Path) -> None:
    """commonmark 0.9.2: ``commonmark/tests/unit_tests.py`` and ``rst_tests.py``; ``unittest
    discover -s commonmark/tests`` found none of them ("but no test ran": its 15 tests never ran)."""
    files = {
        "setup.py": "setup(name='commonmark')\n",
        "commonmark/__init__.py": "",
        "commonmark/tests/__init__.py": "",
        "commonmark/tests/unit_tests.py": "import unittest\n",
    }
    write(tmp_path, files)
    said, result = parsed(tmp_path)
    argv = result.profile.governance.commands["test"]
    assert argv[:4] == ("python", "-m", "unittest", "discover") and argv[-2:] == ("-p", "*_tests.py")
    assert "its test modules are named *_tests.py (commonmark/tests/), which unittest's discovery" in said
    write(tmp_path, {"commonmark/tests/test_more.py": ""})  # one it finds: its names are the project's
    assert "-p" not in parsed(tmp_path)[1].profile.governance.commands["test"]


def test_a_doctest_text_file_the_projects_pytest_command_names_beside_its_tests_is_run(
    tmp_path: Path,
) -> None:
    """tblib's tox: ``pytest … tests README.rst`` (its ``--doctest-glob=*.rst``): the README's doctest
    was left out, 63 tests where the project runs 64; natsort's first command names only its docs
    (``pytest README.rst docs/examples.rst``), its tests run by a later one: no path kept there."""
    tox = "[tox]\nenvlist = py\n[testenv]\ncommands = pytest --cov --cov-report=xml -vv tests README.rst\n"
    files = {"tox.ini": tox, "setup.py": "", "tblib/__init__.py": "", "tests/test_a.py": "", "README.rst": ""}
    write(tmp_path, files | {"pytest.ini": "[pytest]\naddopts = --doctest-glob=*.rst\n"})
    argv = parsed(tmp_path)[1].profile.governance.commands["test"]
    assert argv[argv.index("tests") + 1] == "README.rst"
    docs_only = "[tox]\nenvlist = py\n[testenv]\ncommands =\n    pytest README.rst\n    pytest\n"
    write(tmp_path, {"tox.ini": docs_only})
    assert "README.rst" not in parsed(tmp_path)[1].profile.governance.commands["test"]
