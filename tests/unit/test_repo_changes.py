"""What a run says about uncommitted changes: the paths `git status` lists, shown in prp.md's
header (a user who ran `prp init` and not yet committed initial.md read only "+ uncommitted
changes")."""

from __future__ import annotations

import subprocess
from pathlib import Path

from prp_tasks.core.render import render_outputs
from prp_tasks.core.run import CHANGES_KEPT
from prp_tasks.intake.repo import changed_paths, inspect_repo
from tests.unit.render_builders import all_passed


def git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def test_the_uncommitted_paths_are_listed_with_renames_and_odd_names(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    for name in ("kept.py", "old.py", "edited.py"):
        (tmp_path / name).write_text("x = 1\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    clean = inspect_repo(tmp_path)
    assert (clean.dirty, clean.changed, clean.changes) == (False, 0, ())
    (tmp_path / "edited.py").write_text("x = 2\n")  # " M": the status opens with a space
    git(tmp_path, "mv", "old.py", "new.py")
    (tmp_path / "initial.md").write_text("# t\n")
    (tmp_path / "a b\tc.md").write_text("")  # git quotes such a name without -z
    info = inspect_repo(tmp_path)
    assert info.dirty and info.changed == 4
    assert sorted(info.changes) == ["a b\tc.md", "edited.py", "initial.md", "new.py"]


def test_porcelain_entries_are_read_without_a_rename_source() -> None:
    status = " M src/a.py\0R  b.py\0old b.py\0?? initial.md\0"
    assert changed_paths(status) == ["src/a.py", "b.py", "initial.md"]
    assert changed_paths("") == []


def test_many_changes_are_counted_and_the_first_kept(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    for i in range(CHANGES_KEPT + 5):
        (tmp_path / f"f{i:02d}.txt").write_text("")
    info = inspect_repo(tmp_path)
    assert info.changed == CHANGES_KEPT + 5 and len(info.changes) == CHANGES_KEPT


def commit_line(changed: int, changes: tuple[str, ...]) -> str:
    snapshot = all_passed()
    repo = snapshot.spec.repo.model_copy(update={"dirty": True, "changed": changed, "changes": changes})
    snapshot = snapshot.model_copy(update={"spec": snapshot.spec.model_copy(update={"repo": repo})})
    lines = render_outputs(snapshot)["prp.md"].splitlines()
    return next(line for line in lines if line.startswith("- **Commit:**"))


def test_the_header_names_the_uncommitted_paths() -> None:
    assert commit_line(1, ("initial.md",)).endswith(" + uncommitted changes: `initial.md`")
    many = commit_line(12, ("a.py", "b.py", "c.py", "d.py"))
    assert many.endswith(" + 12 uncommitted changes (`a.py`, `b.py`, `c.py`, …)")
    assert commit_line(0, ()).endswith(" + uncommitted changes")  # a spec of the previous version


def test_a_clone_of_a_local_path_names_no_owner(tmp_path: Path) -> None:
    """python-dotenv cloned from /tmp/trialD/python_dotenv-1.2.4: prp.md said "Repository:
    trialD/python_dotenv-1.2.4, Owner: trialD", the folders of the path it was cloned from."""
    repo = tmp_path / "dotenv-broken"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.py").write_text("")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    git(repo, "remote", "add", "origin", str(tmp_path / "trialD" / "python_dotenv-1.2.4"))
    info = inspect_repo(repo)
    assert (info.owner, info.repo) == ("local", "dotenv-broken")
    git(repo, "remote", "set-url", "origin", "git@github.com:theskumar/python-dotenv.git")
    info = inspect_repo(repo)
    assert (info.owner, info.repo) == ("theskumar", "python-dotenv")
