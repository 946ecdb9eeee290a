"""Runs that finished in an earlier command stay inspectable after their embedded server is gone:
``prp runs``, ``status``, ``audit`` and ``outputs`` read the record ``prp run`` left in
``REPO/.prp/runs/RUN/`` (found from the repository, with ``--repo``, or through the user's index)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_prp

pytestmark = pytest.mark.slow

WORKFLOW = """name: finished-flow
gates:
  - {id: A, checks: [{name: a, run: ["true"]}], approval: {role: code-reviewer}}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["sh", "-c", "echo made > out.txt"]}]}
"""


@pytest.fixture
def finished(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A repository with one run finished by an earlier `prp run` (embedded, auto-approved)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "wf.yaml").write_text(WORKFLOW)
    done = run_prp("run", str(repo), "--workflow", str(tmp_path / "wf.yaml"), "--auto-approve", "--json")
    assert done.returncode == 0, done.stderr
    return repo, json.loads(done.stdout)


def test_status_audit_outputs_and_runs_of_a_run_finished_earlier(
    finished: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    repo, ran = finished
    run_id = str(ran["run_id"])
    status = run_prp("status", run_id, "--json", cwd=repo)
    assert status.returncode == 0, status.stderr
    view = json.loads(status.stdout)
    assert view["status"] == "passed"
    assert [(g["id"], g["status"]) for g in view["gates"]] == [("A", "passed"), ("B", "passed")]
    assert view["gates"] == ran["gates"]  # the same facts the run printed when it finished
    table = run_prp("status", run_id, cwd=repo)
    assert table.returncode == 0 and "passed" in table.stdout
    newest = run_prp("status", cwd=repo)  # no RUN_ID: the newest run, named
    assert newest.returncode == 0, newest.stderr
    assert newest.stdout.startswith(f"the newest run of {repo}: {run_id}, submitted ")
    assert newest.stdout.splitlines()[1:] == table.stdout.splitlines()
    assert json.loads(run_prp("status", "--json", cwd=repo).stdout) == view
    audit = run_prp("audit", run_id, "--json", cwd=repo)
    assert audit.returncode == 0, audit.stderr
    decided = [e for e in json.loads(audit.stdout) if e["type"] == "approval.auto"]
    assert [(e["gate_id"], e["actor"], e["channel"]) for e in decided] == [("A", "auto", "auto")]
    listing = run_prp("runs", "--json", cwd=repo)
    assert [r["run_id"] for r in json.loads(listing.stdout)] == [run_id]
    header, row = run_prp("runs", cwd=repo).stdout.splitlines()  # piped: plain, with a header
    assert header.split() == ["RUN", "STATUS", "WORKFLOW", "SUBMITTED", "REPOSITORY"]
    assert row.split()[:3] == [run_id, "passed", json.loads(listing.stdout)[0]["workflow"]]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", " ".join(row.split()[3:5]))
    target = tmp_path / "copy"
    copied = run_prp("outputs", run_id, "--to", str(target), cwd=repo)
    assert copied.returncode == 0, copied.stderr
    assert (target / "prp.md").read_text().count(run_id) >= 1
    assert json.loads((target / "review.json").read_text())["schema"] == "com.cortex.review/v1"
    assert not (target / "evidence.json").exists()  # the record's, not an output
    # every check's evidence, its content decoded: where "see the evidence's log tail" points
    # (cytoolz's failed Cython build: nothing kept its log once the embedded server was gone)
    evidence = json.loads((repo / ".prp" / "runs" / run_id / "evidence.json").read_text())
    by_source = {e["source"]: e["content"] for e in evidence if isinstance(e["content"], dict)}
    assert by_source["b-b"]["argv"] == ["sh", "-c", "echo made > out.txt"]
    assert by_source["b-b"]["exit_code"] == 0 and "stdout_tail" in by_source["b-b"]


def test_a_finished_run_is_found_from_elsewhere_and_an_unknown_one_says_where_it_looked(
    finished: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    repo, ran = finished
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    by_repo = run_prp("status", str(ran["run_id"]), "--repo", str(repo), "--json", cwd=elsewhere)
    assert json.loads(by_repo.stdout)["status"] == "passed"
    by_index = run_prp("status", str(ran["run_id"]), "--json", cwd=elsewhere)  # the user's index
    assert json.loads(by_index.stdout)["run_id"] == ran["run_id"]
    unknown = run_prp("status", "run-nope-0000", cwd=elsewhere)
    assert unknown.returncode == 2
    assert "no such run: run-nope-0000" in unknown.stderr and ".prp/runs" in unknown.stderr
    none = run_prp("runs", cwd=elsewhere)  # says where it looked rather than printing nothing
    assert none.returncode == 0 and none.stdout.startswith(
        f"no runs: none live, none recorded in {elsewhere}"
    )
    named = run_prp("runs", str(repo), "--json", cwd=elsewhere)  # the folder as an argument too
    assert [r["run_id"] for r in json.loads(named.stdout)] == [ran["run_id"]], named.stderr
    no_newest = run_prp("status", cwd=elsewhere)
    assert no_newest.returncode == 2
    assert f"no run of {elsewhere} (live or recorded): give a RUN_ID" in no_newest.stderr


def test_outputs_written_elsewhere_with_out_are_found_through_the_record(tmp_path: Path) -> None:
    repo, out_dir = tmp_path / "repo", tmp_path / "reports"
    repo.mkdir()
    (tmp_path / "wf.yaml").write_text(WORKFLOW)
    args = ("run", str(repo), "--workflow", str(tmp_path / "wf.yaml"), "--auto-approve")
    done = run_prp(*args, "--out", str(out_dir), "--json")
    run_id = json.loads(done.stdout)["run_id"]
    assert (out_dir / "prp.md").is_file() and (repo / ".prp" / "runs" / run_id / "run.json").is_file()
    copied = run_prp("outputs", run_id, "--to", str(tmp_path / "copy"), cwd=repo)
    assert copied.returncode == 0, copied.stderr
    assert (tmp_path / "copy" / "prp.md").read_bytes() == (out_dir / "prp.md").read_bytes()
