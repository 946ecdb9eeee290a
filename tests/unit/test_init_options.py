"""``prp init`` keeps the options of the project's own lint and type-check commands that change
what they report, but not one naming a configuration file the checkout does not have."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_init import parsed, write

TOX = (
    "[tox]\nenvlist = py, mypy\n\n[testenv:mypy]\ndeps = mypy\n"
    "commands = mypy --config-file=mypy.ini -p pkg\n"
)


def _type_check(repo: Path) -> str:
    return next(line for line in parsed(repo)[0].splitlines() if line.strip().startswith("type-check:"))


def test_a_config_file_option_naming_no_file_of_the_checkout_is_left_out(tmp_path: Path) -> None:
    """responses 0.26.3's sdist has no mypy.ini: ``--config-file=mypy.ini`` made mypy exit 2 on
    "Cannot find config file", and the type check failed with no code checked."""
    write(
        tmp_path,
        {"tox.ini": TOX, "setup.py": "import setuptools\nsetuptools.setup()\n", "pkg/__init__.py": ""},
    )
    assert "--config-file" not in _type_check(tmp_path)
    write(tmp_path, {"mypy.ini": "[mypy]\nstrict = True\n"})
    assert '"--config-file=mypy.ini"' in _type_check(tmp_path)


def test_a_flake8_config_option_naming_no_file_is_left_out(tmp_path: Path) -> None:
    tox = (
        "[tox]\nenvlist = lint\n\n[testenv:lint]\ndeps = flake8\n"
        "commands = flake8 --config lint.cfg --max-line-length 99 pkg\n"
    )
    write(
        tmp_path,
        {"tox.ini": tox, "setup.py": "import setuptools\nsetuptools.setup()\n", "pkg/__init__.py": ""},
    )
    lint = next(line for line in parsed(tmp_path)[0].splitlines() if line.strip().startswith("lint:"))
    assert "lint.cfg" not in lint and '"--max-line-length", "99"' in lint


def test_mypy_run_with_install_types_says_the_stubs_must_be_in_the_environment(tmp_path: Path) -> None:
    """freezegun's tox runs ``mypy freezegun tests --install-types --non-interactive``: 6 of the
    9 errors prp's type check reported were stubs mypy would have installed, unsaid."""
    tox = "[testenv:mypy]\ndeps = mypy\ncommands = mypy freezegun tests --install-types --non-interactive\n"
    write(tmp_path, {"tox.ini": tox, "freezegun/__init__.py": "", "tests/test_a.py": "def test_a(): pass\n"})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-2:] == ("freezegun", "tests")
    assert "--install-types" not in result.profile.governance.commands["type-check"]
    assert "tox.ini [testenv:mypy] runs it with --install-types, which installs the stub packages" in text
