"""Runs on a git source: checks on any worker get the exact commit and the files earlier checks made.

The remote is a local bare repository (``file://``). Worker processes get separate workspace
cache directories, as on separate machines; only Redis is shared.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.errors import InputError
from prp_tasks.intake.sources import RunSource
from prp_tasks.intake.submission import SubmitRequest, prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from tests.conftest import wait_until
from tests.integration.test_worker_loss import Workers, private, workers  # noqa: F401

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}

PRODUCE = (
    "import os, pathlib; pathlib.Path('out').mkdir(exist_ok=True); "
    "pathlib.Path('out/data.txt').write_text('made from ' + open('src.txt').read()); "
    "print(os.getcwd().replace('/', '|'))"
)
CONSUME = "import os; print(os.getcwd().replace('/', '|')); print(open('out/data.txt').read())"

HANDOFF = f"""
name: handoff
gates:
  - id: A
    checks:
      - {{name: produce, run: [python, -c, {json.dumps(PRODUCE)}], produces: [out/data.txt]}}
    APPROVAL
  - id: B
    depends_on: [A]
    checks:
      - {{name: consume, run: [python, -c, {json.dumps(CONSUME)}], needs: [out/data.txt]}}
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class Origin:
    """A checkout (``work``) whose ``origin`` is a bare repository reached over ``file://``."""

    work: Path
    url: str

    def commit(self, files: dict[str, str], message: str = "change", push: bool = True) -> str:
        for name, text in files.items():
            (self.work / name).write_text(text)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", message)
        if push:
            git(self.work, "push", "-q", "origin", "HEAD:main")
        return git(self.work, "rev-parse", "HEAD")


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "remote", "add", "origin", bare.as_uri())
    made = Origin(work, bare.as_uri())
    made.commit({"src.txt": "v1", ".gitignore": "out/\n"}, "first")
    git(work, "branch", "-q", "-u", "origin/main")
    return made


def handoff(approval: bool) -> str:
    return HANDOFF.replace("APPROVAL", "approval: {role: maintainer}" if approval else "")


def evidence(snapshot: RunSnapshot, gate: str, check: str) -> dict[str, Any]:
    result = snapshot.gates[gate].checks[check]
    content: dict[str, Any] = json.loads(result.evidence[0].content)
    return content


def where(path: Path) -> str:
    """A directory as the checks print it: with ``|`` for ``/``, as a plain word (a path in the
    workspace would be shown relative to it, ``.`` here, which says nothing about the machine)."""
    return str(path).replace("/", "|")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cache_env(path: Path) -> dict[str, str]:
    return {"PRP_WORKSPACE__CACHE_DIR": str(path)}


def test_a_file_made_on_one_worker_reaches_a_check_on_another(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    origin: Origin,
    tmp_path: Path,
) -> None:
    first_cache, second_cache = tmp_path / "machine-1", tmp_path / "machine-2"
    first = workers.start(cache_env(first_cache))
    control = Runtime(private).control
    spec = prepare_run(
        origin.work, workflow=parse_workflow(handoff(approval=True)), source=RunSource(distributed=True)
    )
    assert spec.repo.url == origin.url and spec.repo.path == str(origin.work.resolve())
    run_id = control.submit(spec)
    wait_until(lambda: control.store.gate_status(run_id, "A").value == "awaiting_approval", timeout=60)
    os.killpg(first.pid, signal.SIGKILL)  # machine 1 goes away; its files stay on its disk only
    first.wait()
    workers.start(cache_env(second_cache))
    control.decide(run_id, "A", actor="alice", approve=True)
    assert control.wait_final(run_id, 60)
    snapshot = control.snapshot(run_id)
    assert snapshot.status == RunStatus.PASSED, snapshot.gates["B"].checks
    made, used = evidence(snapshot, "A", "produce"), evidence(snapshot, "B", "consume")
    assert made["files"]["produced"][0]["sha256"] == used["files"]["needed"][0]["sha256"]
    assert made["files"]["produced"][0]["sha256"] == sha256("made from v1")
    assert used["files"]["needed"][0]["from"] == "A/produce"
    assert where(first_cache / "worktrees" / run_id) in made["stdout_tail"]
    assert where(second_cache / "worktrees" / run_id) in used["stdout_tail"]
    assert "made from v1" in used["stdout_tail"]
    # the finished run's worktree is removed from the worker still running
    wait_until(lambda: not (second_cache / "worktrees" / run_id).exists(), timeout=20)


def test_runs_pass_whichever_worker_takes_which_check(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    origin: Origin,
    tmp_path: Path,
) -> None:
    caches = [tmp_path / "machine-1", tmp_path / "machine-2"]
    for cache in caches:
        workers.start(cache_env(cache))
    control = Runtime(private).control
    flow = parse_workflow(handoff(approval=False))
    source = RunSource(distributed=True)
    runs = [control.submit(prepare_run(origin.work, workflow=flow, source=source)) for _ in range(3)]
    places = set()
    for run_id in runs:
        assert control.wait_final(run_id, 90)
        snapshot = control.snapshot(run_id)
        assert snapshot.status == RunStatus.PASSED
        made, used = evidence(snapshot, "A", "produce"), evidence(snapshot, "B", "consume")
        assert made["files"]["produced"][0]["sha256"] == used["files"]["needed"][0]["sha256"]
        for content in (made, used):
            places |= {str(c) for c in caches if where(c / "worktrees" / run_id) in content["stdout_tail"]}
    assert places  # every check ran in some worker's worktree (which one is up to the broker)


SHOW = """
name: show
gates:
  - {id: S, checks: [{name: show, run: [python, -c, "print(open('src.txt').read())"]}]}
"""


def test_a_commit_pushed_after_the_mirror_was_made_is_fetched(
    control: Control, origin: Origin, finish: Callable[..., RunSnapshot]
) -> None:
    flow = parse_workflow(SHOW)
    first = control.submit(prepare_run(origin.work, workflow=flow, source=RunSource(distributed=True)))
    assert "v1" in evidence(finish(first), "S", "show")["stdout_tail"]
    newer = origin.commit({"src.txt": "v2"})
    second = prepare_run(origin.work, workflow=flow, source=RunSource(distributed=True))
    assert second.repo.commit_sha == newer
    snapshot = finish(control.submit(second))
    assert snapshot.status == RunStatus.PASSED
    assert "v2" in evidence(snapshot, "S", "show")["stdout_tail"]


def test_a_git_url_alone_is_enough(
    control: Control, origin: Origin, finish: Callable[..., RunSnapshot]
) -> None:
    sha = origin.commit({"initial.md": "# Remote only\n\nFrom the remote's own initial.md.\n"})
    source = RunSource(git_url=origin.url, commit=sha)
    spec = prepare_run(None, workflow=parse_workflow(SHOW), source=source)
    assert (spec.repo.path, spec.repo.commit_sha, spec.blueprint.title) == ("", sha, "Remote only")
    snapshot = finish(control.submit(spec))
    assert snapshot.status == RunStatus.PASSED
    with pytest.raises(InputError, match="full commit SHA"):
        prepare_run(None, source=RunSource(git_url=origin.url, commit=sha[:12]))
    with pytest.raises(InputError, match="is not in"):
        prepare_run(None, source=RunSource(git_url=origin.url, commit="0" * 40))


def test_a_dirty_or_unpushed_tree_is_refused_for_distributed_runs_only(
    control: Control, origin: Origin, finish: Callable[..., RunSnapshot], tmp_path: Path
) -> None:
    (origin.work / "src.txt").write_text("edited, not committed")
    with pytest.raises(InputError, match="uncommitted changes"):
        prepare_run(origin.work, source=RunSource(distributed=True))
    local = prepare_run(origin.work, workflow=parse_workflow(SHOW))
    assert local.repo.dirty and local.repo.url is None
    assert (local.repo.changed, local.repo.changes) == (1, ("src.txt",))
    snapshot = finish(control.submit(local))
    assert "edited, not committed" in evidence(snapshot, "S", "show")["stdout_tail"]
    control.write_outputs(local.run_id, tmp_path / "out")
    assert "+ uncommitted changes: `src.txt`" in (tmp_path / "out" / "prp.md").read_text()
    manifest = json.loads((tmp_path / "out" / "run-manifest.json").read_text())
    assert manifest["repo"]["dirty"] is True
    git(origin.work, "commit", "-q", "-am", "local only")
    with pytest.raises(InputError, match="git push"):
        prepare_run(origin.work, source=RunSource(distributed=True))


def test_services_submit_git_sources_through_the_service_layer(
    control: Control, origin: Origin, finish: Callable[..., RunSnapshot]
) -> None:
    sha = git(origin.work, "rev-parse", "HEAD")
    request = SubmitRequest(git_url=origin.url, commit_sha=sha, workflow=yaml_data(SHOW))
    submitted = control.submit_request(request, actor="svc")
    assert finish(submitted.run_id).status == RunStatus.PASSED
    distributed = SubmitRequest(repo=str(origin.work), distributed=True, workflow=yaml_data(SHOW))
    assert control.get_run(control.submit_request(distributed, actor="svc").run_id).repo["url"] == origin.url
    for bad, why in [
        (SubmitRequest(repo=str(origin.work), git_url=origin.url, commit_sha=sha), "not both"),
        (SubmitRequest(git_url=origin.url), "needs the full commit SHA"),
        (SubmitRequest(git_url="ext::sh%20-c%20touch", commit_sha=sha), "not a fetchable git url"),
        (SubmitRequest(git_url="--upload-pack=touch", commit_sha=sha), "not a fetchable git url"),
    ]:
        with pytest.raises(InputError, match=why):
            control.submit_request(bad, actor="svc")


def yaml_data(text: str) -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load(text)
    return data
