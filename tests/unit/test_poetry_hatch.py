"""Poetry's dependency groups, Hatch's environments and uv's tables read as requirements
(``prp_tasks.environments.poetry``, ``.hatch``), and what a built environment and ``prp init``
make of such projects."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from prp_tasks.core.models import EnvironmentSpec
from prp_tasks.environments.hatch import hatch_groups
from prp_tasks.environments.poetry import poetry_groups, requirement
from prp_tasks.environments.project import plan
from prp_tasks.intake.init.detect import detect

TOMLKIT = """\
[tool.poetry]
name = "tomlkit"
description = "Style preserving TOML library"
authors = ["Sébastien Eustace <sebastien@eustace.io>"]
license = "MIT"

[tool.poetry.dependencies]
python = ">=3.8"

[tool.poetry.dev-dependencies]
pytest = "^7.2.0"
PyYAML = "^6.0"
mypy = "^0.990"

[tool.poetry.group.docs.dependencies]
Sphinx = "~4.3"
furo = {version = ">=2022.9", extras = ["x"], markers = "python_version >= '3.9'"}
local = {path = "../local"}
"""


@pytest.mark.parametrize(
    ("name", "constraint", "expected"),
    [
        ("a", "^7.2.0", "a>=7.2.0,<8.0.0"),
        ("a", "^0.2.3", "a>=0.2.3,<0.3.0"),
        ("a", "^0.0.3", "a>=0.0.3,<0.0.4"),
        ("a", "~1.4", "a>=1.4,<1.5"),
        ("a", "~1", "a>=1,<2"),
        ("a", "1.2.3", "a==1.2.3"),
        ("a", "*", "a"),
        ("a", ">=1.0,<2", "a>=1.0,<2"),
        ("a", ">=1.0 <2", "a>=1.0,<2"),
        ("a", "^1 || ^2", "a"),
        ("a", [{"version": "^1", "python": "<3.8"}, {"version": "^2", "python": ">=3.8"}], "a>=2,<3"),
        ("a", [{"version": "^1", "python": "<3.8"}], "a"),
        ("a", {"git": "https://x/a.git"}, None),
        ("python", "^3.8", None),
    ],
)
def test_poetry_constraints_become_pep_440_specifiers(
    name: str, constraint: object, expected: str | None
) -> None:
    assert requirement(name, constraint) == expected


def test_the_groups_of_a_poetry_project_are_its_dependency_groups(tmp_path: Path) -> None:
    """tomlkit's tests need PyYAML, declared only in its dev-dependencies."""
    (tmp_path / "pyproject.toml").write_text(TOMLKIT)
    groups = poetry_groups({"tool": {"poetry": {"dev-dependencies": {"pytest": "^7"}}}})
    assert groups == {"dev": ["pytest>=7,<8"]}
    assert poetry_groups(tomllib.loads(TOMLKIT)) == {
        "dev": ["pytest>=7.2.0,<8.0.0", "PyYAML>=6.0,<7.0", "mypy>=0.990,<0.991"],
        "docs": ["Sphinx>=4.3,<4.4", "furo[x]>=2022.9; python_version >= '3.9'"],
    }
    built = plan(tmp_path, EnvironmentSpec(use="isolated"))
    assert built.groups == ("dev",) and "PyYAML>=6.0,<7.0" in built.requirements
    assert built.install_project  # Poetry's metadata is not static: the project itself is installed


def test_prp_init_reads_poetry_metadata_and_groups(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(TOMLKIT)
    facts = detect(tmp_path)
    assert (facts.name, facts.description) == ("tomlkit", "Style preserving TOML library")
    assert facts.license == ("MIT", "pyproject.toml [tool.poetry] license")
    assert facts.authors == ["sebastien@eustace.io"] and facts.groups == ["dev", "docs"]
    assert facts.uses("mypy") and facts.pins.get("mypy") == (
        "mypy>=0.990,<0.991",
        "pyproject.toml Poetry group 'dev'",
    )


def test_a_hatch_projects_default_environment_is_its_test_group(tmp_path: Path) -> None:
    """``hatch run test`` runs in the ``default`` environment; a ``test`` one inherits from it."""
    hatch = (
        '[project]\nname = "h"\n[tool.hatch.envs.default]\ndependencies = ["pytest", "coverage[toml]"]\n'
        '[tool.hatch.envs.lint]\ndetached = true\ntemplate = "lint"\ndependencies = ["ruff"]\n'
    )
    (tmp_path / "pyproject.toml").write_text(hatch)
    (tmp_path / "uv.lock").write_text("version = 1\n")
    built = plan(tmp_path, EnvironmentSpec(use="isolated"))
    assert built.groups == ("default",) and built.requirements == ("pytest", "coverage[toml]")
    assert not built.lock  # uv sync knows no Hatch environment: the requirements are installed
    with_test = hatch + '[tool.hatch.envs.test]\nextra-dependencies = ["hypothesis"]\n'
    (tmp_path / "pyproject.toml").write_text(with_test)
    assert hatch_groups(tomllib.loads(with_test)) == {
        "default": ["pytest", "coverage[toml]"],
        "lint": ["ruff"],
        "test": ["pytest", "coverage[toml]", "hypothesis"],
    }
    assert plan(tmp_path, EnvironmentSpec(use="isolated")).groups == ("test",)


def test_uvs_older_dev_dependencies_are_installed_from_its_lock_file(tmp_path: Path) -> None:
    """ftfy: ``[tool.uv] dev-dependencies`` and a uv.lock holding wcwidth 0.2.13; the environment
    was resolved afresh (wcwidth 0.9.5) and a doctest failed that passes with the locked version."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "f"\nversion = "1"\ndependencies = ["wcwidth"]\n'
        '[tool.uv]\ndev-dependencies = ["pytest"]\n'
    )
    (tmp_path / "uv.lock").write_text("version = 1\n")
    built = plan(tmp_path, EnvironmentSpec(use="isolated"))
    assert built.groups == ("dev",) and built.lock  # uv sync --group dev: the locked versions


def test_prp_init_reads_hatch_environments_and_their_scripts(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "h"\n[tool.hatch.envs.default]\n'
        'dependencies = ["pytest", "pytest-cov", "mypy==1.13.0"]\n'
        '[tool.hatch.envs.default.scripts]\ntest = "pytest --doctest-modules {args:tests}"\n'
        'types = ["mypy src/h {args}"]\nspellcheck = ["mkdocs build --strict; pyspelling"]\n'
    )
    (tmp_path / "src" / "h").mkdir(parents=True)
    (tmp_path / "src" / "h" / "__init__.py").write_text("")
    (tmp_path / "tests").mkdir()
    facts = detect(tmp_path)
    assert facts.groups == ["default"] and facts.pins["mypy"][0] == "mypy==1.13.0"
    assert facts.pytest_args == (
        ["--doctest-modules", "tests"],
        "pyproject.toml [tool.hatch.envs.default.scripts] test",
    )
    assert facts.mypy_targets == ["src/h"] and facts.uses("pytest-cov")
    # bracex: the commands of one line of a script ("…; pyspelling": its spell check went unnamed)
    assert facts.unrun == {"pyspelling": ["pyproject.toml [tool.hatch.envs.default.scripts] spellcheck"]}


HATCH_VCS = """\
[envs.default]
dependencies = ["coverage[toml]", "pytest"]
[envs.default.scripts]
test = "pytest {args:tests}"
[envs.lint]
detached = true
dependencies = ["black>=22.10.0", "mypy>=0.991", "ruff>=0.0.166"]
[envs.lint.scripts]
typing = "mypy --install-types --non-interactive {args:hatch_vcs tests}"
style = ["ruff check {args:.}", "black --check --diff {args:.}"]
"""


def test_hatch_toml_environments_and_scripts_are_read_as_pyprojects(tmp_path: Path) -> None:
    """hatch-vcs keeps its environments in hatch.toml: prp init typed only the package (its
    ``typing`` script checks the tests too), and the tools' versions were "not pinned". A
    detached environment inherits nothing (its lint env has no pytest)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "hatch-vcs"\n[tool.mypy]\n')
    (tmp_path / "hatch.toml").write_text(HATCH_VCS)
    for folder in ("hatch_vcs", "tests"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    facts = detect(tmp_path)
    assert facts.mypy_targets == ["hatch_vcs", "tests"] and facts.pins["black"][0] == "black>=22.10.0"
    assert facts.pytest_args == (["tests"], "hatch.toml [envs.default.scripts] test")
    assert "hatch.toml Hatch environment 'lint'" in facts.tools["ruff"]
    assert hatch_groups(tomllib.loads("[tool.hatch]\n" + HATCH_VCS.replace("[envs", "[tool.hatch.envs")))[
        "lint"
    ] == ["black>=22.10.0", "mypy>=0.991", "ruff>=0.0.166"]
    built = plan(tmp_path, EnvironmentSpec(use="isolated"))
    assert built.groups == ("default",) and "hatch.toml" in built.declared


def test_uvs_older_dev_dependencies_are_the_dev_group(tmp_path: Path) -> None:
    """python-multipart: ``[tool.uv] dev-dependencies`` held PyYAML, pytest-cov and its ruff pin."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "mp"\n[tool.uv]\n'
        'dev-dependencies = ["pytest-cov==5.0.0", "PyYAML==6.0.1", "ruff==0.8.0"]\n'
    )
    built = plan(tmp_path, EnvironmentSpec(use="isolated"))
    assert built.groups == ("dev",) and "PyYAML==6.0.1" in built.requirements
    facts = detect(tmp_path)
    assert facts.uses("pytest-cov") and facts.pins["ruff"][0] == "ruff==0.8.0"


def test_requirements_uv_takes_from_a_folder_are_left_out(tmp_path: Path) -> None:
    """dynaconf's test group names its release utility, a path source in ``.github/`` its sdist
    leaves out: the installer looked for it on the package index and no check of the run started."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "d"\ndependencies = ["attrs", "helper-lib>=1", "member"]\n'
        '[dependency-groups]\ntest = ["dynaconf-release-utility", "pytest>=9", "torch"]\n'
        "[tool.uv.sources]\n"
        'dynaconf_release_utility = { path = ".github/scripts/", editable = true }\n'
        'helper-lib = [{ git = "https://example.org/h.git", marker = "sys_platform == \'linux\'" }]\n'
        'member = { workspace = true }\ntorch = { index = "pytorch" }\n'
    )
    built = plan(tmp_path, EnvironmentSpec(use="isolated"))
    assert built.requirements == ("attrs", "helper-lib>=1", "pytest>=9", "torch")  # the index's may do
    assert (
        built.sources[-1] == "left out, from a folder ([tool.uv.sources]): member, dynaconf-release-utility"
    )


PENDULUM = """[project]
name = "pendulum"
version = "3.3.0"
dependencies = ["python-dateutil>=2.6", "tzdata>=2020.1"]

[tool.poetry.group.test.dependencies]
pytest = "^7.1.2"
"""


def test_a_poetry_table_of_groups_beside_static_project_metadata_installs_no_build(tmp_path: Path) -> None:
    """pendulum 3.3.0: ``[project]`` with its dependencies, Poetry's table for groups only, and a
    Rust extension that cannot be built offline: the project was installed to learn dependencies it
    states, the build failed, and every check (ruff's and mypy's, which need nothing built) failed
    with "environment setup failed"."""
    (tmp_path / "pyproject.toml").write_text(PENDULUM)
    built = plan(tmp_path, EnvironmentSpec(use="isolated"))
    assert not built.install_project and "python-dateutil>=2.6" in built.requirements
    dynamic = PENDULUM.replace(
        'dependencies = ["python-dateutil>=2.6", "tzdata>=2020.1"]', 'dynamic = ["dependencies"]'
    )
    (tmp_path / "pyproject.toml").write_text(dynamic)
    assert plan(tmp_path, EnvironmentSpec(use="isolated")).install_project  # Poetry fills them
