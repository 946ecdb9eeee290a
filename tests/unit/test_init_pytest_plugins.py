"""The pytest plugins whose options the project's pytest configuration sets
(``prp_tasks.intake.init.pytest_plugins``): installed for its tests when declared nowhere."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_init import parsed, write

JANUS_CFG = (
    "[metadata]\nname = janus\n\n[options]\npackages = janus\n\n[tool:pytest]\naddopts = -q\n"
    "asyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
)


def packages(repo: Path) -> list[str]:
    env = parsed(repo)[1].profile.environment
    assert env is not None
    return [str(p) for p in env.packages]


def test_a_plugin_whose_options_the_pytest_configuration_sets_is_installed_when_declared_nowhere(
    tmp_path: Path,
) -> None:
    """janus' sdist: ``asyncio_mode`` in setup.cfg, no test dependency declared; without
    pytest-asyncio its ``filterwarnings = error`` made pytest's "Unknown config option" an internal
    error: "tests fail" where its 103 tests pass."""
    write(tmp_path, {"setup.cfg": JANUS_CFG, "setup.py": "", "janus/__init__.py": "", "tests/test_a.py": ""})
    text = parsed(tmp_path)[0]
    assert "pytest-asyncio" in packages(tmp_path)
    assert "sets its option (setup.cfg [tool:pytest] asyncio_mode); declared nowhere" in text


def test_a_plugin_the_project_declares_is_left_to_its_declaration(tmp_path: Path) -> None:
    """pyproject's ``[tool.pytest.ini_options] timeout`` is pytest-timeout's; declared in the
    project's test extra, it comes with that at the version the project asks for."""
    pyproject = (
        '[project]\nname = "p"\nversion = "1"\n[project.optional-dependencies]\n'
        'test = ["pytest", "pytest-timeout>=2"]\n[tool.pytest.ini_options]\ntimeout = 10\n'
    )
    write(tmp_path, {"pyproject.toml": pyproject, "p/__init__.py": "", "tests/test_a.py": ""})
    assert "pytest-timeout" not in packages(tmp_path)
    write(tmp_path, {"pyproject.toml": pyproject.replace(', "pytest-timeout>=2"', "")})
    assert "pytest-timeout" in packages(tmp_path)


def test_an_ini_files_option_is_read_whatever_its_case(tmp_path: Path) -> None:
    """pytest.ini's ``DJANGO_SETTINGS_MODULE`` (pytest-django's), read lower-cased from the file."""
    ini = "[pytest]\nDJANGO_SETTINGS_MODULE = site.settings\n"
    write(tmp_path, {"pytest.ini": ini, "setup.py": "", "site/__init__.py": "", "tests/test_a.py": ""})
    assert "pytest-django" in packages(tmp_path)
