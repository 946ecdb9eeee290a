"""A setup.cfg's requirement lists as setuptools reads them: one per line, or on one line with
semicolons between them (setuptools' ``list-semi``)."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.core.models import EnvironmentSpec
from prp_tasks.environments.extra_requirements import extra_requirements
from prp_tasks.environments.project import plan
from prp_tasks.environments.projectfiles import setup_cfg_list
from tests.unit.test_init import parsed

SETUP_CFG = """[metadata]
name = stack_data
[options]
install_requires = executing>=1.2.0; asttokens>=2.1.0; pure_eval
[options.extras_require]
tests = pytest; typeguard; pygments; littleutils; cython
"""


def test_a_list_on_one_line_is_separated_by_semicolons() -> None:
    assert setup_cfg_list(" pytest; typeguard ;cython ") == ["pytest", "typeguard", "cython"]
    assert setup_cfg_list("\npytest; python_version < '3.8'\nmock\n") == [
        "pytest; python_version < '3.8'",
        "mock",
    ]
    # async-lru: one requirement on the line under the key, with its marker
    assert setup_cfg_list('\ntyping_extensions>=4.0.0; python_version<"3.11"') == [
        'typing_extensions>=4.0.0; python_version<"3.11"'
    ]


def test_a_semicolon_separated_extra_installs_each_requirement(tmp_path: Path) -> None:
    """stack_data 0.6.3: "Couldn't parse requirement … found 'typeguard;'": the environment could
    not be built and no test ran (its suite: 14 passed, 7 failed)."""
    (tmp_path / "setup.cfg").write_text(SETUP_CFG)
    built = plan(tmp_path, EnvironmentSpec(extras=("tests",)))
    tests = ("pytest", "typeguard", "pygments", "littleutils", "cython")
    assert built.requirements == ("executing>=1.2.0", "asttokens>=2.1.0", "pure_eval", *tests)
    assert extra_requirements(tmp_path)["tests"] == list(tests)
    (tmp_path / "stack_data").mkdir()
    (tmp_path / "stack_data" / "__init__.py").write_text("")
    assert "detected: pytest: setup.cfg extra 'tests'" in parsed(tmp_path)[0]
