"""The modules of a built environment's copy of the project that a check would import from it
(``prp_tasks.environments.owncopy``): those found neither on PYTHONPATH, in the working directory
nor at the top of the workspace, when the copy is another run's."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.environments.owncopy import stale_modules

RECORD = """\
topext.cpython-311-x86_64-linux-gnu.so,sha256=a,1
pkg/__init__.py,sha256=b,2
pkg/__pycache__/__init__.cpython-311.pyc,,
single.py,sha256=c,3
_private_helper.py,sha256=d,4
proj-1.0.dist-info/RECORD,,
proj-1.0.dist-info/METADATA,sha256=e,5
../../bin/proj-cli,sha256=f,6
proj-nspkg.pth,sha256=g,7
__editable__.proj-1.0.pth,sha256=h,8
"""


def environment(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    info = venv / "lib/python3.11/site-packages/proj-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "RECORD").write_text(RECORD)
    return venv


def test_the_modules_of_another_runs_copy_the_checkout_lacks_are_named(tmp_path: Path) -> None:
    venv, top = environment(tmp_path), tmp_path / "work"
    top.mkdir()
    record = {"installed": ["proj @ file:///var/tmp/x/worktrees/run-aaaa1111-00000000", "six==1.16"]}
    assert stale_modules(record, venv, "Proj", "run-bbbb2222-00000000", [top]) == [
        "_private_helper",
        "pkg",
        "single",
        "topext",
    ]
    assert stale_modules(record, venv, "proj", "run-aaaa1111-00000000", [top]) == []  # this run's own
    (top / "pkg").mkdir()
    (top / "single.py").write_text("")
    (top / "_private_helper.py").write_text("")
    (top / "topext.cpython-311-x86_64-linux-gnu.so").write_text("")  # built in place: the checkout's
    assert stale_modules(record, venv, "proj", "run-bbbb2222-00000000", [tmp_path / "src", top]) == []
    assert stale_modules({"installed": ["six==1.16"]}, venv, "proj", "run-b", [tmp_path]) == []  # no copy
    assert stale_modules(record, venv, None, "run-b", [tmp_path]) == []
