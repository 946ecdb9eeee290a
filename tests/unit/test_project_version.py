"""The release notes' version is the project's own (issue 19's trial: every prp.md said 0.1.0)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from prp_tasks.core.render import render_outputs
from prp_tasks.intake.repo import project_version
from prp_tasks.intake.submission import with_version
from tests.unit.render_builders import all_passed


def git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def test_the_version_comes_from_the_declarations_then_pkg_info_then_the_latest_tag(tmp_path: Path) -> None:
    assert project_version(tmp_path) is None
    git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    git(tmp_path, "tag", "v1.5.0")
    assert project_version(tmp_path) == ("1.5.0", "the latest git tag, v1.5.0")  # slugify: "v8.0.4"
    git(tmp_path, "tag", "release-2")
    assert project_version(tmp_path) == ("release-2", "the latest git tag")
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: pluggy\nVersion: 1.5.0\n")
    assert project_version(tmp_path) == ("1.5.0", "PKG-INFO")
    (tmp_path / "setup.cfg").write_text("[metadata]\nversion = attr: pkg.VERSION\n")
    assert project_version(tmp_path) == ("1.5.0", "PKG-INFO")  # computed: not ours to evaluate
    (tmp_path / "setup.cfg").write_text("[metadata]\nversion = 2.0\n")
    assert project_version(tmp_path) == ("2.0", "setup.cfg")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "24.0"\n')
    assert project_version(tmp_path) == ("24.0", "pyproject.toml")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndynamic = ["version"]\n')
    assert project_version(tmp_path) == ("2.0", "setup.cfg")


def test_the_release_notes_show_it_unless_the_blueprint_names_one() -> None:
    snapshot = all_passed()
    spec = snapshot.spec
    found = ("24.0", "pyproject.toml")
    versioned = spec.model_copy(update={"blueprint": with_version(spec.blueprint, found)})
    notes = render_outputs(snapshot.model_copy(update={"spec": versioned}))["prp.md"].split("## 11.")[1]
    assert "**Version:** 24.0" in notes
    header = render_outputs(snapshot.model_copy(update={"spec": versioned}))["prp.md"].split("\n## ")[0]
    assert "- **Version:** 24.0" in header  # the header too (upstream: metadata.version, default 0.1.0)
    assert "**Version:** unknown" in render_outputs(snapshot)["prp.md"].split("## 11.")[1]  # none found
    named = spec.blueprint.model_copy(update={"metadata": {"version": "3.1"}})
    assert with_version(named, found).metadata["version"] == "3.1"


def test_the_version_a_module_holds_and_poetrys_are_read(tmp_path: Path) -> None:
    """asgiref (``version = attr: asgiref.__version__``) and sortedcontainers (``version=
    sortedcontainers.__version__``) from git showed "Version: 0.1.0"; so did shortuuid's Poetry."""
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = asgiref\nversion = attr: asgiref.__version__\n")
    (tmp_path / "asgiref").mkdir()
    (tmp_path / "asgiref" / "__init__.py").write_text('__version__ = "3.8.1"\n')
    assert project_version(tmp_path) == ("3.8.1", "asgiref/__init__.py")
    (tmp_path / "setup.cfg").unlink()
    (tmp_path / "setup.py").write_text("import asgiref\nsetup(name='a', version=asgiref.__version__)\n")
    assert project_version(tmp_path) == ("3.8.1", "asgiref/__init__.py")
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "shortuuid"\nversion = "1.0.13"\n')
    assert project_version(tmp_path) == ("1.0.13", "pyproject.toml")


def test_setup_pys_literal_flits_module_and_the_module_named_as_the_project(tmp_path: Path) -> None:
    """jmespath (``version='1.0.1'`` in setup.py), markdown-it-py (flit: ``dynamic = ["version"]``
    read from ``markdown_it.__version__``) and schema (setup.py reads ``schema.py``'s lines) from
    git said "Version: unknown"."""
    (tmp_path / "setup.py").write_text("setup(\n    name='jmespath',\n    version='1.0.1',\n)\n")
    assert project_version(tmp_path) == ("1.0.1", "setup.py")
    (tmp_path / "setup.py").write_text("setup(name='schema', version=version)\n")
    (tmp_path / "schema.py").write_text('__version__ = "0.7.7"\n')
    assert project_version(tmp_path) == ("0.7.7", "schema.py")
    (tmp_path / "setup.py").unlink()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "markdown-it-py"\ndynamic = ["version"]\n'
        '[tool.flit.module]\nname = "markdown_it"\n'
    )
    (tmp_path / "markdown_it").mkdir()
    (tmp_path / "markdown_it" / "__init__.py").write_text('__version__ = "4.2.0"\n')
    assert project_version(tmp_path) == ("4.2.0", "markdown_it/__init__.py")


def test_a_version_file_setup_cfg_names_and_a_name_setup_py_binds_are_read(tmp_path: Path) -> None:
    """pytz-deprecation-shim's ``version = file: VERSION``; text-unidecode's ``__version__ = '1.3'``
    then ``version=__version__`` in setup.py: both read "unknown" without a PKG-INFO."""
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = shim\nversion = file: VERSION\n")
    (tmp_path / "VERSION").write_text("0.1.0.post0\n")
    assert project_version(tmp_path) == ("0.1.0.post0", "setup.cfg (file: VERSION)")
    (tmp_path / "setup.cfg").write_text("[metadata]\nversion = file: ../VERSION\n")
    assert project_version(tmp_path) is None  # a file of the checkout only
    (tmp_path / "setup.cfg").unlink()
    (tmp_path / "setup.py").write_text(
        "__version__ = '1.3'\nsetup(\n    name='text-unidecode',\n    version=__version__,\n)\n"
    )
    assert project_version(tmp_path) == ("1.3", "setup.py")


def test_commits_after_the_latest_tag_are_no_release_of_it_and_setup_pys_executed_file_is_read(
    tmp_path: Path,
) -> None:
    """h11 three commits after v0.16.0 (one "Bump version to 0.16.0+dev", in the
    ``h11/_version.py`` its setup.py executes) was released as 0.16.0, with 0.16.0's notes."""
    git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    git(tmp_path, "tag", "v0.16.0")
    git(tmp_path, "commit", "-qm", "two", "--allow-empty")
    version, said = project_version(tmp_path) or ("", "")
    assert (
        version.startswith("0.16.0+1.g")
        and said == "the latest git tag, v0.16.0, 1 commit(s) before this one"
    )
    setup = '# defines __version__\nexec(open("h11/_version.py").read())\n'
    setup += 'setup(name="h11", version=__version__)\n'
    (tmp_path / "setup.py").write_text(setup)
    (tmp_path / "h11").mkdir()
    (tmp_path / "h11" / "_version.py").write_text('__version__ = "0.16.0+dev"\n')
    assert project_version(tmp_path) == ("0.16.0+dev", "h11/_version.py")


def test_a_version_made_by_an_expression_is_none(tmp_path: Path) -> None:
    """alive-progress' ``__version__ = '.'.join(map(str, VERSION))`` read as the version ``.``
    (prp.md's ``**Version:** .``, release notes of a README section); an annotated literal is one."""
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name='alive_progress')\n")
    package = tmp_path / "alive_progress"
    package.mkdir()
    (package / "__init__.py").write_text("VERSION = (3, 3, 0)\n__version__ = '.'.join(map(str, VERSION))\n")
    assert project_version(tmp_path) is None
    (package / "__init__.py").write_text('__version__: str = "3.3.0"  # the release\n')
    assert project_version(tmp_path) == ("3.3.0", "alive_progress/__init__.py")
