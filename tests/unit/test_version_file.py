"""The version module a project's build writes, put in the run's workspace when missing there
(``prp_tasks.environments.version_file``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prp_tasks.environments.version_file import (
    declared_version_files,
    ensure_version_files,
    setup_py_version_files,
)

HATCH = (
    '[project]\nname = "hum"\ndynamic = ["version"]\n'
    '[tool.hatch]\nbuild.hooks.vcs.version-file = "src/hum/_version.py"\n'
)


def project(root: Path, pyproject: str) -> Path:
    (root / "src" / "hum").mkdir(parents=True)
    (root / "src" / "hum" / "__init__.py").write_text("from hum._version import __version__\n")
    (root / "pyproject.toml").write_text(pyproject)
    return root


def test_the_users_generated_version_file_is_copied_into_the_workspace(tmp_path: Path) -> None:
    """humanize: its _version.py is git-ignored, so the workspace lacked it and every test module
    failed to import, unless an environment build happened to write it there."""
    source, workspace = project(tmp_path / "mine", HATCH), project(tmp_path / "ws", HATCH)
    (source / "src" / "hum" / "_version.py").write_text("__version__ = version = '4.17.0'\n")
    assert ensure_version_files(workspace, source) == ["src/hum/_version.py"]
    done = subprocess.run(
        [sys.executable, "-c", "import hum; print(hum.__version__)"],
        cwd=workspace / "src", capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "4.17.0"
    assert ensure_version_files(workspace, source) == []  # there now: left as it is


def test_without_the_users_copy_the_version_file_is_written_from_pkg_info(tmp_path: Path) -> None:
    scm = '[project]\nname = "hum"\n[tool.setuptools_scm]\nversion_file = "src/hum/_version.py"\n'
    workspace = project(tmp_path / "ws", scm)
    (workspace / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: hum\nVersion: 1.2.3\n\n")
    assert ensure_version_files(workspace, workspace) == ["src/hum/_version.py"]
    namespace: dict[str, object] = {}
    exec((workspace / "src" / "hum" / "_version.py").read_text(), namespace)
    assert namespace["__version__"] == "1.2.3" and namespace["version_tuple"] == (1, 2, 3)


def test_only_paths_inside_the_project_are_declared() -> None:
    assert declared_version_files({"tool": {"setuptools_scm": {"write_to": "../x.py"}}}) == []
    assert declared_version_files({"tool": {"setuptools_scm": {"write_to": "/etc/x.py"}}}) == []
    assert declared_version_files({"tool": {"setuptools_scm": {"write_to": "pkg/_v.py"}}}) == ["pkg/_v.py"]


def test_a_project_stating_its_version_gets_no_version_file() -> None:
    """parse_type: ``version = "0.6.6"`` (``dynamic`` commented out) beside ``[tool.setuptools_scm]
    version_file``; the file put in the workspace counted in its coverage (96.94% for 97.25%) and
    among the files black would reformat (34 for 33)."""
    scm = {"tool": {"setuptools_scm": {"version_file": "pt/_version.py"}}}
    assert declared_version_files({"project": {"name": "pt", "version": "0.6.6"}, **scm}) == []
    dynamic = {"name": "pt", "version": "0.6.6", "dynamic": ["version"]}  # (invalid, but says dynamic)
    assert declared_version_files({"project": dynamic, **scm}) == ["pt/_version.py"]
    assert declared_version_files({"project": {"name": "pt", "dynamic": ["version"]}, **scm}) == [
        "pt/_version.py"
    ]


CLOUP_SETUP = """
from setuptools import setup
setup(
    name='cloup',
    setup_requires=['setuptools_scm'],
    use_scm_version={
        'write_to': 'cloup/_version.py'
    },
)
"""


def test_setup_pys_use_scm_version_write_to_is_put_in_the_workspace(tmp_path: Path) -> None:
    """cloup 3.0.7: ``use_scm_version={'write_to': 'cloup/_version.py'}`` in setup.py, the file
    git-ignored: its first run passed (the environment's build wrote the file into the workspace),
    every later one on the same commit failed "cannot import name '_version'" (the environment
    cached, nothing wrote it)."""
    source, workspace = tmp_path / "mine", tmp_path / "ws"
    for root in (source, workspace):
        (root / "cloup").mkdir(parents=True)
        (root / "setup.py").write_text(CLOUP_SETUP)
        (root / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools", "setuptools_scm"]\n')
    (source / "cloup" / "_version.py").write_text("version = '3.0.7'\n")
    assert ensure_version_files(workspace, source) == ["cloup/_version.py"]
    assert (workspace / "cloup" / "_version.py").read_text() == "version = '3.0.7'\n"
    (workspace / "pyproject.toml").unlink()  # a setup.py alone: the same
    (workspace / "cloup" / "_version.py").unlink()
    assert ensure_version_files(workspace, source) == ["cloup/_version.py"]


def test_a_setup_py_states_its_version_file_in_either_spelling() -> None:
    assert setup_py_version_files("setup(use_scm_version=dict(write_to='a/_v.py'))") == ["a/_v.py"]
    assert setup_py_version_files('use_scm_version={"version_file": "a/_v.py", "local_scheme": "x"}') == [
        "a/_v.py"
    ]
    assert setup_py_version_files("setup(use_scm_version=True)") == []
    assert setup_py_version_files("use_scm_version={'write_to': '../x.py'}") == []
