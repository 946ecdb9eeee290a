"""Retries of transient failures, shared circuit breakers and result reuse, on real workers."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from prp_tasks.core.models import CheckStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.engine.breakers import Breakers
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.state.events import BREAKER_STATE_CHANGED

Submit = Callable[..., str]
Finish = Callable[..., RunSnapshot]

#: appends a line to ran.log; exits 75 ("temporarily unavailable") while fail.flag has a count > 0
FLAKY = (
    "import pathlib, sys, time\n"
    "pathlib.Path('ran.log').open('a').write(f'{time.time()}\\n')\n"
    "flag = pathlib.Path('fail.flag')\n"
    "left = int(flag.read_text()) if flag.exists() else 0\n"
    "if left > 0:\n"
    "    flag.write_text(str(left - 1))\n"
    "    sys.exit(75)\n"
)


def flow(check: str, name: str = "r") -> str:
    return f"name: {name}\ngates:\n  - {{id: A, checks: [{check}]}}\n"


def flaky(extra: str, state: Path, *, code: str = FLAKY) -> str:
    """A check running ``code`` in ``state`` (the test's repository: checks themselves run in a
    workspace of it, so files they leave there would not outlive the run)."""
    code = f"import os, sys; os.chdir(sys.argv[1])\n{code}"
    return f"{{name: flaky, run: [python, -c, {json.dumps(code)}, {json.dumps(str(state))}], {extra}}}"


def runs_of(repo: Path) -> list[float]:
    log = repo / "ran.log"
    return [float(x) for x in log.read_text().split()] if log.exists() else []


def test_a_transient_exit_code_is_retried_with_backoff(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    repo = make_repo({"fail.flag": "2"})
    text = flow(flaky("retries: 3, retry_on: {exit_codes: [75]}, retry_backoff_s: 0.2", repo))
    snapshot = finish(control.submit(prepare_run(repo, workflow=parse_workflow(text))))
    result = snapshot.gates["A"].checks["flaky"]
    assert (snapshot.status, result.status, result.attempt) == (RunStatus.PASSED, CheckStatus.PASS, 3)
    times = runs_of(repo)
    assert len(times) == 3
    assert times[1] - times[0] >= 0.1 and times[2] - times[1] >= 0.2  # 0.2·2^n, jittered down to half


def test_an_assertion_failure_is_never_retried(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    repo = make_repo()
    failing = "import pathlib; pathlib.Path('ran.log').open('a').write('1\\n'); raise SystemExit(1)"
    text = flow(flaky("retries: 3, retry_on: {exit_codes: [75]}, retry_backoff_s: 0.1", repo, code=failing))
    snapshot = finish(control.submit(prepare_run(repo, workflow=parse_workflow(text))))
    assert snapshot.gates["A"].checks["flaky"].status == CheckStatus.FAIL
    assert len(runs_of(repo)) == 1


def test_a_breaker_opens_fails_fast_everywhere_and_closes_after_a_good_trial(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    repo = make_repo({"fail.flag": "2"})
    check = flaky("retry_on: {exit_codes: [75]}, breaker: {name: flaky-svc, threshold: 2, open_s: 1}", repo)
    workflow = parse_workflow(flow(check))

    def run() -> str:
        snapshot = finish(control.submit(prepare_run(repo, workflow=workflow)))
        return snapshot.gates["A"].checks["flaky"].output

    assert "transient" in run() and "transient" in run()  # two transient failures: open
    started = len(runs_of(repo))
    assert run().startswith("circuit open for flaky-svc")
    assert len(runs_of(repo)) == started  # failed fast: the command did not run
    other = Breakers(control.settings, control.state.breakers, control.state.events)  # any other worker
    permit = other.allow(workflow.gate("A").check("flaky"), "probe")
    assert permit is not None and not permit.allowed and permit.state == "open"
    time.sleep(1.1)
    assert run().startswith("exit 0")  # the half-open trial passes: closed again
    assert other.state("flaky-svc")["state"] == "closed"
    values = control.store.redis.hgetall(control.store.keys.metrics)
    assert values["breaker_state|breaker=flaky-svc"] == "0"
    for to in ("open", "half_open", "closed"):
        assert values[f"breaker_transitions|breaker=flaky-svc,to={to}"] == "1"
    events = control.store.redis.xrange(control.store.keys.events)
    states = [
        json.loads(f["event"])["data"]["state"] for _, f in events if f["type"] == BREAKER_STATE_CHANGED
    ]
    assert states[-3:] == ["open", "half_open", "closed"]


def git(repo: Path, *args: str) -> None:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"}
    )


def test_a_cacheable_check_reuses_a_passing_result_on_the_same_inputs(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    repo = make_repo({".gitignore": "ran.log\n.prp/\n"})
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    workflow = parse_workflow(flow(flaky("cacheable: true", repo)))
    first = finish(control.submit(prepare_run(repo, workflow=workflow)))
    second = finish(control.submit(prepare_run(repo, workflow=workflow)))
    assert len(runs_of(repo)) == 1  # the second run did not execute the check
    reused = json.loads(second.gates["A"].checks["flaky"].evidence[0].content)
    assert reused["reused_from"]["run_id"] == first.spec.run_id
    assert second.gates["A"].checks["flaky"].output.startswith("reused the passing result")
    (repo / "new.txt").write_text("uncommitted")  # a dirty tree never reuses
    finish(control.submit(prepare_run(repo, workflow=workflow)))
    assert len(runs_of(repo)) == 2


def test_a_success_resets_the_consecutive_failures_of_a_closed_breaker(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    """Failures must be consecutive: a success in between (recorded with the result claim, in the
    same round trip) resets the count, so the breaker stays closed."""
    repo = make_repo({"fail.flag": "1"})
    check = flaky("retry_on: {exit_codes: [75]}, breaker: {name: reset-svc, threshold: 2, open_s: 30}", repo)
    workflow = parse_workflow(flow(check))

    def run() -> str:
        snapshot = finish(control.submit(prepare_run(repo, workflow=workflow)))
        return snapshot.gates["A"].checks["flaky"].output

    def failures() -> str:
        return str(control.store.redis.hget(control.store.keys.breaker("reset-svc"), "failures"))

    assert "transient" in run() and failures() == "1"
    assert run().startswith("exit 0") and failures() == "0"  # the success reset the count
    (repo / "fail.flag").write_text("1")
    assert "transient" in run() and failures() == "1"  # one failure again, not two: still closed
    assert run().startswith("exit 0")
    assert control.store.redis.hget(control.store.keys.breaker("reset-svc"), "state") in (None, "closed")
