"""The ``prp`` CLI as a user runs it: a subprocess, embedded mode or a configured Redis."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prp_tasks.settings import Settings
from tests.conftest import ROOT, run_prp, wait_until

pytestmark = pytest.mark.slow


def redis_processes(where: Path) -> set[int]:
    """Servers whose command line names ``where`` (the state directory of a run's embedded server;
    other tests on this machine start servers of their own)."""
    out = subprocess.run(
        ["pgrep", "-f", f"(redis|valkey)-server.*{where}"], capture_output=True, text=True, check=False
    )
    return {int(p) for p in out.stdout.split()}


def test_the_demo_runs_end_to_end_in_embedded_mode(demo: Path) -> None:
    result = run_prp("run", str(demo), "--auto-approve", "--json")
    assert result.returncode == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["status"] == "passed" and view["exit_code"] == 0
    assert [g["id"] for g in view["gates"]] == [f"G{i}" for i in range(8)]
    assert all(g["status"] == "passed" for g in view["gates"])
    out_dir = Path(view["out_dir"])
    for name in ("prp.md", "review.json", "run-manifest.json"):
        assert (out_dir / name).is_file()
        assert view["outputs"][name] == str(out_dir / name)
    assert json.loads((out_dir / "review.json").read_text())["schema"] == "com.cortex.review/v1"
    manifest = json.loads((out_dir / "run-manifest.json").read_text())
    assert manifest["summary"]["status"] == "completed"
    # G4 read the coverage report the G3 tests really wrote
    g4 = next(g for g in view["gates"] if g["id"] == "G4")
    coverage = next(c for c in g4["checks"] if c["name"] == "coverage-validation")
    assert coverage["status"] == "pass" and "coverage.xml (cobertura-xml)" in coverage["output"]
    assert (out_dir / "artifacts" / "verification-report.md").is_file()
    # everything shut down: no stray redis-server, socket gone, registration gone
    assert redis_processes(demo) == set()
    assert not (demo / ".prp" / "redis.sock").exists()


BAD_WORKFLOWS = {
    "cycle": (
        "name: c\ngates:\n  - {id: A, depends_on: [B]}\n  - {id: B, depends_on: [A]}\n",
        "dependency cycle: A -> B -> A",
    ),
    "unknown-dependency": (
        "name: u\ngates:\n  - {id: A, depends_on: [Z]}\n",
        "gate 'A' depends on unknown gate 'Z'",
    ),
    "shell-string": (
        "name: s\ngates:\n  - id: A\n    checks: [{name: a, run: 'make test'}]\n",
        "must be an argv list",
    ),
    "unknown-key": (
        "name: k\ngates:\n  - id: A\n    depend_on: []\n",
        "unknown key 'depend_on' (did you mean 'depends_on'?)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_WORKFLOWS))
def test_a_bad_workflow_file_exits_2_before_anything_starts(case: str, tmp_path: Path) -> None:
    text, expected = BAD_WORKFLOWS[case]
    workflow = tmp_path / "wf.yaml"
    workflow.write_text(text)
    repo = tmp_path / "repo"
    repo.mkdir()
    result = run_prp("run", str(repo), "--workflow", str(workflow))
    assert result.returncode == 2
    assert expected in result.stderr
    assert str(workflow) in result.stderr
    assert not (repo / ".prp").exists()  # no embedded server was even started


def test_a_bad_workflow_enqueues_nothing_on_a_shared_redis(
    settings: Settings, celery_app: object, tmp_path: Path
) -> None:
    from prp_tasks.state.connection import connect

    client = connect(settings.redis_url or "")
    runs_key = f"{settings.key_prefix}:runs"
    before = client.zcard(runs_key)
    workflow = tmp_path / "wf.yaml"
    workflow.write_text(BAD_WORKFLOWS["cycle"][0])
    env = {"PRP_REDIS_URL": settings.redis_url or "", "PRP_KEY_PREFIX": settings.key_prefix}
    result = run_prp("run", str(tmp_path), "--workflow", str(workflow), env=env)
    assert result.returncode == 2
    assert client.zcard(runs_key) == before
    assert client.llen("prp.automated") == 0


def test_unknown_settings_are_refused_with_a_suggestion(tmp_path: Path) -> None:
    result = run_prp("run", str(tmp_path), env={"PRP_REDIS_ULR": "redis://x"})
    assert result.returncode == 2
    assert "PRP_REDIS_ULR (did you mean PRP_REDIS_URL?)" in result.stderr


APPROVAL = """
name: approval
gates:
  - id: A
    checks: [{name: a, run: ["true"]}]
    approval: {role: code-reviewer}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
"""


def test_a_second_terminal_sees_and_approves_an_embedded_run(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.yaml"
    workflow.write_text(APPROVAL)
    repo = tmp_path / "repo"
    repo.mkdir()
    first = subprocess.Popen(
        [sys.executable, "-m", "prp_tasks.cli", "run", str(repo), "--workflow", str(workflow), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        run_id = _wait_for_run(repo)
        wait_until(lambda: _status(run_id)["status"] == "awaiting_approval", timeout=30, interval=0.2)
        newest = run_prp("status", cwd=repo)  # no RUN_ID: this repository's newest run, the live one
        assert newest.stdout.startswith(f"the newest run of {repo.resolve()}: {run_id}"), newest.stderr
        elsewhere = run_prp("status", cwd=tmp_path)  # another directory's: none, not this live run
        assert elsewhere.returncode == 2 and f"no run of {tmp_path.resolve()}" in elsewhere.stderr
        decided = run_prp("approve", run_id, "A", "--as", "alice", "--rationale", "ok")
        assert decided.returncode == 0, decided.stderr
        stdout, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    view = json.loads(stdout)
    assert [g["status"] for g in view["gates"]] == ["passed", "passed"]
    assert view["gates"][0]["approval"]["actor"] == "alice"


SLOWER = """name: slower
gates:
  - {id: A, checks: [{name: a, run: ["true"]}]}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["sleep", "1"]}]}
  - {id: C, depends_on: [B], checks: [{name: c, run: ["true"]}]}
"""


def test_a_run_whose_reader_goes_away_finishes_and_writes_its_outputs(tmp_path: Path) -> None:
    """``prp run … | head -2``: the next line written met a closed pipe, and prp ended with a
    BrokenPipeError traceback (or silently, exit 1) before writing the run's outputs."""
    workflow = tmp_path / "wf.yaml"
    workflow.write_text(SLOWER)
    repo = tmp_path / "repo"
    repo.mkdir()
    run = subprocess.Popen(
        [sys.executable, "-m", "prp_tasks.cli", "run", str(repo), "--workflow", str(workflow)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert run.stdout is not None and run.stdout.readline().startswith("run run-")
        run.stdout.close()  # as head does after its lines
        stderr = run.communicate(timeout=60)[1]
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    [out_dir] = (repo / ".prp" / "runs").iterdir()
    assert (out_dir / "prp.md").is_file() and (out_dir / "review.json").is_file()


def _wait_for_run(repo: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = run_prp("runs", "--json")
        if listed.returncode == 0:
            mine = [r for r in json.loads(listed.stdout) if r["repo"] == str(repo.resolve())]
            if mine:
                return str(mine[0]["run_id"])
        time.sleep(0.2)
    raise AssertionError("the embedded run never showed up in `prp runs`")


def _status(run_id: str) -> dict[str, object]:
    result = run_prp("status", run_id, "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_a_failing_gate_exits_1_and_a_timeout_exits_3(tmp_path: Path) -> None:
    failing = tmp_path / "fail.yaml"
    failing.write_text("name: f\ngates:\n  - {id: A, checks: [{name: a, run: ['false']}]}\n")
    assert run_prp("run", str(tmp_path), "--workflow", str(failing)).returncode == 1
    parked = tmp_path / "parked.yaml"
    parked.write_text(APPROVAL)
    result = run_prp("run", str(tmp_path), "--workflow", str(parked), "--timeout", "2", "--json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["status"] == "cancelled"


def test_the_demo_waits_for_humans_who_approve_from_another_terminal(demo: Path) -> None:
    first = subprocess.Popen(
        [sys.executable, "-m", "prp_tasks.cli", "run", str(demo), "--json", "--as", "riley"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    audits: list[list[dict[str, object]]] = []
    try:
        run_id = _wait_for_run(demo)
        deadline = time.monotonic() + 120
        while first.poll() is None and time.monotonic() < deadline:
            pending = run_prp("approvals", "--json")
            if pending.returncode == 0 and any(p["run_id"] == run_id for p in json.loads(pending.stdout)):
                decided = run_prp("approve", run_id, "--all-pending", "--as", "alice", "--rationale", "ok")
                assert decided.returncode == 0, decided.stderr
                if not audits:  # once: the run is live, its embedded Redis is up
                    trail = run_prp("audit", run_id, "--json")
                    if trail.returncode == 0:
                        audits.append(json.loads(trail.stdout))
            time.sleep(0.2)
        stdout, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    view = json.loads(stdout)
    assert [g["approval"]["actor"] for g in view["gates"]] == ["alice"] * 8
    first_trail = [e for e in audits[0] if e["type"] in ("approval.requested", "approval.decided")]
    assert [(e["type"], e["gate_id"]) for e in first_trail[:2]] == [
        ("approval.requested", "G0"),
        ("approval.decided", "G0"),
    ]
    assert first_trail[0]["batch_id"] and first_trail[1]["actor"] == "alice"
    manifest = json.loads((Path(view["out_dir"]) / "run-manifest.json").read_text())
    approvals = [a for stage in manifest["stages"] for a in stage["gate"]["approvals"]]
    assert sorted(a["gateId"] for a in approvals) == [f"G{i}" for i in range(8)]
    assert {a["actor"] for a in approvals} == {"alice"}
    prp_md = (Path(view["out_dir"]) / "prp.md").read_text()
    assert "**Product Approval** — approved by alice (product-owner, via cli)" in prp_md


# output without a terminal, and the command-line conventions ---------------------------------


def test_without_a_terminal_prp_run_prints_each_change_and_the_approve_command_at_once(
    tmp_path: Path,
) -> None:
    """``prp run > file``: one line per state change, the approve command while the gate waits."""
    workflow = tmp_path / "wf.yaml"
    workflow.write_text(APPROVAL)
    repo = tmp_path / "repo"
    repo.mkdir()
    log = tmp_path / "run.log"
    with log.open("w") as sink:
        first = subprocess.Popen(
            [sys.executable, "-m", "prp_tasks.cli", "run", str(repo), "--workflow", str(workflow)],
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
    try:
        run_id, waiting = _approve_the_line_that_says_how(log, first)
        _, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    lines = log.read_text().splitlines()
    assert lines[:3] == [f"run {run_id}: workflow approval, 2 gates", "A: started", waiting]
    assert re.fullmatch(
        r"A: passed in [\d.]+ m?s \(checks 1/1\); approved by alice \(code-reviewer\) after .+", lines[3]
    )
    assert lines[4] == "B: started" and lines[5].startswith("B: passed in ")
    assert lines[6].startswith(f"run {run_id} finished: passed in ") and lines[6].endswith("(2 passed)")
    assert not any(line.startswith(("┏", "│", "└")) for line in lines)  # no table frames


def _approve_the_line_that_says_how(log: Path, run: subprocess.Popen[str]) -> tuple[str, str]:
    """Wait for the approve command in ``run``'s output, then approve as PRP_ACTOR (embedded mode:
    the second CLI finds the run's server through its registry). -> the run id and that line."""
    wait_until(lambda: "prp approve" in log.read_text(), timeout=60, interval=0.1)
    assert run.poll() is None  # the command is out while the run still waits
    waiting = next(line for line in log.read_text().splitlines() if "prp approve" in line)
    run_id = waiting.split(" prp approve ")[1].split()[0]
    assert re.fullmatch(
        r"A: awaiting approval \(code-reviewer\); to approve: "
        rf"PRP_REDIS_URL=unix://\S+/redis\.sock prp approve {run_id} A --as <you>",
        waiting,
    )
    decided = run_prp("approve", run_id, "A", env={"PRP_ACTOR": "alice"})
    assert decided.returncode == 0, decided.stderr
    assert decided.stderr.startswith("deciding as alice (from PRP_ACTOR)\n")
    return run_id, waiting


def test_version_is_an_option_and_a_command() -> None:
    from prp_tasks import __version__

    for args in (["--version"], ["version"]):
        result = run_prp(*args)
        assert (result.returncode, result.stdout, result.stderr) == (0, f"{__version__}\n", "")


def test_usage_errors_have_our_error_prefix_exit_2_and_point_to_the_help() -> None:
    unknown = run_prp("run", "--bogus")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: no such option: --bogus")
    assert "prp run --help" in unknown.stderr and "╭" not in unknown.stderr
    missing = run_prp("audit")
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: missing argument 'RUN'\n")
    assert "prp audit --help" in missing.stderr
    bare = run_prp()
    assert bare.returncode == 2 and "Usage: prp [OPTIONS] COMMAND" in bare.stdout


def test_help_without_a_terminal_shows_no_types() -> None:
    result = run_prp("run", "--help")
    assert result.returncode == 0
    for noise in ("<bool>", "<str>", "<path>", "<float>", "[default: no-"):
        assert noise not in result.stdout
    assert "--as" in result.stdout and "--json" in result.stdout


def test_approve_without_as_needs_a_configured_actor() -> None:
    refused = run_prp("approve", "run-nope", "A")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ")
    assert "--as NAME" in refused.stderr and "PRP_ACTOR" in refused.stderr
    configured = run_prp("approve", "run-nope", "A", env={"PRP_ACTOR": "alice"})
    assert configured.stderr.startswith("deciding as alice (from PRP_ACTOR)\nerror: ")
